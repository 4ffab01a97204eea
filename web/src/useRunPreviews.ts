// The picture of each listed run (its first image output, else its render's
// video or file type), for the run list.
// A run's list entry carries no outputs, so finished runs' details are
// fetched, a few at a time and only for the first rows; a finished run never
// changes, so each is fetched once per page load.
import { useEffect, useState } from 'react';
import { api } from './api';
import { previewWanted, runPicture, type RunPicture } from './deliverables';
import type { RunSummary } from './types';

const MAX_ROWS = 40;
const PARALLEL = 3;
const cache = new Map<string, RunPicture | null>();

export function useRunPreviews(runs: readonly RunSummary[] | null): ReadonlyMap<string, RunPicture | null> {
  const [, setVersion] = useState(0);
  const wanted = (runs ?? [])
    .slice(0, MAX_ROWS)
    .filter((r) => previewWanted(r.status) && !cache.has(r.id))
    .map((r) => r.id)
    .join(' ');
  useEffect(() => {
    if (!wanted) return;
    let gone = false;
    const queue = wanted.split(' ');
    const worker = async () => {
      for (let id = queue.shift(); id && !gone; id = queue.shift()) {
        try {
          cache.set(id, runPicture(await api.run(id)) ?? null);
        } catch {
          cache.set(id, null);
        }
        if (!gone) setVersion((v) => v + 1);
      }
    };
    for (let i = 0; i < PARALLEL; i++) void worker();
    return () => {
      gone = true;
    };
  }, [wanted]);
  return cache;
}
