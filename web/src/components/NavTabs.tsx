import type { MouseEvent } from 'react';

export type View = 'editor' | 'runs';

/** The app's top-level views, as links (a middle click opens a new tab). */
export function NavTabs({ current, hrefs, onGo }: { current: View; hrefs: Record<View, string>; onGo: (view: View) => void }) {
  const link = (view: View, label: string) => (
    <a
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
  );
  return (
    <nav className="view-tabs" aria-label="Views">
      {link('editor', 'Editor')}
      {link('runs', 'Runs')}
    </nav>
  );
}
