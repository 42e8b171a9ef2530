/**
 * Waiting on state that has no event to wait on: the condition is checked on every turn of the event loop
 * (setImmediate, so I/O keeps flowing) until it holds, and the wait fails after `timeoutMs`, naming what it waited for.
 */
export function waitUntil(cond: () => boolean, what = 'a condition', timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (cond()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      setImmediate(check);
    };
    check();
  });
}

/** The first item of `list` (already there or pushed later) matching `pred`. */
export async function waitForItem<T>(list: T[], pred: (item: T) => boolean, timeoutMs = 3000): Promise<T> {
  let hit: T | undefined;
  await waitUntil(() => (hit = list.find(pred)) !== undefined, `a matching item; have ${JSON.stringify(list).slice(0, 500)}`, timeoutMs).catch((err: Error) => {
    throw new Error(`${err.message.split('; have')[0]}; have ${JSON.stringify(list).slice(0, 500)}`);
  });
  return hit as T;
}

export function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  return waitUntil(cond, 'a condition', timeoutMs);
}
