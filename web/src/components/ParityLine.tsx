// One line on an output type: how its shadow runs compared so far and
// whether it is ready to switch to graph ("Parity: 5 of 5 identical — ready
// to switch"), from GET /api/output-types/{key}/parity. The rule is the
// server's (docs/legacy.md); its text is the line's tooltip.
import { useEffect, useState } from 'react';
import { api } from '../api';
import type { ParityHistory } from '../types';

export function parityLineText(h: ParityHistory): string {
  if (h.shadow_runs === 0) return 'Parity: no shadow runs yet';
  const running = h.pending ? ` (${h.pending} running)` : '';
  if (h.complete === 0) return `Parity: waiting for the first shadow run${running}`;
  const head = `Parity: ${h.identical} of ${h.complete} identical`;
  if (h.ready) return `${head} — ready to switch${running}`;
  const more = h.ready_after - h.streak;
  return `${head} — ${more} more identical in a row to switch${running}`;
}

export function ParityLine({ outputType }: { outputType: string }) {
  const [history, setHistory] = useState<ParityHistory | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    api.outputTypeParity(outputType).then(
      (h) => live && setHistory(h),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [outputType]);
  if (error) return <div className="small muted" data-testid={`ot-parity-${outputType}`}>Parity: {error}</div>;
  if (!history) return null;
  const tone = history.ready ? 'ok' : history.different ? 'parity-warn' : 'muted';
  return (
    <div className={`small ${tone}`} title={history.rule} data-testid={`ot-parity-${outputType}`}>
      {parityLineText(history)}
    </div>
  );
}
