// The run view: the top bar with the app's navigation, then the run list or
// one run, by URL (see route.ts).
import { useEffect, useState, type ReactNode } from 'react';
import { api } from '../api';
import { routeUrl, type Navigate, type Route } from '../route';
import type { Family, PortType } from '../types';
import { Brand } from './NavTabs';
import { RunPage } from './RunPage';
import { RunsPage } from './RunsPage';

export interface RunsViewProps {
  route: Extract<Route, { view: 'runs' | 'run' }>;
  navigate: Navigate;
  nav: ReactNode;
}

export function RunsView({ route, navigate, nav }: RunsViewProps) {
  const [families, setFamilies] = useState<Family[]>([]);
  const [portTypes, setPortTypes] = useState<PortType[]>([]);
  const [bootError, setBootError] = useState('');

  useEffect(() => {
    api.families().then(
      (r) => {
        setFamilies(r.families);
        setPortTypes(r.vocabulary?.port_types ?? []);
      },
      (e: Error) => setBootError(e.message),
    );
  }, []);

  useEffect(() => {
    document.title = route.view === 'run' ? `Prodflow · Run ${route.id}` : 'Prodflow · Runs';
  }, [route]);

  return (
    <div className="runs-app" data-testid="runs-app">
      <header className="topbar">
        <Brand />
        {nav}
        <div className="doc-meta muted">{route.view === 'run' ? <span className="mono">{route.id}</span> : 'Workflow runs'}</div>
      </header>
      {bootError && <p className="notice notice-error runs-boot-error">Cannot reach the server: {bootError}</p>}
      {route.view === 'runs' ? (
        <RunsPage
          families={families}
          status={route.status}
          onFilter={(status) => navigate(routeUrl({ view: 'runs', status }), { replace: true })}
          onOpen={(id) => navigate(routeUrl({ view: 'run', id }))}
        />
      ) : (
        <RunPage
          key={route.id}
          id={route.id}
          node={route.node}
          families={families}
          portTypes={portTypes}
          onSelectNode={(node) => navigate(routeUrl({ view: 'run', id: route.id, node }), { replace: true })}
          onOpenRun={(id) => navigate(routeUrl({ view: 'run', id }))}
          onBack={() => navigate(routeUrl({ view: 'runs' }))}
        />
      )}
    </div>
  );
}
