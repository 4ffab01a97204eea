import { useMemo, useState } from 'react';
import type { NodeDefinition } from '../types';
import { Icon } from './Icon';

export const STEP_MIME = 'application/x-prodflow-step';

export interface PaletteProps {
  definitions: NodeDefinition[];
  familyLabel: string;
  /** why a step cannot be added now, if it cannot */
  blocked: (def: NodeDefinition) => string | undefined;
  readOnly: boolean;
  onAdd: (step: string) => void;
}

export function Palette({ definitions, familyLabel, blocked, readOnly, onAdd }: PaletteProps) {
  const [query, setQuery] = useState('');
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const match = (d: NodeDefinition) =>
      !q || [d.step, d.ui.label, d.ui.description, d.ui.category].some((s) => s?.toLowerCase().includes(q));
    const map = new Map<string, NodeDefinition[]>();
    for (const d of definitions.filter(match)) {
      const c = d.ui.category || 'Other';
      map.set(c, [...(map.get(c) ?? []), d]);
    }
    return [...map.entries()];
  }, [definitions, query]);
  return (
    <div className="palette" data-testid="palette">
      <div className="palette-search">
        <input
          type="search"
          placeholder={`Search ${familyLabel} modules`}
          aria-label="Search modules"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="palette-search"
        />
      </div>
      {readOnly && <p className="notice small">Read-only version: nothing can be added.</p>}
      {groups.length === 0 && <p className="empty">No module matches “{query}”.</p>}
      {groups.map(([category, defs]) => (
        <div className="palette-group" key={category}>
          <div className="palette-group-title">{category}</div>
          {defs.map((d) => {
            const reason = readOnly ? 'read-only version' : blocked(d);
            return (
              <button
                type="button"
                key={d.step}
                className={`palette-item${d.available ? '' : ' unavailable'}`}
                data-testid={`palette-item-${d.step}`}
                disabled={!!reason}
                draggable={!reason}
                onDragStart={(e) => {
                  e.dataTransfer.setData(STEP_MIME, d.step);
                  e.dataTransfer.effectAllowed = 'move';
                }}
                onClick={() => onAdd(d.step)}
                title={reason ? `Cannot add: ${reason}` : d.available ? `Add ${d.ui.label ?? d.step} (click or drag onto the canvas)` : `${d.unavailable_reason ?? 'not available yet'}; it can still be placed`}
              >
                <span className="palette-item-icon">
                  <Icon name={d.ui.icon} />
                </span>
                <span className="palette-item-text">
                  <span className="palette-item-label">
                    {d.ui.label ?? d.step}
                    {d.entry && <span className="badge badge-entry">entry</span>}
                  </span>
                  <span className="palette-item-step">
                    <span className="mono">{d.step}</span>
                    {!d.available && (
                      <span className="badge badge-muted" title={d.unavailable_reason}>
                        unavailable
                      </span>
                    )}
                  </span>
                  {reason && <span className="palette-item-reason">{reason}</span>}
                  {!reason && d.ui.description && <span className="palette-item-desc">{d.ui.description}</span>}
                </span>
              </button>
            );
          })}
        </div>
      ))}
    </div>
  );
}
