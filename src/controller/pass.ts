// One reconcile pass of one Schedule and the contract its steps share (src/controller/reconcile.ts lists the
// steps). Each step is `(pass) => Promise<StepResult>`: continue, requeue after a delay (and continue; the
// earliest delay wins), or stop (nothing more to do before the status summary). What a step learns it writes
// to the one field of `Pass` it owns; later steps read it. A step that cannot go on throws: a FailedPass from
// the catalogue in src/errors.ts, or any error, which `classify` turns into one.
import type { Logger } from 'pino';
import type { Run, RunRequest, Schedule, ScheduleStatus } from '../api/schedule.js';
import { FailedPass, type ApiCall, type Failure } from '../errors.js';
import { classify } from '../kube/classify.js';
import type { KubeClient } from '../kube/client.js';
import type { CronJob, Job } from '../types/kube.js';
import type { RunMetrics } from '../metrics-runs.js';
import type { Notifier } from '../notify/notifier.js';
import { planLedger, type LedgerPlan } from '../schedule/ledger.js';
import type { SlotDecisions } from '../schedule/slots.js';
import { validateSpec, type ValidationResult } from '../schedule/validate.js';
import { keyOf } from './keys.js';
import type { RequeuePolicy } from './requeue.js';

/** Observed is what the caches hold for one Schedule. */
export interface Observed {
  schedule: Schedule;
  cronJob: CronJob | undefined;
  jobs: Job[];
}

export interface ReconcileDeps {
  kube: KubeClient;
  now: () => Date;
  log: Logger;
  /** minIntervalMinutes is the cluster-wide minimum interval between runs (operator setting), if any. */
  minIntervalMinutes?: number | undefined;
  /** appliedGenerations remembers, per CronJob uid, the generation our last apply produced. */
  appliedGenerations: Map<string, number>;
  /** requeue is the requeue policy (src/controller/requeue.ts). */
  requeue: RequeuePolicy;
  /** notifier delivers completion callbacks; without it pending callbacks wait in status. */
  notifier?: Notifier | undefined;
  /** runMetrics counts runs when the ledger does. */
  runMetrics?: RunMetrics | undefined;
  /** statusWritten hears of every status write, with the Schedule the API server returned (read-your-writes). */
  statusWritten?: ((written: Schedule) => void) | undefined;
  /** statusConflict hears of a status write the API server refused with 409: the Schedule read was stale. */
  statusConflict?: (() => void) | undefined;
  /** firstTime(key) is true the first time this process asks about key (a warning logged once, not every pass). */
  firstTime?: ((key: string) => boolean) | undefined;
}

export type StepResult = { kind: 'continue' } | { kind: 'requeueAfter'; ms: number } | { kind: 'stop'; reason: string };
export const proceed: StepResult = { kind: 'continue' };
export const requeueAfter = (ms: number): StepResult => ({ kind: 'requeueAfter', ms });
export const stop = (reason: string): StepResult => ({ kind: 'stop', reason });

export type Step = (pass: Pass) => Promise<StepResult>;

/** Pass is one reconcile of one Schedule: its inputs, and what the steps learned (each field has one writer). */
export interface Pass {
  readonly observed: Observed;
  readonly deps: ReconcileDeps;
  readonly log: Logger;
  /** key is the Schedule's work-queue key (also the notifier's). */
  readonly key: string;
  /** validation is the spec, checked once before the steps. */
  readonly validation: ValidationResult;
  /** cronJob: the observed CronJob, replaced by applyCronJob with the applied one, or undefined when it is not ours. */
  cronJob: CronJob | undefined;
  /** cronJobProblem (applyCronJob): why the CronJob does not follow the spec (CronJobRejected, CronJobNotOwned). */
  cronJobProblem: Failure | undefined;
  /** jobs (confirmJobs; runNow adds the Job it created): the Schedule's own Jobs that the API server still has. */
  jobs: Job[];
  /** ledger (confirmJobs): what the summary counts and which finalizers move. */
  ledger: LedgerPlan;
  /** runRequest (runNow): the outcome of a run-now request handled in this pass. */
  runRequest: RunRequest | undefined;
  /** failedRuns (readFailedPods): the runs this pass counts as Failed, with their failure details. */
  failedRuns: Run[];
  /** slots (decideSlots): this pass's slot decisions; the summary persists them with the counts. */
  slots: SlotDecisions | undefined;
  /** slotsWritten (summarize): the summary's status write carried `slots` (metrics and Events may follow). */
  slotsWritten: boolean;
  /** overdueAt (summarize): when spec.expectSuccessWithin runs out without a success (requeue then, if ahead). */
  overdueAt: string | undefined;
  /** status (summarize): the Schedule's status after the summary, written or unchanged. */
  status: ScheduleStatus;
  /** asked: the earliest requeue a step asked for. */
  asked: number | undefined;
  writes: number;
}

/** beginPass validates the spec and sets what is known before any step ran. */
export function beginPass(observed: Observed, deps: ReconcileDeps): Pass {
  const { metadata, status } = observed.schedule;
  return {
    observed,
    deps,
    log: deps.log.child({ namespace: metadata.namespace, name: metadata.name, generation: metadata.generation }),
    key: keyOf(metadata.namespace, metadata.name),
    validation: validateSpec(observed.schedule.spec, {
      minIntervalMinutes: deps.minIntervalMinutes,
      allowPrivateCallbackTargets: deps.notifier?.allowPrivateTargets,
    }),
    cronJob: observed.cronJob,
    cronJobProblem: undefined,
    jobs: [],
    ledger: planLedger(status, []),
    runRequest: undefined,
    failedRuns: [],
    slots: undefined,
    slotsWritten: false,
    overdueAt: undefined,
    status: status ?? {},
    asked: undefined,
    writes: 0,
  };
}

/** runSteps runs steps in order until one stops or throws; a throw comes back as a FailedPass (never thrown here). */
export async function runSteps(pass: Pass, steps: ReadonlyArray<readonly [string, Step]>): Promise<FailedPass | undefined> {
  for (const [name, step] of steps) {
    try {
      const result = await step(pass);
      if (result.kind === 'requeueAfter') pass.asked = Math.min(pass.asked ?? Infinity, result.ms);
      if (result.kind === 'stop') {
        pass.log.debug({ step: name, reason: result.reason }, 'pass stops before the status summary');
        return undefined;
      }
    } catch (err) {
      const failed = asFailedPass(err, pass);
      pass.log.debug({ step: name, code: failed.failure.code }, 'step failed');
      return failed;
    }
  }
  return undefined;
}

/** asFailedPass: a FailedPass as thrown, or the catalogue's reading of any other error. */
export function asFailedPass(err: unknown, pass: Pass): FailedPass {
  if (err instanceof FailedPass) return err;
  const { namespace, name } = pass.observed.schedule.metadata;
  const call: ApiCall = { what: `reconciling Schedule ${namespace}/${name}`, verb: '', resource: '', group: '', namespace };
  return new FailedPass(classify(err, call), { cause: err });
}

/** attempt runs one API call; a failure becomes a FailedPass that names the call. */
export async function attempt<T>(call: ApiCall, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new FailedPass(classify(err, call), { cause: err });
  }
}
