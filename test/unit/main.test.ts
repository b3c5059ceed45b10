import { describe, expect, it } from 'vitest';
import { runController } from '../../src/main.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (l: string) => void out.push(l), stderr: (l: string) => void err.push(l), now: () => new Date() } };
}

describe('runController before it touches a cluster', () => {
  it('exits 2 with one line naming the flag for a bad flag value', async () => {
    const t = io();
    expect(await runController(['--max-concurrent-reconciles=lots'], t.io, {})).toBe(2);
    expect(t.err).toHaveLength(1);
    expect(t.err[0]).toMatch(
      /^schedule-operator: flag --max-concurrent-reconciles: .* \(flag --max-concurrent-reconciles, env MAX_CONCURRENT_RECONCILES\)$/,
    );
  });

  it('exits 2 naming the environment variable for a bad env value', async () => {
    const t = io();
    expect(await runController([], t.io, { WATCH_NAMESPACES: 'Not A Namespace' })).toBe(2);
    expect(t.err[0]).toContain('env WATCH_NAMESPACES');
  });

  it('prints the flags on --help and exits 0', async () => {
    const t = io();
    expect(await runController(['--help'], t.io, {})).toBe(0);
    expect(t.out.join('\n')).toContain('--resync-period');
  });

  it('says which kubeconfig is missing and how to fix it, in one line, exit 1', async () => {
    const t = io();
    expect(await runController([], t.io, { KUBECONFIG: '/nonexistent/kubeconfig' })).toBe(1);
    expect(t.err).toEqual([
      'schedule-operator: kubeconfig /nonexistent/kubeconfig does not exist: point --kubeconfig or KUBECONFIG at an existing file',
    ]);
  });
});
