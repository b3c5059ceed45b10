// Argo CD's built-in-check layout for Schedule (argocd/schedule-operator.io/Schedule/): health.lua driven by
// health_test.yaml and actions/*.lua driven by actions/action_test.yaml, as Argo CD's own test runs
// resource_customizations, but under a real lua5.4 (test/unit/argocd/argocd-lua.ts: Argo CD's globals and
// libraries only). The argocd-cm patch is generated from the same files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { asReturned, runLua } from './argocd-lua.js';

const ROOT = 'argocd';
const KIND_DIR = join(ROOT, 'schedule-operator.io', 'Schedule');
const ACTIONS_DIR = join(KIND_DIR, 'actions');
const load = (dir: string, path: string) => parse(readFileSync(join(dir, path), 'utf8'));

interface HealthTest {
  healthStatus: { status: string; message: string };
  inputPath: string;
}
interface DiscoveryTest {
  inputPath: string;
  result: Array<{ name: string; disabled?: boolean; iconClass?: string; displayName?: string }>;
}
interface ActionTest {
  action: string;
  inputPath: string;
  expectedOutputPath: string;
}

const healthTests = (load(KIND_DIR, 'health_test.yaml') as { tests: HealthTest[] }).tests;
const actionTests = load(ACTIONS_DIR, 'action_test.yaml') as { discoveryTests: DiscoveryTest[]; actionTests: ActionTest[] };
const ACTIONS = readdirSync(ACTIONS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'testdata')
  .map((d) => d.name)
  .sort();

describe('argocd/schedule-operator.io/Schedule/health.lua (health_test.yaml under lua5.4)', () => {
  const outcomes = runLua(healthTests.map((t) => ({ script: join(KIND_DIR, 'health.lua'), obj: load(KIND_DIR, t.inputPath) })));

  it.each(healthTests.map((t, i) => ({ ...t, i })))('$inputPath is $healthStatus.status', ({ i, healthStatus }) => {
    expect(outcomes[i]!.error).toBeUndefined();
    expect(outcomes[i]!.result).toEqual(healthStatus);
  });

  it('covers every state the brief names: Progressing, Degraded, Suspended, Healthy', () => {
    expect(new Set(healthTests.map((t) => t.healthStatus.status))).toEqual(new Set(['Progressing', 'Degraded', 'Suspended', 'Healthy']));
  });

  it('uses every file in testdata/ (no orphaned fixtures)', () => {
    const used = new Set(healthTests.map((t) => t.inputPath));
    expect(
      readdirSync(join(KIND_DIR, 'testdata'))
        .map((f) => `testdata/${f}`)
        .filter((f) => !used.has(f)),
    ).toEqual([]);
  });
});

describe('argocd/schedule-operator.io/Schedule/actions (action_test.yaml under lua5.4)', () => {
  it('has the actions run-now, suspend, resume, resume-after-pause, each with an action.lua', () => {
    expect(ACTIONS).toEqual(['resume', 'resume-after-pause', 'run-now', 'suspend']);
    for (const a of ACTIONS) expect(existsSync(join(ACTIONS_DIR, a, 'action.lua')), a).toBe(true);
  });

  const discovery = runLua(
    actionTests.discoveryTests.map((t) => ({ script: join(ACTIONS_DIR, 'discovery.lua'), obj: load(ACTIONS_DIR, t.inputPath) })),
  );
  it.each(actionTests.discoveryTests.map((t, i) => ({ ...t, i })))('discovery of $inputPath', ({ i, result }) => {
    expect(discovery[i]!.error).toBeUndefined();
    // discovery returns a table keyed by action name; Argo CD turns it into a list of ResourceActions
    const got = Object.entries(discovery[i]!.result as Record<string, object>).map(([name, a]) => ({ name, disabled: false, ...a }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(got.sort(byName)).toEqual([...result].sort(byName));
  });

  it('discovery offers exactly the actions that exist, and every action is tested', () => {
    for (const t of actionTests.discoveryTests) expect(t.result.map((r) => r.name).sort()).toEqual(ACTIONS);
    expect([...new Set(actionTests.actionTests.map((t) => t.action))].sort()).toEqual(ACTIONS);
  });

  const actions = runLua(
    actionTests.actionTests.map((t) => ({ script: join(ACTIONS_DIR, t.action, 'action.lua'), obj: load(ACTIONS_DIR, t.inputPath) })),
  );
  it.each(actionTests.actionTests.map((t, i) => ({ ...t, i })))(
    '$action on $inputPath returns $expectedOutputPath',
    ({ i, expectedOutputPath }) => {
      expect(actions[i]!.error).toBeUndefined();
      expect(actions[i]!.result).toEqual(asReturned(load(ACTIONS_DIR, expectedOutputPath)));
    },
  );

  it('run-now and resume-after-pause set a new token each time: the current UTC time (fixed in this runner)', () => {
    const [runNow, resume] = runLua([
      { script: join(ACTIONS_DIR, 'run-now', 'action.lua'), obj: { metadata: { name: 'x' }, spec: {} } },
      {
        script: join(ACTIONS_DIR, 'resume-after-pause', 'action.lua'),
        obj: { metadata: { name: 'x', annotations: { a: 'b' } }, spec: {} },
      },
    ]);
    expect((runNow!.result as any).metadata.annotations).toEqual({ 'schedule-operator.io/run-requested-at': '2026-01-02T03:04:05Z' });
    expect((resume!.result as any).metadata.annotations).toEqual({
      a: 'b',
      'schedule-operator.io/resume-requested-at': '2026-01-02T03:04:05Z',
    });
  });
});

describe('the Lua runner is as strict as Argo CD', () => {
  it('refuses the string library and string methods (absent from argocd-cm scripts)', () => {
    const dir = join(ROOT, '..', 'test', 'unit', 'argocd');
    const [fn, method] = runLua([
      { script: join(dir, 'fixtures', 'uses-string-format.lua'), obj: {} },
      { script: join(dir, 'fixtures', 'uses-string-method.lua'), obj: {} },
    ]);
    expect(fn!.error).toMatch(/string/);
    expect(method!.error).toMatch(/attempt to index|method/);
  });
});

describe('every script under argocd/', () => {
  const scripts = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? scripts(join(dir, d.name)) : d.name.endsWith('.lua') ? [join(dir, d.name)] : [],
    );
  it.each(scripts(KIND_DIR))(
    "%s uses only Lua 5.1 features Argo CD's gopher-lua has (no integer division, goto or bit operators)",
    (file) => {
      const code = readFileSync(file, 'utf8').replace(/--.*$/gm, '');
      expect(code).not.toMatch(/\/\/|\bgoto\b|<<|>>|~(?!=)|&/);
    },
  );
});

describe('argocd/argocd-cm-patch.yaml', () => {
  it('is generated from the files under argocd/ (regenerate with `make argocd-cm`)', async () => {
    const { renderArgoCdPatch } = await import('../../../hack/argocd-cm.js');
    expect(readFileSync(join(ROOT, 'argocd-cm-patch.yaml'), 'utf8')).toBe(renderArgoCdPatch(ROOT));
  });

  it("holds the health check and the actions under the keys Argo CD reads, and the actions parse as Argo CD's ResourceActions", async () => {
    const cm = parse(readFileSync(join(ROOT, 'argocd-cm-patch.yaml'), 'utf8')).data as Record<string, string>;
    expect(Object.keys(cm).sort()).toEqual([
      'resource.customizations.actions.schedule-operator.io_Schedule',
      'resource.customizations.health.schedule-operator.io_Schedule',
    ]);
    expect(cm['resource.customizations.health.schedule-operator.io_Schedule']).toBe(readFileSync(join(KIND_DIR, 'health.lua'), 'utf8'));
    const actions = parse(cm['resource.customizations.actions.schedule-operator.io_Schedule']!);
    expect(actions['discovery.lua']).toBe(readFileSync(join(ACTIONS_DIR, 'discovery.lua'), 'utf8'));
    expect(actions.definitions.map((d: { name: string }) => d.name).sort()).toEqual(ACTIONS);
    for (const d of actions.definitions) expect(d['action.lua']).toBe(readFileSync(join(ACTIONS_DIR, d.name, 'action.lua'), 'utf8'));
  });
});
