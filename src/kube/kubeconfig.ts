// The one kubeconfig loader, used by the controller (src/main.ts), the webhook (through main's REST clients)
// and `schedule-operator run`, so all three find the cluster by the same rules. It reads kubeconfig YAML
// itself instead of loading @kubernetes/client-node (whose import alone costs about a second and 90 MB).
//
// Where the cluster comes from, first match wins (controller-runtime's order):
//   1. --kubeconfig, else $KUBECONFIG: a list of files (':'-separated); missing files are skipped, but not all
//      of them. Merged as kubectl does: the first file to define a cluster, user or context name wins, and the
//      first current-context wins. Relative paths resolve against the directory of the file that holds them.
//   2. in-cluster: $KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount's token, ca.crt and namespace files.
//   3. ~/.kube/config.
// Credentials: client certificate (data or file), token, tokenFile (read again at most once a minute, so
// rotated tokens are used, as client-go does), username/password, impersonation (as, as-uid, as-groups,
// as-user-extra), and exec credential plugins (run without a terminal; the credential is cached until its
// expirationTimestamp, or until the API server answers 401). auth-provider and proxy-url are refused with one
// line naming the entry.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type https from 'node:https';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { realClock, type Clock } from '../clock.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How long a credential read from a file is reused before the file is read again. */
const FILE_REFRESH_MS = 60_000;
const EXEC_TIMEOUT_MS = 60_000;

export interface Credentials {
  token?: string;
  cert?: Buffer;
  key?: Buffer;
}

/** RestConfig is the resolved connection to one API server: client-go's rest.Config. */
export interface RestConfig {
  /** server is the API server URL, without a trailing slash. */
  server: string;
  /** namespace is the current context's namespace (in-cluster: the ServiceAccount's), or "default". */
  namespace: string;
  /** source says where the config came from (files, or in-cluster), for log lines. */
  source: string;
  /** applyTo sets TLS options, credentials and impersonation headers on one request. */
  applyTo(opts: https.RequestOptions): Promise<void>;
  /** unauthorized: the API server answered 401; cached credentials are dropped and fetched again. */
  unauthorized(): void;
}

export interface LoadOptions {
  /** kubeconfig is --kubeconfig; when unset, $KUBECONFIG from env. */
  kubeconfig?: string | undefined;
  env?: Record<string, string | undefined>;
  /** serviceAccountDir holds token, ca.crt and namespace in a pod (tests point it at a temp dir). */
  serviceAccountDir?: string;
  clock?: Clock;
}

/** loadKubeconfig finds the cluster and its credentials; errors are one line naming the file or field to fix. */
export function loadKubeconfig(opts: LoadOptions = {}): RestConfig {
  const env = opts.env ?? process.env;
  const clock = opts.clock ?? realClock;
  const list = opts.kubeconfig ?? env.KUBECONFIG;
  if (list) {
    const files = list.split(delimiter).filter(Boolean);
    const present = files.filter((f) => existsSync(f));
    if (present.length === 0) {
      throw new Error(`kubeconfig ${files.join(', ')} does not exist: point --kubeconfig or KUBECONFIG at an existing file`);
    }
    return fromFiles(present, clock);
  }
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
    return inCluster(env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT, opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR, clock);
  }
  const home = join(env.HOME || homedir(), '.kube', 'config');
  if (existsSync(home)) return fromFiles([home], clock);
  throw new Error('no kubeconfig found: set KUBECONFIG or --kubeconfig, or run inside a cluster');
}

type Entry = Record<string, unknown>;
interface Named {
  entry: Entry;
  file: string;
}

/** fromFiles merges kubeconfig files as kubectl does and resolves the current context. */
function fromFiles(files: string[], clock: Clock): RestConfig {
  const clusters = new Map<string, Named>();
  const users = new Map<string, Named>();
  const contexts = new Map<string, Named>();
  let current = '';
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`kubeconfig ${file} cannot be read: ${(err as Error).message.split('\n')[0]}`);
    }
    if (doc == null) continue;
    if (typeof doc !== 'object' || Array.isArray(doc))
      throw new Error(`kubeconfig ${file} is not a kubeconfig (expected a mapping with clusters, users, contexts)`);
    const d = doc as Entry;
    const dir = dirname(resolve(file));
    for (const [key, into, inner] of [
      ['clusters', clusters, 'cluster'],
      ['users', users, 'user'],
      ['contexts', contexts, 'context'],
    ] as const) {
      const items = d[key] ?? [];
      if (!Array.isArray(items)) throw new Error(`kubeconfig ${file}: ${key} must be a list`);
      items.forEach((item: Entry, i) => {
        const name = item?.name;
        if (typeof name !== 'string' || !name) throw new Error(`kubeconfig ${file}: ${key}[${i}].name is missing`);
        if (into.has(name)) return; // the first file to define a name wins
        const entry = { ...((item[inner] as Entry | undefined) ?? {}) };
        into.set(name, { entry: key === 'contexts' ? entry : resolvePaths(entry, dir), file });
      });
    }
    if (!current && typeof d['current-context'] === 'string') current = d['current-context'];
  }

  const source = files.join(delimiter);
  const where = `kubeconfig ${source}`;
  if (!current) throw new Error(`${where}: current-context is not set: run \`kubectl config use-context <name>\` or pick another file`);
  const ctx = contexts.get(current)?.entry;
  if (!ctx) throw new Error(`${where}: current-context "${current}" is not among contexts[].name`);
  const clusterName = str(ctx.cluster);
  if (!clusterName) throw new Error(`${where}: context "${current}" names no cluster (contexts[${current}].context.cluster)`);
  const cluster = clusters.get(clusterName);
  if (!cluster) throw new Error(`${where}: context "${current}" names cluster "${clusterName}", which is not among clusters[].name`);
  const userName = str(ctx.user);
  const user = userName ? users.get(userName) : undefined;
  if (userName && !user) throw new Error(`${where}: context "${current}" names user "${userName}", which is not among users[].name`);

  const c = cluster.entry;
  const at = `${cluster.file}: cluster "${clusterName}"`;
  const server = str(c.server);
  if (!server) throw new Error(`${at} has no server (clusters[${clusterName}].cluster.server)`);
  if (c['proxy-url']) throw new Error(`${at} sets proxy-url, which schedule-operator does not support: reach the API server directly`);
  const insecure = c['insecure-skip-tls-verify'] === true;
  const ca = bytes(c, 'certificate-authority', at);
  if (insecure && ca) throw new Error(`${at} sets both insecure-skip-tls-verify and a certificate authority: keep one`);
  const tls = { ca, rejectUnauthorized: !insecure, servername: str(c['tls-server-name']) };
  const auth = user
    ? userAuth(userName!, user, { server, ca, insecure, servername: tls.servername, extensions: c.extensions }, clock)
    : anonymous;
  return restConfig(server, str(ctx.namespace) || 'default', source, tls, auth);
}

/** inCluster is the pod's own ServiceAccount: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT. */
function inCluster(host: string, port: string, dir: string, clock: Clock): RestConfig {
  const tokenFile = join(dir, 'token');
  const token = cachedFile(tokenFile, clock, `in-cluster: cannot read the ServiceAccount token ${tokenFile}`);
  token(); // fail at start, not on the first request, when the token is not mounted
  let ca: Buffer;
  try {
    ca = readFileSync(join(dir, 'ca.crt'));
  } catch (err) {
    throw new Error(`in-cluster: cannot read ${join(dir, 'ca.crt')}: ${(err as Error).message}`);
  }
  let namespace = 'default';
  try {
    namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim() || 'default';
  } catch {
    // no namespace file: default
  }
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const auth: Auth = {
    headers: {},
    credentials: async () => ({ token: token().toString('utf8').trim() }),
    unauthorized: () => token.expire(),
  };
  return restConfig(server, namespace, 'in-cluster', { ca, rejectUnauthorized: true, servername: undefined }, auth);
}

interface Auth {
  headers: Record<string, string | string[]>;
  credentials(): Promise<Credentials>;
  unauthorized(): void;
}

const anonymous: Auth = { headers: {}, credentials: async () => ({}), unauthorized: () => {} };

function restConfig(
  server: string,
  namespace: string,
  source: string,
  tls: { ca: Buffer | undefined; rejectUnauthorized: boolean; servername: string | undefined },
  auth: Auth,
): RestConfig {
  return {
    server: server.replace(/\/+$/, ''),
    namespace,
    source,
    async applyTo(opts) {
      if (tls.ca) opts.ca = tls.ca;
      opts.rejectUnauthorized = tls.rejectUnauthorized;
      if (tls.servername) opts.servername = tls.servername;
      const cred = await auth.credentials();
      if (cred.cert) opts.cert = cred.cert;
      if (cred.key) opts.key = cred.key;
      const headers = { ...(opts.headers as Record<string, string | string[]> | undefined), ...auth.headers };
      if (cred.token) headers.Authorization = `Bearer ${cred.token}`;
      opts.headers = headers;
    },
    unauthorized: () => auth.unauthorized(),
  };
}

interface ClusterInfo {
  server: string;
  ca: Buffer | undefined;
  insecure: boolean;
  servername: string | undefined;
  extensions: unknown;
}

/** userAuth turns a users[] entry into credentials, with client-go's precedence: explicit ones before exec. */
function userAuth(name: string, user: Named, cluster: ClusterInfo, clock: Clock): Auth {
  const u = user.entry;
  const at = `${user.file}: user "${name}"`;
  if (u['auth-provider']) {
    const provider = str((u['auth-provider'] as Entry).name) ?? '?';
    throw new Error(
      `${at} uses auth-provider "${provider}", which schedule-operator does not support: use an exec credential plugin or a token`,
    );
  }
  const headers: Record<string, string | string[]> = {};
  if (str(u.as)) headers['Impersonate-User'] = str(u.as)!;
  if (str(u['as-uid'])) headers['Impersonate-Uid'] = str(u['as-uid'])!;
  if (Array.isArray(u['as-groups']) && u['as-groups'].length) headers['Impersonate-Group'] = u['as-groups'].map(String);
  for (const [k, v] of Object.entries((u['as-user-extra'] as Record<string, unknown> | undefined) ?? {})) {
    headers[`Impersonate-Extra-${encodeURIComponent(k)}`] = (Array.isArray(v) ? v : [v]).map(String);
  }

  const certData = str(u['client-certificate-data']);
  const keyData = str(u['client-key-data']);
  const certFile = str(u['client-certificate']);
  const keyFile = str(u['client-key']);
  const hasCert = !!(certData || certFile);
  if (hasCert !== !!(keyData || keyFile))
    throw new Error(`${at} sets only one of client-certificate(-data) and client-key(-data): a client certificate needs both`);
  const cert = certData
    ? constant(Buffer.from(certData, 'base64'))
    : certFile
      ? cachedFile(certFile, clock, `${at}: cannot read client-certificate ${certFile}`)
      : undefined;
  const key = keyData
    ? constant(Buffer.from(keyData, 'base64'))
    : keyFile
      ? cachedFile(keyFile, clock, `${at}: cannot read client-key ${keyFile}`)
      : undefined;
  cert?.();
  key?.();

  const tokenFile = str(u.tokenFile);
  const tokenText = tokenFile ? cachedFile(tokenFile, clock, `${at}: cannot read tokenFile ${tokenFile}`) : undefined;
  tokenText?.();
  const token = str(u.token);
  const basic = str(u.username) !== undefined || str(u.password) !== undefined;
  if (basic) headers.Authorization = `Basic ${Buffer.from(`${str(u.username) ?? ''}:${str(u.password) ?? ''}`).toString('base64')}`;

  const exec = u.exec && !hasCert && !token && !tokenFile && !basic ? execPlugin(name, u.exec as Entry, at, cluster, clock) : undefined;
  return {
    headers,
    async credentials() {
      const fromExec = exec ? await exec.get() : {};
      return {
        ...fromExec,
        ...(cert && key ? { cert: cert(), key: key() } : {}),
        ...(tokenText ? { token: tokenText().toString('utf8').trim() } : token ? { token } : {}),
      };
    },
    unauthorized() {
      exec?.expire();
      tokenText?.expire();
    },
  };
}

/** execPlugin runs a client.authentication.k8s.io exec credential plugin and caches what it returns. */
function execPlugin(
  userName: string,
  e: Entry,
  at: string,
  cluster: ClusterInfo,
  clock: Clock,
): { get(): Promise<Credentials>; expire(): void } {
  const command = str(e.command);
  if (!command) throw new Error(`${at}: exec.command is missing (users[${userName}].user.exec.command)`);
  const apiVersion = str(e.apiVersion);
  if (apiVersion !== 'client.authentication.k8s.io/v1' && apiVersion !== 'client.authentication.k8s.io/v1beta1') {
    throw new Error(`${at}: exec.apiVersion must be client.authentication.k8s.io/v1 or v1beta1 (got ${apiVersion ?? 'nothing'})`);
  }
  if (e.interactiveMode === 'Always')
    throw new Error(`${at}: the exec plugin needs a terminal (interactiveMode: Always); schedule-operator runs it without one`);
  const args = Array.isArray(e.args) ? e.args.map(String) : [];
  const extraEnv = Object.fromEntries((Array.isArray(e.env) ? (e.env as Entry[]) : []).map((v) => [String(v.name), String(v.value ?? '')]));
  const spec: Entry = { interactive: false };
  if (e.provideClusterInfo === true) {
    const exts = Array.isArray(cluster.extensions) ? (cluster.extensions as Entry[]) : [];
    const config = exts.find((x) => x.name === 'client.authentication.k8s.io/exec')?.extension;
    spec.cluster = {
      server: cluster.server,
      ...(cluster.ca ? { 'certificate-authority-data': cluster.ca.toString('base64') } : {}),
      ...(cluster.insecure ? { 'insecure-skip-tls-verify': true } : {}),
      ...(cluster.servername ? { 'tls-server-name': cluster.servername } : {}),
      ...(config !== undefined ? { config } : {}),
    };
  }
  const info = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec });
  let cached: { cred: Credentials; until: number } | undefined;
  let running: Promise<Credentials> | undefined;

  const run = () =>
    new Promise<Credentials>((resolvePromise, reject) => {
      execFile(
        command,
        args,
        { env: { ...process.env, ...extraEnv, KUBERNETES_EXEC_INFO: info }, timeout: EXEC_TIMEOUT_MS, maxBuffer: 4 << 20 },
        (err, stdout, stderr) => {
          if (err) {
            const why = String(stderr).trim().split('\n')[0] || err.message;
            reject(new Error(`${at}: exec plugin ${command} failed: ${why}`));
            return;
          }
          let out: {
            apiVersion?: string;
            kind?: string;
            status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string };
          };
          try {
            out = JSON.parse(String(stdout));
          } catch {
            reject(new Error(`${at}: exec plugin ${command} did not print an ExecCredential (JSON)`));
            return;
          }
          const s = out.status;
          if (out.kind !== 'ExecCredential' || !s || (!s.token && !(s.clientCertificateData && s.clientKeyData))) {
            reject(new Error(`${at}: exec plugin ${command} printed no status.token nor status.clientCertificateData/clientKeyData`));
            return;
          }
          const cred: Credentials = s.token
            ? { token: s.token }
            : { cert: Buffer.from(s.clientCertificateData!), key: Buffer.from(s.clientKeyData!) };
          const until = s.expirationTimestamp ? Date.parse(s.expirationTimestamp) : Number.POSITIVE_INFINITY;
          cached = { cred, until };
          resolvePromise(cred);
        },
      );
    });

  return {
    async get() {
      if (cached && clock.now().getTime() < cached.until) return cached.cred;
      running ??= run().finally(() => (running = undefined));
      return running;
    },
    expire() {
      cached = undefined;
    },
  };
}

type Reader = (() => Buffer) & { expire(): void };

function constant(b: Buffer): Reader {
  return Object.assign(() => b, { expire: () => {} });
}

/** cachedFile reads a file, again at most once per FILE_REFRESH_MS; a failed re-read keeps the last good content. */
function cachedFile(path: string, clock: Clock, message: string): Reader {
  let last: { data: Buffer; at: number } | undefined;
  const read = () => {
    const now = clock.monotonicMs();
    if (last && now - last.at < FILE_REFRESH_MS) return last.data;
    try {
      last = { data: readFileSync(path), at: now };
    } catch (err) {
      if (!last) throw new Error(`${message}: ${(err as Error).message}`);
      last.at = now; // keep using it; try again later
    }
    return last.data;
  };
  return Object.assign(read, { expire: () => void (last && (last.at = -Infinity)) });
}

/** bytes reads `<field>-data` (base64) or the file `<field>` of a cluster entry. */
function bytes(entry: Entry, field: string, at: string): Buffer | undefined {
  const data = str(entry[`${field}-data`]);
  if (data) return Buffer.from(data, 'base64');
  const file = str(entry[field]);
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${at}: cannot read ${field} ${file}: ${(err as Error).message}`);
  }
}

/** resolvePaths makes an entry's file paths absolute against its kubeconfig's directory, as client-go does. */
function resolvePaths(entry: Entry, dir: string): Entry {
  const out = { ...entry };
  for (const field of ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile']) {
    const v = str(out[field]);
    if (v && !isAbsolute(v)) out[field] = join(dir, v);
  }
  const exec = out.exec as Entry | undefined;
  const command = str(exec?.command);
  // A bare command name is looked up on PATH; one with a slash is a path relative to the kubeconfig.
  if (exec && command?.includes('/') && !isAbsolute(command)) out.exec = { ...exec, command: join(dir, command) };
  return out;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
