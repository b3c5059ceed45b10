import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadKubeconfig, type LoadOptions } from '../../../src/kube/kubeconfig.js';
import { FakeClock } from '../../support/fake-clock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'so-kubeconfig-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** write puts a file under the temp dir (creating folders) and returns its path. */
function write(rel: string, content: string | object): string {
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : stringify(content));
  return path;
}

/** kubeconfig: one cluster, one user, one context named "ctx", current. */
function kubeconfig(cluster: object, user: object | undefined, context: object = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'ctx',
    clusters: [{ name: 'c', cluster: { server: 'https://api.example:6443', ...cluster } }],
    users: user ? [{ name: 'u', user }] : [],
    contexts: [{ name: 'ctx', context: { cluster: 'c', ...(user ? { user: 'u' } : {}), ...context } }],
  };
}

async function requestOptions(opts: LoadOptions) {
  const kc = loadKubeconfig({ env: {}, ...opts });
  const req: https.RequestOptions = { headers: { Accept: 'application/json' } };
  await kc.applyTo(req);
  return { kc, req, headers: req.headers as Record<string, string | string[]> };
}

describe('loadKubeconfig: shapes it reads', () => {
  it('reads inline certificate data, the server and the context namespace', async () => {
    const file = write(
      'config',
      kubeconfig(
        { 'certificate-authority-data': b64('CA') },
        { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
        { namespace: 'team-a' },
      ),
    );
    const { kc, req } = await requestOptions({ kubeconfig: file });
    expect([kc.server, kc.namespace, kc.source]).toEqual(['https://api.example:6443', 'team-a', file]);
    expect([String(req.ca), String(req.cert), String(req.key), req.rejectUnauthorized]).toEqual(['CA', 'CERT', 'KEY', true]);
  });

  it('reads files, resolving relative paths against the kubeconfig directory (not the working directory)', async () => {
    write('sub/ca.crt', 'CA-FILE');
    write('sub/certs/client.crt', 'CERT-FILE');
    write('sub/certs/client.key', 'KEY-FILE');
    const file = write(
      'sub/config',
      kubeconfig({ 'certificate-authority': 'ca.crt' }, { 'client-certificate': 'certs/client.crt', 'client-key': './certs/client.key' }),
    );
    const { req, kc } = await requestOptions({ kubeconfig: file });
    expect([String(req.ca), String(req.cert), String(req.key)]).toEqual(['CA-FILE', 'CERT-FILE', 'KEY-FILE']);
    expect(kc.namespace).toBe('default');
  });

  it('sends a token as a bearer token, next to the request headers already set', async () => {
    const { headers } = await requestOptions({ kubeconfig: write('config', kubeconfig({}, { token: 'abc' })) });
    expect(headers).toEqual({ Accept: 'application/json', Authorization: 'Bearer abc' });
  });

  it('reads tokenFile again after a minute, so a rotated token is used', async () => {
    write('tokens/t', 'one\n');
    const clock = new FakeClock();
    const kc = loadKubeconfig({ kubeconfig: write('config', kubeconfig({}, { tokenFile: 'tokens/t' })), env: {}, clock });
    const auth = async () => {
      const req: https.RequestOptions = {};
      await kc.applyTo(req);
      return (req.headers as Record<string, string>).Authorization;
    };
    expect(await auth()).toBe('Bearer one');
    write('tokens/t', 'two\n');
    await clock.advance(30_000);
    expect(await auth()).toBe('Bearer one');
    await clock.advance(31_000);
    expect(await auth()).toBe('Bearer two');
    write('tokens/t', 'three\n');
    kc.unauthorized(); // a 401 reads it at once
    expect(await auth()).toBe('Bearer three');
  });

  it('honours insecure-skip-tls-verify, tls-server-name, basic auth and impersonation', async () => {
    const { req, headers } = await requestOptions({
      kubeconfig: write(
        'config',
        kubeconfig(
          { 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes.default' },
          {
            username: 'admin',
            password: 'pw',
            as: 'jane',
            'as-uid': '42',
            'as-groups': ['dev', 'ops'],
            'as-user-extra': { scopes: ['a', 'b'] },
          },
        ),
      ),
    });
    expect([req.rejectUnauthorized, req.servername, req.ca]).toEqual([false, 'kubernetes.default', undefined]);
    expect(headers).toEqual({
      Accept: 'application/json',
      Authorization: `Basic ${b64('admin:pw')}`,
      'Impersonate-User': 'jane',
      'Impersonate-Uid': '42',
      'Impersonate-Group': ['dev', 'ops'],
      'Impersonate-Extra-scopes': ['a', 'b'],
    });
  });

  it('merges a KUBECONFIG list as kubectl does: the first file to name an entry wins, missing files are skipped', async () => {
    const first = write('a', {
      clusters: [{ name: 'c', cluster: { server: 'https://first:6443' } }],
      users: [],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'from-a' } }],
    });
    const second = write('b', {
      'current-context': 'ctx',
      clusters: [{ name: 'c', cluster: { server: 'https://second:6443' } }],
      users: [{ name: 'u', user: { token: 'from-b' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'from-b' } }],
    });
    const { kc, headers } = await requestOptions({ env: { KUBECONFIG: [join(dir, 'missing'), first, second].join(delimiter) } });
    expect([kc.server, kc.namespace, headers.Authorization]).toEqual(['https://first:6443', 'from-a', 'Bearer from-b']);
  });

  it('prefers --kubeconfig over KUBECONFIG, KUBECONFIG over in-cluster, in-cluster over ~/.kube/config', () => {
    const flag = write('flag', kubeconfig({ server: 'https://flag:1' }, undefined));
    const envFile = write('env', kubeconfig({ server: 'https://env:1' }, undefined));
    write('home/.kube/config', kubeconfig({ server: 'https://home:1' }, undefined));
    const sa = serviceAccount();
    const inCluster = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', HOME: join(dir, 'home') };
    expect(loadKubeconfig({ kubeconfig: flag, env: { KUBECONFIG: envFile } }).server).toBe('https://flag:1');
    expect(loadKubeconfig({ env: { KUBECONFIG: envFile, ...inCluster }, serviceAccountDir: sa }).server).toBe('https://env:1');
    expect(loadKubeconfig({ env: inCluster, serviceAccountDir: sa }).server).toBe('https://10.0.0.1:443');
    expect(loadKubeconfig({ env: { HOME: join(dir, 'home') } }).server).toBe('https://home:1');
  });
});

function serviceAccount(files: Record<string, string> = { token: 'sa-token\n', 'ca.crt': 'SA-CA', namespace: 'operators\n' }): string {
  const sa = join(dir, 'sa');
  mkdirSync(sa, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(sa, name), content);
  return sa;
}

describe('loadKubeconfig in a pod (in-cluster)', () => {
  it('uses the service host and port, the ServiceAccount CA, token and namespace, and re-reads the token', async () => {
    const sa = serviceAccount();
    const clock = new FakeClock();
    const kc = loadKubeconfig({
      env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountDir: sa,
      clock,
    });
    const req: https.RequestOptions = {};
    await kc.applyTo(req);
    expect([kc.server, kc.namespace, kc.source, String(req.ca), (req.headers as Record<string, string>).Authorization]).toEqual([
      'https://10.96.0.1:443',
      'operators',
      'in-cluster',
      'SA-CA',
      'Bearer sa-token',
    ]);
    writeFileSync(join(sa, 'token'), 'rotated');
    await clock.advance(61_000);
    const again: https.RequestOptions = {};
    await kc.applyTo(again);
    expect((again.headers as Record<string, string>).Authorization).toBe('Bearer rotated');
  });

  it('brackets an IPv6 service host and defaults the namespace when its file is missing', () => {
    const sa = serviceAccount({ token: 't', 'ca.crt': 'CA' });
    const kc = loadKubeconfig({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa });
    expect([kc.server, kc.namespace]).toEqual(['https://[fd00::1]:443', 'default']);
  });

  it('says the token is not mounted, in one line', () => {
    const sa = serviceAccount({ 'ca.crt': 'CA' });
    expect(() => loadKubeconfig({ env: { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa })).toThrow(
      new RegExp(`^in-cluster: cannot read the ServiceAccount token ${join(sa, 'token')}: ENOENT`),
    );
  });
});

describe('loadKubeconfig: exec credential plugins', () => {
  function plugin(body: string): string {
    const path = write('bin/plugin.sh', `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it('runs the plugin (relative path) without a terminal and caches its token until expirationTimestamp', async () => {
    const count = join(dir, 'count');
    plugin(`echo run >> ${count}
echo "$KUBERNETES_EXEC_INFO" > ${join(dir, 'info.json')}
echo "{\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"tok-$(wc -l < ${count} | tr -d ' ')\\",\\"expirationTimestamp\\":\\"2026-01-01T00:10:00Z\\"}}"`);
    const clock = new FakeClock(); // starts at 2026-01-01T00:00:00Z
    const file = write(
      'config',
      kubeconfig(
        { 'certificate-authority-data': b64('CA') },
        {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: './bin/plugin.sh',
            args: [],
            env: [{ name: 'X', value: 'y' }],
            provideClusterInfo: true,
            interactiveMode: 'Never',
          },
        },
      ),
    );
    const kc = loadKubeconfig({ kubeconfig: file, env: {}, clock });
    const auth = async () => {
      const req: https.RequestOptions = {};
      await kc.applyTo(req);
      return (req.headers as Record<string, string>).Authorization;
    };
    expect(await Promise.all([auth(), auth()])).toEqual(['Bearer tok-1', 'Bearer tok-1']); // one run for both
    await clock.advance(9 * 60_000);
    expect(await auth()).toBe('Bearer tok-1');
    await clock.advance(60_000);
    expect(await auth()).toBe('Bearer tok-2');
    kc.unauthorized();
    expect(await auth()).toBe('Bearer tok-3');
    expect(JSON.parse(readFileSync(join(dir, 'info.json'), 'utf8'))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false, cluster: { server: 'https://api.example:6443', 'certificate-authority-data': b64('CA') } },
    });
  });

  it('says which plugin failed and why, naming the user', async () => {
    plugin('echo "token expired, run aws sso login" >&2; exit 1');
    const kc = loadKubeconfig({
      kubeconfig: write(
        'config',
        kubeconfig({}, { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: './bin/plugin.sh' } }),
      ),
      env: {},
    });
    await expect(kc.applyTo({})).rejects.toThrow(/: user "u": exec plugin .*plugin\.sh failed: token expired, run aws sso login$/);
  });
});

describe('loadKubeconfig: one line naming what to fix', () => {
  const cases: Array<[string, () => LoadOptions, RegExp]> = [
    [
      'a missing file',
      () => ({ kubeconfig: join(dir, 'nope') }),
      /^kubeconfig .*nope does not exist: point --kubeconfig or KUBECONFIG at an existing file$/,
    ],
    [
      'no kubeconfig anywhere',
      () => ({ env: { HOME: dir } }),
      /^no kubeconfig found: set KUBECONFIG or --kubeconfig, or run inside a cluster$/,
    ],
    [
      'no current-context',
      () => ({ kubeconfig: write('k', { ...kubeconfig({}, undefined), 'current-context': '' }) }),
      /: current-context is not set: run `kubectl config use-context <name>`/,
    ],
    [
      'a current-context that is not defined',
      () => ({ kubeconfig: write('k', { ...kubeconfig({}, undefined), 'current-context': 'prod' }) }),
      /: current-context "prod" is not among contexts\[\]\.name$/,
    ],
    [
      'a context without a cluster',
      () => ({ kubeconfig: write('k', kubeconfig({}, undefined, { cluster: undefined })) }),
      /: context "ctx" names no cluster \(contexts\[ctx\]\.context\.cluster\)$/,
    ],
    [
      'a context naming a missing cluster',
      () => ({ kubeconfig: write('k', kubeconfig({}, undefined, { cluster: 'other' })) }),
      /: context "ctx" names cluster "other", which is not among clusters\[\]\.name$/,
    ],
    [
      'a context naming a missing user',
      () => ({ kubeconfig: write('k', kubeconfig({}, undefined, { user: 'ghost' })) }),
      /: context "ctx" names user "ghost", which is not among users\[\]\.name$/,
    ],
    [
      'a cluster without a server',
      () => ({ kubeconfig: write('k', kubeconfig({ server: '' }, undefined)) }),
      /: cluster "c" has no server \(clusters\[c\]\.cluster\.server\)$/,
    ],
    [
      'an unreadable certificate-authority',
      () => ({ kubeconfig: write('k', kubeconfig({ 'certificate-authority': 'missing.crt' }, undefined)) }),
      /: cluster "c": cannot read certificate-authority .*missing\.crt: ENOENT/,
    ],
    [
      'a client certificate without its key',
      () => ({ kubeconfig: write('k', kubeconfig({}, { 'client-certificate-data': b64('C') })) }),
      /: user "u" sets only one of client-certificate\(-data\) and client-key\(-data\)/,
    ],
    [
      'an auth-provider',
      () => ({ kubeconfig: write('k', kubeconfig({}, { 'auth-provider': { name: 'gcp' } })) }),
      /: user "u" uses auth-provider "gcp", which schedule-operator does not support: use an exec credential plugin or a token$/,
    ],
    [
      'an exec plugin that needs a terminal',
      () => ({
        kubeconfig: write(
          'k',
          kubeconfig({}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'x', interactiveMode: 'Always' } }),
        ),
      }),
      /: user "u": the exec plugin needs a terminal \(interactiveMode: Always\)/,
    ],
    [
      'a proxy-url',
      () => ({ kubeconfig: write('k', kubeconfig({ 'proxy-url': 'http://proxy:3128' }, undefined)) }),
      /: cluster "c" sets proxy-url, which schedule-operator does not support/,
    ],
    ['YAML that is not a kubeconfig', () => ({ kubeconfig: write('k', '- a\n- b\n') }), /^kubeconfig .*k is not a kubeconfig/],
  ];
  it.each(cases)('%s', (_name, opts, message) => {
    expect(() => loadKubeconfig({ env: {}, ...opts() })).toThrow(message);
  });
});
