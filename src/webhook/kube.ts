// The webhook's two questions to the API server, asked through src/kube/admission.ts, in AdmitDeps' shape.
import { dryRunCreateCronJob, subjectAccessReview } from '../kube/admission.js';
import { type ApiError, isInvalid, type Rest } from '../kube/rest.js';
import type { CronJob } from '../types/kube.js';
import type { AccessResult, AdmitDeps, DryRunResult, UserInfo } from './admit.js';

/** Both calls must answer well inside the webhook's timeoutSeconds (the chart's default is 5 s). */
const CALL_TIMEOUT_MS = 3_000;

export function webhookKube(rest: Rest): Pick<AdmitDeps, 'dryRunCronJob' | 'canCreateJobs'> {
  return {
    async dryRunCronJob(cronJob: CronJob): Promise<DryRunResult> {
      try {
        await dryRunCreateCronJob(rest, cronJob, CALL_TIMEOUT_MS);
        return { ok: true };
      } catch (err) {
        if (isInvalid(err)) {
          return { ok: false, invalid: true, causes: invalidCauses(err) };
        }
        return { ok: false, invalid: false, message: (err as Error).message };
      }
    },

    async canCreateJobs(user: UserInfo, namespace: string): Promise<AccessResult> {
      try {
        return await subjectAccessReview(
          rest,
          user,
          { namespace, verb: 'create', group: 'batch', version: 'v1', resource: 'jobs' },
          CALL_TIMEOUT_MS,
        );
      } catch (err) {
        return { allowed: false, error: (err as Error).message };
      }
    },
  };
}

/**
 * invalidCauses turns the API server's Invalid status into lines naming Schedule fields: the CronJob's
 * spec.jobTemplate is the Schedule's spec.jobTemplate, so the paths read the same.
 */
export function invalidCauses(err: ApiError): string[] {
  const details = err.details as { causes?: Array<{ field?: string; message?: string }> } | undefined;
  const causes = (details?.causes ?? []).filter((c) => c.message);
  if (causes.length === 0) return [err.message];
  return causes.map((c) => (c.field ? `${c.field}: ${c.message}` : String(c.message)));
}
