// Starts the real operator (./bin/schedule-operator, from `make build`) as a child process against a test
// cluster, the way users run it. Integration tests drive it through the API server only.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/schedule-operator', import.meta.url));

export interface OperatorProcess {
  child: ChildProcess;
  /** logs holds every line the operator printed (JSON lines from pino). */
  logs: string[];
  metricsUrl: string;
  healthUrl: string;
  waitReady(timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startOperator(opts: {
  kubeconfig: string;
  args?: string[];
  env?: Record<string, string>;
  bin?: string;
}): Promise<OperatorProcess> {
  const metricsPort = await freePort();
  const healthPort = await freePort();
  const args = [
    opts.bin ?? BIN,
    'controller',
    `--metrics-bind-address=127.0.0.1:${metricsPort}`,
    `--health-probe-bind-address=127.0.0.1:${healthPort}`,
    ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, KUBECONFIG: opts.kubeconfig, LOG_LEVEL: 'debug', ...(opts.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const collect = (chunk: Buffer) => logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const healthUrl = `http://127.0.0.1:${healthPort}`;
  return {
    child,
    logs,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    healthUrl,
    async waitReady(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}:\n${logs.slice(-20).join('\n')}`);
        try {
          const res = await fetch(`${healthUrl}/readyz`);
          if (res.ok) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`operator not ready after ${timeoutMs} ms:\n${logs.slice(-20).join('\n')}`);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
