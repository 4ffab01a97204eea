// Add a module by name (`/` or a double-click on the canvas): every module
// matches, the open family's first; the others say where they live and
// cannot be added here. Arrows move, Enter adds.
import { useMemo, useState } from 'react';
import { quickAddHits } from '../quickAdd';
import type { Family, NodeDefinition } from '../types';
import { Icon } from './Icon';
import { Modal } from './Modal';

export interface QuickAddProps {
  definitions: readonly NodeDefinition[];
  family: string;
  families: readonly Family[];
  /** why a module of the family cannot be added now (the entry node), if it cannot */
  blocked: (def: NodeDefinition) => string | undefined;
  onAdd: (step: string) => void;
  onClose: () => void;
}

export function QuickAdd({ definitions, family, families, blocked, onAdd, onClose }: QuickAddProps) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const hits = useMemo(
    () => quickAddHits(query, definitions, family, families).map((h) => ({ ...h, reason: h.here ? blocked(h.def) : `it lives in ${h.where}` })),
    [query, definitions, family, families, blocked],
  );
  const addable = hits.filter((h) => !h.reason);
  const current = addable[Math.min(active, addable.length - 1)];
  const familyLabel = families.find((f) => f.key === family)?.label ?? family;
  return (
    <Modal title="Add a module" onClose={onClose} testId="quick-add">
      <div className="dialog-body quick-add">
        <input
          type="search"
          placeholder={`Search modules — ${familyLabel} first`}
          aria-label="Search modules by name"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              const n = addable.length;
              if (n) setActive((i) => (Math.min(i, n - 1) + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
            } else if (e.key === 'Enter' && current) {
              e.preventDefault();
              onAdd(current.def.step);
            }
          }}
          data-testid="quick-add-search"
        />
        {hits.length === 0 && <p className="empty">No module matches “{query}”.</p>}
        <ul className="quick-add-list" role="listbox" aria-label="Modules">
          {hits.map((h) => (
            <li key={h.def.step} role="option" aria-selected={h === current} aria-disabled={!!h.reason}>
              <button
                type="button"
                className={`quick-add-item${h === current ? ' active' : ''}${h.here ? '' : ' elsewhere'}`}
                disabled={!!h.reason}
                onClick={() => onAdd(h.def.step)}
                data-testid={`quick-add-${h.def.step}`}
              >
                <Icon name={h.def.ui.icon} />
                <span className="quick-add-label">{h.def.ui.label ?? h.def.step}</span>
                <span className="mono muted small">{h.def.step}</span>
                {h.reason && <span className="quick-add-where small">{h.here ? `cannot be added: ${h.reason}` : `lives in ${h.where}`}</span>}
              </button>
            </li>
          ))}
        </ul>
      </div>
    </Modal>
  );
}
