// The quick-add search, pure: every module that matches, those of the open
// workflow's family first, the others saying which family they live in.
import type { Family, NodeDefinition } from './types';

export interface QuickAddHit {
  def: NodeDefinition;
  /** the module belongs to the open workflow's family, so it can be added */
  here: boolean;
  /** where the module lives, for the others: "Order Rendering" */
  where: string;
}

function score(d: NodeDefinition, q: string): number {
  if (!q) return 1;
  const label = (d.ui.label ?? '').toLowerCase();
  if (label.startsWith(q) || d.step.toLowerCase().startsWith(q)) return 3;
  if (label.includes(q) || d.step.toLowerCase().includes(q)) return 2;
  if ([d.ui.description, d.ui.category].some((s) => s?.toLowerCase().includes(q))) return 1;
  return 0;
}

export function quickAddHits(query: string, defs: readonly NodeDefinition[], family: string, families: readonly Family[], limit = 30): QuickAddHit[] {
  const q = query.trim().toLowerCase();
  const label = (key: string) => families.find((f) => f.key === key)?.label ?? key;
  return defs
    .map((def) => ({ def, s: score(def, q), here: def.family.includes(family) }))
    .filter((h) => h.s > 0)
    .sort((a, b) => Number(b.here) - Number(a.here) || b.s - a.s || (a.def.ui.label ?? a.def.step).localeCompare(b.def.ui.label ?? b.def.step))
    .slice(0, limit)
    .map(({ def, here }) => ({ def, here, where: def.family.map(label).join(', ') }));
}
