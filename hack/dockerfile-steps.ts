// Runs the Dockerfile's build without a Docker engine (this machine has none): each stage becomes a
// folder, WORKDIR/COPY/ENV/RUN are performed there, with the stage's absolute paths mapped into it,
// using this machine's Node 24 in place of the base image's. Then the final stage's ENTRYPOINT is started
// with `--help` and `controller --help` (which loads every runtime dependency), and the size of the
// production node_modules is printed. `make docker-build` runs it; exit status 1 on any failure.
//
// Only the instructions this Dockerfile uses are understood; anything else fails loudly, so the check
// cannot silently drift from the Dockerfile.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const context = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ignoreNegations = readFileSync(join(context, '.dockerignore'), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('!'))
  .map((l) => l.slice(1).replace(/\/$/, ''));

interface Stage {
  name: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
}

export function duBytes(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, entry) => sum + duBytes(join(path, entry)), st.size);
}

function main(): number {
  const lines = readFileSync(join(context, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ') // continuation lines
    .split('\n')
    .filter((l) => l.trim());
  const work = mkdtempSync(join(tmpdir(), 'so-image-'));
  const stages: Stage[] = [];
  let stage: Stage | undefined;
  let entrypoint: string[] = [];
  const inStage = (s: Stage, p: string) => join(s.root, p.startsWith('/') ? p : join(s.workdir, p));
  const log = (m: string) => process.stdout.write(`[image] ${m}\n`);
  try {
    for (const line of lines) {
      const [instr, ...restWords] = line.trim().split(/\s+/);
      const rest = line.trim().slice(instr!.length).trim();
      switch (instr) {
        case 'FROM': {
          const m = rest.match(/^(\S+)(?:\s+AS\s+(\S+))?$/i)!;
          if (!/^node:24[-.]/.test(m[1]!)) throw new Error(`base image ${m[1]} is not Node 24 LTS`);
          stage = { name: m[2] ?? `stage${stages.length}`, root: join(work, `stage${stages.length}`), workdir: '/', env: {} };
          mkdirSync(stage.root, { recursive: true });
          stages.push(stage);
          log(`FROM ${m[1]} (stage ${stage.name} in ${stage.root})`);
          break;
        }
        case 'WORKDIR':
          stage!.workdir = rest;
          mkdirSync(join(stage!.root, rest), { recursive: true });
          break;
        case 'ENV': {
          const [k, v] = rest.split('=');
          stage!.env[k!] = v!;
          break;
        }
        case 'COPY': {
          const from = restWords[0]?.startsWith('--from=') ? stages.find((s) => s.name === restWords[0]!.slice(7)) : undefined;
          const args = from ? restWords.slice(1) : restWords;
          const dest = args.pop()!;
          for (const src of args) {
            if (!from && !ignoreNegations.includes(src))
              throw new Error(`COPY ${src}: .dockerignore does not let ${src} into the build context`);
            const source = from ? inStage(from, src) : join(context, src);
            const target = dest.endsWith('/') ? join(inStage(stage!, dest), src.split('/').pop()!) : inStage(stage!, dest);
            mkdirSync(dirname(target), { recursive: true });
            cpSync(source, target, { recursive: true, filter: (p) => !p.endsWith('.test.ts') });
          }
          break;
        }
        case 'RUN': {
          log(`RUN ${rest}`);
          // Here the steps run on this machine, with its npm cache: never wipe it.
          if (/npm cache clean/.test(rest))
            throw new Error("RUN npm cache clean would wipe this machine's npm cache; multi-stage builds do not need it");
          execFileSync('bash', ['-euo', 'pipefail', '-c', rest], {
            cwd: join(stage!.root, stage!.workdir),
            env: { ...process.env, ...stage!.env },
            stdio: ['ignore', 'inherit', 'inherit'],
          });
          break;
        }
        case 'USER':
          if (!/^[1-9]\d*(:\d+)?$/.test(rest) && rest !== 'node') throw new Error(`USER ${rest} is not a non-root user`);
          break;
        case 'ENTRYPOINT':
          entrypoint = JSON.parse(rest);
          break;
        case 'CMD':
          break;
        default:
          throw new Error(`hack/dockerfile-steps.ts does not understand "${instr}"; teach it, so the check keeps matching the Dockerfile`);
      }
    }
    const final = stages.at(-1)!;
    const [cmd, ...args] = entrypoint.map((a) => (a.startsWith('/') ? join(final.root, a) : a));
    if (cmd !== 'node') throw new Error(`ENTRYPOINT starts ${cmd}, expected node`);
    for (const extra of [['--help'], ['controller', '--help'], ['next', '0 2 * * *', '--count', '1', '--from', '2026-01-01T00:00:00Z']]) {
      const out = execFileSync(process.execPath, [...args, ...extra], {
        cwd: join(final.root, final.workdir),
        env: { PATH: process.env.PATH ?? '', ...final.env },
        encoding: 'utf8',
      });
      log(`schedule-operator ${extra.join(' ')}: ok (${out.split('\n')[0]})`);
    }
    const nm = join(final.root, 'app/node_modules');
    if (!existsSync(nm)) throw new Error('the final stage has no /app/node_modules');
    const devOnly = ['vitest', 'typescript', 'tsx', 'testcontainers'].filter((d) => existsSync(join(nm, d)));
    if (devOnly.length) throw new Error(`development packages in the runtime image: ${devOnly.join(', ')}`);
    const mb = (duBytes(nm) / 1024 / 1024).toFixed(1);
    const total = (duBytes(join(final.root, 'app')) / 1024 / 1024).toFixed(1);
    log(`production node_modules: ${mb} MiB; /app in the runtime image: ${total} MiB (plus the node:24-bookworm-slim base)`);
    return 0;
  } catch (err) {
    process.stderr.write(`[image] FAILED: ${(err as Error).message}\n`);
    return 1;
  } finally {
    if (!process.env.KEEP_IMAGE_DIR) rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
