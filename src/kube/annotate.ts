// The API call behind `schedule-operator run` (and any command that asks the operator for something by
// annotation): a merge patch that sets annotations on a Schedule.
import { GROUP, PLURAL, VERSION } from '../api/schedule.js';
import type { Rest } from './rest.js';

/** annotateSchedule sets the given annotations on the Schedule; throws ApiError (404 when there is no such Schedule). */
export async function annotateSchedule(rest: Rest, namespace: string, name: string, annotations: Record<string, string>): Promise<void> {
  await rest.request('PATCH', `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}`, {
    body: { metadata: { annotations } },
    contentType: 'application/merge-patch+json',
  });
}
