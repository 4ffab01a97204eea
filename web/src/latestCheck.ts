// A check that follows something as it changes (the server's validation of
// the graph as it is edited): asked for again and again, it runs once the
// asking has paused for `delayMs`, and only the answer for the latest ask is
// applied, so a slow answer about an older graph never paints over a newer one.
// Pure apart from the timers, which tests replace.

export interface LatestCheck<P> {
  /** check `payload` (known by `key`) once asking pauses; a newer ask replaces it */
  request: (key: string, payload: P) => void;
  /** forget what was asked: nothing pending runs, no answer in flight is applied */
  cancel: () => void;
  /** the key of the ask that is waiting or in flight, if any */
  pending: () => string | undefined;
}

export function latestCheck<P, R>(
  delayMs: number,
  check: (payload: P) => Promise<R>,
  apply: (key: string, result: R) => void,
  fail: (key: string, error: Error) => void = () => {},
): LatestCheck<P> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let latest: string | undefined;
  // Every ask gets a number; an answer is applied only for the newest.
  let seq = 0;

  const request = (key: string, payload: P) => {
    const mine = ++seq;
    latest = key;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      check(payload).then(
        (r) => {
          if (mine !== seq) return;
          latest = undefined;
          apply(key, r);
        },
        (e: Error) => {
          if (mine !== seq) return;
          latest = undefined;
          fail(key, e);
        },
      );
    }, delayMs);
  };

  const cancel = () => {
    seq++;
    latest = undefined;
    clearTimeout(timer);
    timer = undefined;
  };

  return { request, cancel, pending: () => latest };
}

/**
 * What the graph needs: the logic to check, or undefined when the problems
 * shown are about it already (or it is as it was opened and never checked).
 */
export function needsCheck(docLogic: string, checkedLogic: string | null, openedLogic: string | null): string | undefined {
  if (!docLogic) return undefined;
  const known = checkedLogic ?? openedLogic;
  return docLogic === known ? undefined : docLogic;
}
