// The API call behind `schedule-operator run`: a merge patch that sets the run-requested-at annotation.
import { ANNOTATION_RUN_REQUESTED_AT, GROUP, PLURAL, VERSION } from '../api/schedule.js';
import type { Rest } from './rest.js';

/** requestRun sets the Schedule's run-requested-at annotation to `token`; throws ApiError (404 when there is no such Schedule). */
export async function requestRun(rest: Rest, namespace: string, name: string, token: string): Promise<void> {
  await rest.request('PATCH', `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}`, {
    body: { metadata: { annotations: { [ANNOTATION_RUN_REQUESTED_AT]: token } } },
    contentType: 'application/merge-patch+json',
  });
}
