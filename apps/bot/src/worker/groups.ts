/**
 * Runs groups of tasks side by side, at most `concurrency` groups at a time, each group's
 * tasks one after another in order: one user's commands or one channel's messages stay in
 * order, while a slow group (a busy channel Discord is rate limiting) holds up no other.
 */
export async function runGroups<T>(
  groups: Iterable<readonly T[]>,
  concurrency: number,
  run: (item: T) => Promise<void>,
  afterGroup: () => Promise<void> = async () => {},
): Promise<void> {
  const queue = [...groups];
  const worker = async () => {
    for (let group = queue.shift(); group !== undefined; group = queue.shift()) {
      for (const item of group) await run(item);
      await afterGroup();
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, concurrency), queue.length) }, worker),
  );
}

/** Items grouped by key, each group in the items' order. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
