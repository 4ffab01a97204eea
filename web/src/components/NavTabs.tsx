import type { MouseEvent } from 'react';
import type { Section } from '../route';
import { SessionChip } from './SessionChip';

/** A tab: every section but home, which the brand links to. */
export type View = Exclude<Section, 'home'>;

// The sections, in the order operators meet them: author, sell, make, watch; then set up.
const SECTIONS: [View, string][] = [
  ['editor', 'Workflows'],
  ['output-types', 'Output types'],
  ['products', 'Products'],
  ['orders', 'Orders'],
  ['runs', 'Runs'],
  ['settings', 'Settings'],
];

/** The app's top-level views, as links (a middle click opens a new tab). */
export function NavTabs({ current, hrefs, onGo }: { current: Section | undefined; hrefs: Record<View, string>; onGo: (view: View) => void }) {
  return (
    <nav className="view-tabs" aria-label="Views">
      {SECTIONS.map(([view, label]) => (
        <a
          key={view}
          href={hrefs[view]}
          className={`view-tab${current === view ? ' active' : ''}`}
          aria-current={current === view ? 'page' : undefined}
          data-testid={`nav-${view}`}
          onClick={(e: MouseEvent) => {
            if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
            e.preventDefault();
            onGo(view);
          }}
        >
          {label}
        </a>
      ))}
    </nav>
  );
}

/** The app's name, at the left of every top bar. */
export function Brand() {
  return (
    <div className="brand">
      <a href="/" className="brand-home" title="Home: where to start" data-testid="nav-home">
        <span className="brand-mark">P</span>
        <span className="brand-name">Prodflow</span>
      </a>
      <SessionChip />
    </div>
  );
}
