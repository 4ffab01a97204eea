// A value fetched from the server when a page opens and again on reload().
import { useCallback, useEffect, useState } from 'react';

/** `fetch` must keep its identity (a module function or a useCallback), or it fetches on every render. */
export function useFetched<T>(fetch: () => Promise<T>): { data: T | null; error: string; reload: () => Promise<void> } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState('');
  const reload = useCallback(async () => {
    try {
      setData(await fetch());
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  }, [fetch]);
  useEffect(() => {
    reload();
  }, [reload]);
  return { data, error, reload };
}
