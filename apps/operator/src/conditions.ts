import type { Condition, ConditionStatus } from './wikistream.js';

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration: number;
}

/**
 * Sets one condition in a list, Kubernetes style: `lastTransitionTime` moves only when the
 * status changes, so it tells how long the resource has been in its current state.
 */
export function setCondition(
  conditions: readonly Condition[],
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  const previous = conditions.find((c) => c.type === update.type);
  const lastTransitionTime =
    previous && previous.status === update.status
      ? previous.lastTransitionTime
      : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const next: Condition = { ...update, lastTransitionTime };
  return previous
    ? conditions.map((c) => (c.type === update.type ? next : c))
    : [...conditions, next];
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when both lists say the same thing, ignoring transition times. */
export function sameConditions(a: readonly Condition[], b: readonly Condition[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x) => {
    const y = findCondition(b, x.type);
    return (
      y !== undefined &&
      y.status === x.status &&
      y.reason === x.reason &&
      y.message === x.message &&
      y.observedGeneration === x.observedGeneration
    );
  });
}
