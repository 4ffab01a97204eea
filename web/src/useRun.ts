// A run, kept live: loaded with GET /api/runs/{id}, then while it runs
// followed over its Server-Sent Events stream (statuses apply at once, and
// the full run is fetched again shortly after each change for attempts,
// params and outputs). When EventSource is missing or its stream fails, the
// run is polled every second instead. Progress events (what a running
// node's module says: samples, frames, its log) apply at once and need no
// fetch; a fetched run keeps the log the page has already seen.
//
// The stream opens only once the page is `ready`, so what the page needs
// first (the run, the node definitions) is fetched before it.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, runEventsUrl } from './api';
import { applyProgressEvent, mergeFetchedRun, parseProgressEvent, staleFetch } from './progress';
import { applyRunEvent, isRunOver, parseRunEvent } from './runs';
import type { RunDetail } from './types';

/** How the view follows the run: over SSE, by polling, or not (it is over). */
export type LiveMode = 'idle' | 'connecting' | 'stream' | 'polling';

const REFETCH_MS = 250;
const POLL_MS = 1000;

export interface LiveRun {
  run: RunDetail | null;
  /** why the run cannot be shown */
  error: string;
  live: LiveMode;
  /** fetch the run again now */
  refresh: () => Promise<void>;
  /** replace the run locally (after cancel or re-run) until the server says more */
  patch: (fn: (r: RunDetail) => RunDetail) => void;
}

export function useRun(id: string, ready = true): LiveRun {
  const [run, setRun] = useState<RunDetail | null>(null);
  const [error, setError] = useState('');
  const [live, setLive] = useState<LiveMode>('idle');
  const current = useRef(id);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // Turns, to tell an answer sent before the run's end from one sent after
  // (progress.ts, staleFetch).
  const turn = useRef(0);
  const endSeen = useRef(0);
  current.current = id;

  const refresh = useCallback(async () => {
    try {
      const sent = ++turn.current;
      const r = await api.run(id);
      if (current.current === id && !staleFetch(sent, endSeen.current, r)) {
        setRun((prev) => mergeFetchedRun(prev, r, Date.now()));
        setError('');
      }
    } catch (e) {
      if (current.current === id) setError((e as Error).message);
    }
  }, [id]);

  const scheduleRefetch = useCallback(() => {
    clearTimeout(refetchTimer.current);
    refetchTimer.current = setTimeout(refresh, REFETCH_MS);
  }, [refresh]);

  useEffect(() => {
    setRun(null);
    setError('');
    refresh();
    return () => clearTimeout(refetchTimer.current);
  }, [refresh]);

  const running = run?.status === 'running';
  useEffect(() => {
    if (!running || !ready) {
      setLive('idle');
      return;
    }
    let closed = false;
    let es: EventSource | null = null;
    let poll: ReturnType<typeof setTimeout> | undefined;

    const startPolling = () => {
      setLive('polling');
      const tick = async () => {
        try {
          const sent = ++turn.current;
          const r = await api.run(id);
          if (closed) return;
          if (!staleFetch(sent, endSeen.current, r)) setRun((prev) => mergeFetchedRun(prev, r, Date.now()));
          if (isRunOver(r.status)) return;
        } catch {
          /* keep trying: the server may be restarting */
        }
        if (!closed) poll = setTimeout(tick, POLL_MS);
      };
      poll = setTimeout(tick, POLL_MS);
    };

    if (typeof EventSource === 'undefined') {
      startPolling();
    } else {
      setLive('connecting');
      es = new EventSource(runEventsUrl(id));
      es.onopen = () => !closed && setLive('stream');
      const handle = (type: string) => (e: Event) => {
        const ev = parseRunEvent(type, (e as MessageEvent).data);
        if (!ev || closed) return;
        if (ev.type === 'error') {
          es?.close();
          setError(ev.message);
          return;
        }
        setRun((r) => (r ? applyRunEvent(r, ev) : r));
        scheduleRefetch();
        if (ev.type === 'run' && isRunOver(ev.status)) {
          endSeen.current = ++turn.current;
          // The stream ends with the run; closing first keeps EventSource from reconnecting.
          es?.close();
          clearTimeout(refetchTimer.current);
          refresh();
        }
      };
      es.addEventListener('progress', (e) => {
        const ev = parseProgressEvent((e as MessageEvent).data);
        if (!ev || closed) return;
        setRun((r) => (r ? applyProgressEvent(r, ev, Date.now()) : r));
      });
      es.addEventListener('node', handle('node'));
      es.addEventListener('run', handle('run'));
      es.addEventListener('error', (e) => {
        if (closed) return;
        if (e instanceof MessageEvent && typeof e.data === 'string' && e.data) {
          handle('error')(e);
          return;
        }
        // The connection failed or dropped while the run goes on: poll instead.
        es?.close();
        startPolling();
      });
    }
    return () => {
      closed = true;
      es?.close();
      clearTimeout(poll);
    };
  }, [id, running, ready, refresh, scheduleRefetch]);

  const patch = useCallback((fn: (r: RunDetail) => RunDetail) => setRun((r) => (r ? fn(r) : r)), []);
  return { run, error, live, refresh, patch };
}
