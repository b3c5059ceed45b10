// The Argo CD health check (argocd/health-schedule.lua) run by a real Lua interpreter (lua5.4; .ci/run
// installs it) against a table of Schedules. Objects reach Lua as Argo CD hands them over: JSON turned
// into Lua tables (arrays as sequences, null as absent).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../argocd/health-schedule.lua', import.meta.url));
const LUA = process.env.LUA ?? 'lua5.4';

/** toLua writes a JSON value as a Lua table constructor. */
export function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value); // JSON string escapes are valid Lua escapes for this data
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${toLua(v)}`)
    .join(', ')}}`;
}

/** runHealth evaluates the script once per object in one interpreter; returns [status, message] pairs. */
function runHealth(objects: unknown[]): Array<[string, string]> {
  const program = [
    `local script = assert(loadfile(${JSON.stringify(SCRIPT)}))`,
    ...objects.map((o) => `obj = ${toLua(o)}\nlocal hs = script()\nio.write(hs.status, "\\t", hs.message, "\\n")`),
  ].join('\n');
  let out: string;
  try {
    out = execFileSync(LUA, ['-'], { input: program, encoding: 'utf8' });
  } catch (err) {
    throw new Error(`could not run ${LUA} (install it: apt-get install -y lua5.4, as .ci/run does): ${(err as Error).message}`);
  }
  return out.trimEnd().split('\n').map((line) => line.split('\t') as [string, string]);
}

const ready = (status: string, reason: string, message = '') => ({ type: 'Ready', status, reason, message, lastTransitionTime: '2026-01-01T00:00:00Z' });
const schedule = (o: { generation?: number; spec?: object; status?: object; annotations?: Record<string, string> }) => ({
  apiVersion: 'schedule-operator.io/v1alpha1',
  kind: 'Schedule',
  metadata: { name: 'nightly', namespace: 'team', generation: o.generation ?? 1, ...(o.annotations ? { annotations: o.annotations } : {}) },
  spec: { schedule: '0 2 * * *', jobTemplate: { spec: {} }, ...(o.spec ?? {}) },
  ...(o.status ? { status: o.status } : {}),
});
const good = { observedGeneration: 1, conditions: [ready('True', 'Reconciled', 'CronJob nightly is up to date')], effectiveSchedule: '0 2 * * *', nextRunTime: '2026-01-02T02:00:00Z' };
const failedRun = { jobName: 'nightly-29000000', trigger: 'Scheduled', result: 'Failed', reason: 'BackoffLimitExceeded' };

const cases: Array<{ name: string; obj: unknown; status: string; message: RegExp }> = [
  { name: 'no status yet is Progressing', obj: schedule({}), status: 'Progressing', message: /Waiting for schedule-operator to reconcile/ },
  { name: 'status without observedGeneration is Progressing', obj: schedule({ status: { conditions: [] } }), status: 'Progressing', message: /reconcile/ },
  { name: 'a new generation not yet observed is Progressing, even when the old one was Ready', obj: schedule({ generation: 3, status: { ...good, observedGeneration: 2 } }), status: 'Progressing', message: /observe generation 3 \(status describes 2\)/ },
  { name: 'a new generation not yet observed is Progressing, even when the old one was invalid', obj: schedule({ generation: 2, status: { observedGeneration: 1, conditions: [ready('False', 'InvalidSpec', 'spec.timeZone ...')] } }), status: 'Progressing', message: /generation 2/ },
  { name: 'no Ready condition is Progressing', obj: schedule({ status: { observedGeneration: 1, conditions: [] } }), status: 'Progressing', message: /Waiting for the Ready condition$/ },
  { name: 'Ready=Unknown is Progressing with its reason', obj: schedule({ status: { observedGeneration: 1, conditions: [ready('Unknown', 'Reconciling', 'applying')] } }), status: 'Progressing', message: /Reconciling: applying/ },
  { name: 'Ready=True for the current generation is Healthy, showing schedule and next run', obj: schedule({ status: good }), status: 'Healthy', message: /^Schedule 0 2 \* \* \*; next run 2026-01-02T02:00:00Z$/ },
  { name: 'InvalidSpec is Degraded with the operator\'s message', obj: schedule({ status: { observedGeneration: 1, conditions: [ready('False', 'InvalidSpec', 'spec.timeZone: "europe/berlin" is not a time zone; write Europe/Berlin')] } }), status: 'Degraded', message: /^InvalidSpec: spec.timeZone: "europe\/berlin"/ },
  { name: 'CronJobRejected is Degraded', obj: schedule({ status: { observedGeneration: 1, conditions: [ready('False', 'CronJobRejected', 'image: Required value')] } }), status: 'Degraded', message: /^CronJobRejected: image/ },
  { name: 'a suspended valid Schedule is Suspended', obj: schedule({ spec: { suspend: true }, status: { ...good, conditions: [ready('True', 'Suspended', '')] } }), status: 'Suspended', message: /spec.suspend is true/ },
  { name: 'a suspended Schedule whose Ready=False reason is Suspended is Suspended, not Degraded', obj: schedule({ spec: { suspend: true }, status: { observedGeneration: 1, conditions: [ready('False', 'Suspended', 'suspended')] } }), status: 'Suspended', message: /Suspended/ },
  { name: 'a suspended but invalid Schedule is Degraded', obj: schedule({ spec: { suspend: true }, status: { observedGeneration: 1, conditions: [ready('False', 'InvalidSpec', 'bad cron')] } }), status: 'Degraded', message: /InvalidSpec: bad cron/ },
  { name: 'a failed last run stays Healthy by default', obj: schedule({ status: { ...good, lastRun: failedRun } }), status: 'Healthy', message: /last run Failed$/ },
  { name: 'a failed last run is Degraded when the Schedule opts in by annotation', obj: schedule({ annotations: { 'schedule-operator.io/argocd-degrade-on-failure': 'true' }, status: { ...good, lastRun: failedRun } }), status: 'Degraded', message: /^Last run nightly-29000000 failed \(BackoffLimitExceeded\)$/ },
  { name: 'the opt-in annotation with a succeeded last run is Healthy', obj: schedule({ annotations: { 'schedule-operator.io/argocd-degrade-on-failure': 'true' }, status: { ...good, lastRun: { ...failedRun, result: 'Succeeded' } } }), status: 'Healthy', message: /last run Succeeded/ },
  { name: 'the opt-in annotation set to "false" keeps a failed run Healthy', obj: schedule({ annotations: { 'schedule-operator.io/argocd-degrade-on-failure': 'false' }, status: { ...good, lastRun: failedRun } }), status: 'Healthy', message: /last run Failed/ },
  { name: 'a running Job (active, no result yet) is Healthy, not Progressing or Degraded', obj: schedule({ status: { ...good, active: [{ name: 'nightly-1' }] } }), status: 'Healthy', message: /next run/ },
  { name: 'Ready=True without effectiveSchedule falls back to the condition', obj: schedule({ status: { observedGeneration: 1, conditions: [ready('True', 'Reconciled', 'ok')] } }), status: 'Healthy', message: /^Reconciled: ok$/ },
];

describe('Argo CD health check for Schedule (argocd/health-schedule.lua under lua5.4)', () => {
  const results = runHealth(cases.map((c) => c.obj));

  it.each(cases.map((c, i) => ({ ...c, i })))('$name', ({ i, status, message }) => {
    const [gotStatus, gotMessage] = results[i]!;
    expect(gotStatus).toBe(status);
    expect(gotMessage).toMatch(message);
  });

  it('uses only Lua 5.1 features Argo CD\'s gopher-lua has (no integer division, goto or bit operators)', () => {
    const code = readFileSync(SCRIPT, 'utf8').replace(/--.*$/gm, '');
    expect(code).not.toMatch(/\/\/|\bgoto\b|<<|>>|~(?!=)|&/);
  });
});

describe('argocd/argocd-cm-patch.yaml', () => {
  it('embeds exactly argocd/health-schedule.lua (regenerate with `make argocd-cm`)', async () => {
    const { renderArgoCdPatch } = await import('../../../hack/argocd-cm.js');
    const patch = readFileSync(fileURLToPath(new URL('../../../argocd/argocd-cm-patch.yaml', import.meta.url)), 'utf8');
    expect(patch).toBe(renderArgoCdPatch(readFileSync(SCRIPT, 'utf8')));
  });
});
