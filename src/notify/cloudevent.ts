// The callback a finished run sends: a CloudEvents 1.0 event in structured JSON mode, signed with
// HMAC-SHA256 of the exact body bytes. Pure.
import { createHmac } from 'node:crypto';
import { API_VERSION, PLURAL, type Run } from '../api/schedule.js';

export const EVENT_TYPE = 'io.schedule-operator.run.finished';
export const SIGNATURE_HEADER = 'X-Schedule-Signature';
export const CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

export interface RunFinishedData {
  schedule: string;
  namespace: string;
  job: string;
  jobUID: string | undefined;
  trigger: Run['trigger'];
  scheduledTime: string | undefined;
  startTime: string | undefined;
  completionTime: string | undefined;
  durationSeconds: number | undefined;
  result: Run['result'];
  reason: string | undefined;
}

/**
 * runFinishedEvent is the body of one callback. `id` is the Job uid: the idempotency key a receiver
 * uses to drop the duplicates that at-least-once delivery may produce.
 */
export function runFinishedEvent(namespace: string, schedule: string, run: Run): string {
  const data: RunFinishedData = {
    schedule,
    namespace,
    job: run.jobName,
    jobUID: run.jobUID,
    trigger: run.trigger,
    scheduledTime: run.scheduledTime,
    startTime: run.startTime,
    completionTime: run.completionTime,
    durationSeconds: run.durationSeconds,
    result: run.result,
    reason: run.reason,
  };
  return JSON.stringify({
    specversion: '1.0',
    type: EVENT_TYPE,
    source: `/apis/${API_VERSION}/namespaces/${namespace}/${PLURAL}/${schedule}`,
    id: run.jobUID ?? `${namespace}/${run.jobName}`,
    subject: run.jobName,
    ...(run.completionTime ? { time: run.completionTime } : {}),
    datacontenttype: 'application/json',
    data,
  });
}

/** signature is the X-Schedule-Signature value: "sha256=" + hex HMAC-SHA256 of the body, keyed by the Secret value. */
export function signature(body: string, key: Buffer): string {
  return `sha256=${createHmac('sha256', key).update(body, 'utf8').digest('hex')}`;
}
