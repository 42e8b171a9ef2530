/**
 * Waiting on state that has no event to wait on: the condition is checked on every turn of the event loop
 * (setImmediate, so I/O keeps flowing) until it holds, and the wait fails after `timeoutMs`, naming what it waited for
 * (`what` may be a function, read at the timeout, to show the last state seen). The condition may be async (e.g. a
 * read over HTTP): one check runs at a time.
 */
export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string | (() => string) = 'a condition', timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await cond()) return;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The first item of `list` (already there or pushed later) matching `pred`. */
export async function waitForItem<T>(list: T[], pred: (item: T) => boolean, timeoutMs = 3000): Promise<T> {
  let hit: T | undefined;
  await waitUntil(() => (hit = list.find(pred)) !== undefined, () => `a matching item; have ${JSON.stringify(list).slice(0, 500)}`, timeoutMs);
  return hit as T;
}

export function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  return waitUntil(cond, 'a condition', timeoutMs);
}
