// Builds the standalone kubectl-schedule (`make plugin`): src/cli/plugin.ts bundled by esbuild into one CommonJS
// file, made into a single-executable-application blob by `node --experimental-sea-config`, and injected with
// postject into a copy of the node binary of each platform. Writes to dist/plugin/:
//   kubectl-schedule-<os>-<arch>          the executable (needs neither Node nor node_modules)
//   kubectl-schedule-<os>-<arch>.tar.gz   the krew archive: kubectl-schedule and LICENSE
//   schedule.yaml                         the krew plugin manifest, with each archive's sha256 (generated: never edit)
// A SEA blob only runs on the Node version that made it, so every platform's node binary is the build machine's own
// version: its own binary for its platform, the npm package node-<os>-<arch> at the same version for the others.
// Builds are cached by the hash of the bundle, this file, LICENSE and the Node version in
// $SCHEDULE_OPERATOR_CACHE (default ~/.cache/schedule-operator)/plugin/<hash>/, so a rebuild without changes is a copy.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { stringify } from 'yaml';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** What goes into the bundle, what is left out, and for which platforms: the one list to change. */
export const PLUGIN = {
  entry: 'src/cli/plugin.ts',
  // Left out: src/main.ts (the controller), which src/cli.ts imports only for `controller`, refused by src/cli/plugin.ts.
  // Nothing is external but the controller: the commands need only the project and its small runtime dependencies.
  external: ['./main.js'],
  targets: [
    { os: 'linux', arch: 'amd64' },
    { os: 'linux', arch: 'arm64' },
  ],
  homepage: 'https://github.com/schedule-operator/schedule-operator',
  /** Where a release publishes the archives; the manifest's uri is this plus the archive's name. */
  releaseUrl: (version: string) => `https://github.com/schedule-operator/schedule-operator/releases/download/v${version}/`,
} as const;

export type Target = (typeof PLUGIN.targets)[number];

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const NODE_ARCH: Record<string, string> = { amd64: 'x64', arm64: 'arm64' };

export const binaryName = (t: Target) => `kubectl-schedule-${t.os}-${t.arch}`;
export const archiveName = (t: Target) => `${binaryName(t)}.tar.gz`;
export const isHost = (t: Target) => t.os === process.platform && NODE_ARCH[t.arch] === process.arch;
/** hostTarget is the target this machine runs, if it is one of PLUGIN.targets. */
export const hostTarget = (): Target | undefined => PLUGIN.targets.find(isHost);

const cacheRoot = () => process.env.SCHEDULE_OPERATOR_CACHE ?? join(homedir(), '.cache', 'schedule-operator');
const packageVersion = () => (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

/** bundle is src/cli/plugin.ts and everything it imports (less PLUGIN.external) as one CommonJS file for Node 24. */
export async function bundle(version: string): Promise<string> {
  const result = await build({
    entryPoints: [join(repo, PLUGIN.entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs', // Node 24's single executables run one CommonJS script; its require() loads only built-in modules
    target: `node${process.versions.node.split('.')[0]}`,
    external: [...PLUGIN.external],
    define: { SCHEDULE_OPERATOR_PLUGIN_VERSION: JSON.stringify(version) },
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'error',
    // src/cli.ts reads package.json through import.meta.url only for `version`, which src/cli/plugin.ts answers itself.
    logOverride: { 'empty-import-meta': 'silent' },
  });
  return result.outputFiles[0]!.text;
}

/** renderManifest is the krew plugin manifest for the archives' sha256 sums (in PLUGIN.targets order). */
export function renderManifest(version: string, sha256: Record<string, string>): string {
  const plugin = {
    apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
    kind: 'Plugin',
    metadata: { name: 'schedule' },
    spec: {
      version: `v${version}`,
      homepage: PLUGIN.homepage,
      shortDescription: 'Next run times and run-now for Schedules',
      description: `${[
        'Client for schedule-operator Schedules (schedule-operator.io/v1alpha1), which the operator reconciles into',
        'CronJobs. `kubectl schedule next` prints the next run instants of a schedule exactly as the CronJob',
        'controller starts them (time zones, DST gaps and folds); `kubectl schedule run` starts a run now through',
        'the run-requested-at annotation. One executable: it needs no Node.js. The operator itself runs from the',
        'container image or the Helm chart.',
      ].join('\n')}\n`,
      platforms: PLUGIN.targets.map((t) => {
        const sum = sha256[archiveName(t)];
        if (!sum) throw new Error(`no sha256 for ${archiveName(t)}`);
        return {
          selector: { matchLabels: { os: t.os, arch: t.arch } },
          uri: PLUGIN.releaseUrl(version) + archiveName(t),
          sha256: sum,
          files: [
            { from: 'kubectl-schedule', to: '.' },
            { from: 'LICENSE', to: '.' },
          ],
          bin: 'kubectl-schedule',
        };
      }),
    },
  };
  return `# Generated by hack/plugin.ts (\`make plugin\`) from the archives beside it. Do not edit.\n${stringify(plugin, { blockQuote: 'literal', lineWidth: 0 })}`;
}

function run(cmd: string, args: string[], options: { cwd?: string; quiet?: boolean } = {}): void {
  const r = spawnSync(cmd, args, { cwd: options.cwd, stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.trim()}`);
}

/** nodeBinary is the node executable of the target at this machine's Node version. */
function nodeBinary(t: Target, log: (line: string) => void): string {
  if (isHost(t)) return process.execPath;
  const pkg = `node-${t.os}-${NODE_ARCH[t.arch]}`;
  const dir = join(cacheRoot(), `node-${process.versions.node}-${t.os}-${NODE_ARCH[t.arch]}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  log(`[plugin] fetching ${pkg}@${process.versions.node} (npm pack; its cpu field keeps npm install from taking it here)`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  run('npm', ['pack', '--silent', '--pack-destination', tmp, `${pkg}@${process.versions.node}`], { quiet: true });
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack ${pkg}@${process.versions.node} wrote no archive`);
  run('tar', ['-xzf', tgz], { cwd: tmp });
  rmSync(join(tmp, tgz));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return bin;
}

/**
 * strip drops the node binary's symbols and debug information (about 12 MiB, 3 MiB of the archive) before the blob
 * goes in: llvm-strip reads every architecture, GNU strip only the machine's own. Without either, it stays as is.
 */
function strip(bin: string, log: (line: string) => void): void {
  for (const tool of ['llvm-strip', 'strip']) {
    if (spawnSync(tool, [bin], { stdio: 'ignore' }).status === 0) return;
  }
  log(`[plugin] ${bin}: not stripped (neither llvm-strip nor strip could read it)`);
}

/**
 * seaBlob runs this Node's --experimental-sea-config on work/kubectl-schedule.cjs. The V8 code cache (about a third
 * less CPU at start) is only for the host: it is not portable, and it differs from build to build, so the host's
 * archive is not bit-for-bit reproducible; the others are (paths are relative, archives are normalised).
 */
function seaBlob(work: string, useCodeCache: boolean): Buffer {
  const name = useCodeCache ? 'host' : 'portable';
  const config = {
    main: 'kubectl-schedule.cjs',
    output: `sea-${name}.blob`,
    disableExperimentalSEAWarning: true,
    useCodeCache,
    useSnapshot: false,
  };
  writeFileSync(join(work, `sea-${name}.json`), JSON.stringify(config));
  run(process.execPath, ['--experimental-sea-config', `sea-${name}.json`], { cwd: work, quiet: true });
  return readFileSync(join(work, config.output));
}

/** archive writes a reproducible tar.gz (fixed owner, mtime and order; gzip without a name or time). */
function archive(dir: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@0',
      '--format=ustar',
      '-C',
      dir,
      '-cf',
      '-',
      'kubectl-schedule',
      'LICENSE',
    ];
    const child = spawn('bash', ['-o', 'pipefail', '-c', `tar ${tar.map((a) => `'${a}'`).join(' ')} | gzip -n -6 > '${out}'`], {
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`archiving ${out} failed (exit ${code}): ${stderr.trim()}`))));
  });
}

const sha256File = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** buildInto builds every target into `dir` (empty). */
async function buildInto(dir: string, code: string, version: string, log: (line: string) => void): Promise<void> {
  // postject has no type declarations: its one function, as its README gives it.
  const { inject } = createRequire(import.meta.url)('postject') as {
    inject(
      file: string,
      name: string,
      data: Buffer,
      options: { sentinelFuse: string; machoSegmentName?: string; overwrite?: boolean },
    ): Promise<void>;
  };
  const work = join(dir, '.work');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'kubectl-schedule.cjs'), code);
  const blobs = new Map<boolean, Buffer>();
  const archives: Promise<void>[] = [];
  for (const t of PLUGIN.targets) {
    const host = isHost(t);
    if (!blobs.has(host)) blobs.set(host, seaBlob(work, host));
    const bin = join(dir, binaryName(t));
    copyFileSync(nodeBinary(t, log), bin);
    chmodSync(bin, 0o755);
    strip(bin, log);
    log(
      `[plugin] injecting the SEA blob into ${binaryName(t)}${host ? ' (with code cache)' : ''}; postject's "Can't find string offset" warnings are harmless`,
    );
    await inject(bin, 'NODE_SEA_BLOB', blobs.get(host)!, { sentinelFuse: SEA_FUSE, machoSegmentName: 'NODE_SEA' });
    const stage = join(work, binaryName(t));
    mkdirSync(stage);
    linkSync(bin, join(stage, 'kubectl-schedule'));
    copyFileSync(join(repo, 'LICENSE'), join(stage, 'LICENSE'));
    archives.push(archive(stage, join(dir, archiveName(t))));
  }
  await Promise.all(archives);
  const sums = Object.fromEntries(PLUGIN.targets.map((t) => [archiveName(t), sha256File(join(dir, archiveName(t)))]));
  writeFileSync(
    join(dir, 'SHA256SUMS'),
    Object.entries(sums)
      .map(([f, s]) => `${s}  ${f}\n`)
      .join(''),
  );
  writeFileSync(join(dir, 'schedule.yaml'), renderManifest(version, sums));
  rmSync(work, { recursive: true, force: true });
}

export interface PluginBuild {
  /** the folder with the executables, archives and schedule.yaml */
  dir: string;
  hash: string;
  cached: boolean;
}

/**
 * buildPlugin builds (or takes from the cache) every target and links the result into outDir
 * (default dist/plugin). Concurrent builds of the same sources each finish; the first one's result is kept.
 */
export async function buildPlugin(options: { outDir?: string; log?: (line: string) => void } = {}): Promise<PluginBuild> {
  const log = options.log ?? ((line: string) => console.error(line));
  const outDir = options.outDir ?? join(repo, 'dist', 'plugin');
  const version = packageVersion();
  const code = await bundle(version);
  const hash = createHash('sha256')
    .update(code)
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .update(readFileSync(join(repo, 'LICENSE')))
    .update(`${process.version} ${process.platform} ${process.arch}`)
    .digest('hex')
    .slice(0, 16);
  const root = join(cacheRoot(), 'plugin');
  const cached = join(root, hash);
  const hit = existsSync(join(cached, 'schedule.yaml'));
  if (!hit) {
    const started = Date.now();
    log(`[plugin] building ${PLUGIN.targets.map(binaryName).join(', ')} on Node ${process.version} (cache ${hash})`);
    const tmp = join(root, `.tmp-${hash}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      await buildInto(tmp, code, version, log);
      if (existsSync(join(cached, 'schedule.yaml'))) rmSync(tmp, { recursive: true, force: true });
      else {
        rmSync(cached, { recursive: true, force: true });
        renameSync(tmp, cached);
      }
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    log(`[plugin] built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    prune(root, hash);
  }
  if (hit) utimesSync(cached, new Date(), new Date()); // most recently used, for prune
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(cached)) {
    try {
      linkSync(join(cached, f), join(outDir, f));
    } catch {
      copyFileSync(join(cached, f), join(outDir, f));
    }
  }
  return { dir: outDir, hash, cached: hit };
}

/**
 * prune keeps the most recently used builds in the cache (each is ~0.3 GB) and the one just made; a build used in
 * the last ten minutes stays too, so another worktree's run is not pulled from under it.
 */
function prune(root: string, keep: string, max = 3): void {
  const entries = readdirSync(root)
    .filter((e) => !e.startsWith('.'))
    .map((e) => ({ e, t: statSync(join(root, e)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { e, t } of entries.slice(max)) {
    if (e !== keep && Date.now() - t > 10 * 60_000) rmSync(join(root, e), { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { dir, cached } = await buildPlugin();
  for (const f of readdirSync(dir).sort()) console.log(`${dir}/${f}\t${(statSync(join(dir, f)).size / 2 ** 20).toFixed(1)} MiB`);
  if (cached) console.log('(from the cache: the bundle, hack/plugin.ts, LICENSE and Node are unchanged)');
}
