// The picture of each listed run (its first image output, else its render's
// video or file type), for the run list. A run's list entry carries no
// outputs, so finished runs' details are fetched, a few at a time and only
// for the first rows; a finished run never changes, so each is fetched once
// per page load.
import { useEffect, useRef, useState } from 'react';
import { api } from './api';
import { previewWanted, runPicture, type RunPicture } from './deliverables';
import type { RunSummary } from './types';

const MAX_ROWS = 40;
const PARALLEL = 3;
const cache = new Map<string, RunPicture | null>();
const asked = new Set<string>();

export function useRunPreviews(runs: readonly RunSummary[] | null): ReadonlyMap<string, RunPicture | null> {
  const [, setVersion] = useState(0);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const wanted = (runs ?? [])
    .slice(0, MAX_ROWS)
    .filter((r) => previewWanted(r.status) && !cache.has(r.id) && !asked.has(r.id))
    .map((r) => r.id)
    .join(' ');
  useEffect(() => {
    if (!wanted) return;
    const queue = wanted.split(' ');
    queue.forEach((id) => asked.add(id));
    const worker = async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        try {
          cache.set(id, runPicture(await api.run(id)) ?? null);
        } catch {
          cache.set(id, null); // no picture rather than asking again and again
        }
        if (mounted.current) setVersion((v) => v + 1);
      }
    };
    for (let i = 0; i < PARALLEL; i++) void worker();
  }, [wanted]);
  return cache;
}
