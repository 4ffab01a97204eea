// The parity report of a run that belongs to a shadow pair, with the other
// run of the pair (for its artifacts). Runs outside a pair are recognised from
// the run list (GET /api/runs?subject=<id>), so no 404 is asked for.
import { useEffect, useState } from 'react';
import { api, ApiFailure } from './api';
import { inShadowPair } from './runs';
import type { ParityReport, RunDetail, RunStatus } from './types';

export interface Parity {
  report: ParityReport;
  legacy?: RunDetail;
  graph?: RunDetail;
}

export interface ParityState {
  parity: Parity | null;
  error: string;
  /** the run was looked up at least once (pair or not) */
  checked: boolean;
}

export function useParity(run: RunDetail | null): ParityState {
  const [parity, setParity] = useState<Parity | null>(null);
  const [error, setError] = useState('');
  const [checked, setChecked] = useState(false);
  const id = run?.id;
  const status: RunStatus | undefined = run?.status;
  const subject = run?.subject;
  const family = run?.family ?? '';
  useEffect(() => {
    if (!id) return;
    let live = true;
    (async () => {
      try {
        const { runs } = await api.runs({ subject: id });
        if (!inShadowPair({ id, status: status ?? 'running', family, subject }, runs)) {
          if (live) {
            setParity(null);
            setChecked(true);
          }
          return;
        }
        const report = await api.parity(id);
        const otherId = report.legacy_run === id ? report.graph_run : report.legacy_run;
        const other = await api.run(otherId).catch(() => undefined);
        const self = await api.run(id);
        if (!live) return;
        const [legacy, graph] = report.legacy_run === id ? [self, other] : [other, self];
        setParity({ report, legacy, graph });
        setError('');
        setChecked(true);
      } catch (e) {
        if (!live) return;
        if (e instanceof ApiFailure && e.status === 404) setParity(null);
        else setError((e as Error).message);
        setChecked(true);
      }
    })();
    return () => {
      live = false;
    };
    // The report changes when the run ends (status); a run's subject and family never change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, status]);
  return { parity, error, checked };
}
