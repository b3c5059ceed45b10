// Conditions of a Schedule: types, reasons (PascalCase) and the transition-time rule of metav1.Condition.
import type { Condition } from './schedule.js';

export const CONDITION_READY = 'Ready';
export const CONDITION_SUSPENDED = 'Suspended';
/** CONDITION_RECONCILING (kstatus, abnormal-true): True while a pass is retrying after a transient failure. */
export const CONDITION_RECONCILING = 'Reconciling';
/** CONDITION_STALLED (kstatus, abnormal-true): True while only a person can fix what stops the Schedule. */
export const CONDITION_STALLED = 'Stalled';

/** Reasons of healthy states (conditions and Normal Events); failure reasons are the error codes of src/errors.ts. */
export const Reason = {
  Reconciled: 'Reconciled',
  Suspended: 'Suspended',
  Active: 'Active',
  RunStarted: 'RunStarted',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export interface ConditionInput {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
}

/**
 * setConditions returns `current` with each input condition set: lastTransitionTime moves only when
 * the status changes, so an unchanged condition is byte-for-byte the same (no status write).
 */
export function setConditions(
  current: Condition[] | undefined,
  inputs: ConditionInput[],
  generation: number | undefined,
  now: string,
): Condition[] {
  const result = [...(current ?? [])];
  for (const input of inputs) {
    const i = result.findIndex((c) => c.type === input.type);
    const prev = i >= 0 ? result[i] : undefined;
    const next: Condition = {
      type: input.type,
      status: input.status,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: prev && prev.status === input.status ? prev.lastTransitionTime : now,
      reason: input.reason,
      message: input.message,
    };
    if (i >= 0) result[i] = next;
    else result.push(next);
  }
  return result;
}

export function findCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
