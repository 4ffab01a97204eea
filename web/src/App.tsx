// The app: the workflow editor, the catalog sections and the run view, switched
// by the URL (see route.ts). The editor itself is components/Editor.tsx.
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useRef } from 'react';
import { CatalogView } from './components/CatalogView';
import { Editor } from './components/Editor';
import { NavTabs, type View } from './components/NavTabs';
import { NotFoundPage } from './components/NotFoundPage';
import { RunsView } from './components/RunsView';
import { EDITOR_URL, sectionOf, useRoute, type CatalogRoute } from './route';

/**
 * The editor, the catalog sections and the run view. The editor stays
 * mounted while another section shows, so unsaved work survives a look
 * elsewhere; its tab returns to the URL it had.
 */
export function App() {
  const [route, navigate] = useRoute();
  const editorUrl = useRef(EDITOR_URL);
  const inEditor = route.view === 'editor';
  const section = sectionOf(route);
  useEffect(() => {
    if (inEditor) document.title = 'Prodflow · Workflow editor';
    else if (route.view === 'not-found') document.title = 'Prodflow · Page not found';
  }, [inEditor, route.view]);
  const lists: Record<Exclude<View, 'editor'>, string> = { 'output-types': '/output-types', products: '/products', orders: '/orders', runs: '/runs', settings: '/settings' };
  const go = (view: View) => {
    if (view === section && view === 'editor' && inEditor) return;
    if (inEditor) editorUrl.current = window.location.pathname + window.location.search;
    navigate(view === 'editor' ? editorUrl.current : lists[view]);
  };
  const nav = <NavTabs current={section} hrefs={{ editor: editorUrl.current, ...lists }} onGo={go} />;
  const intent = route.view === 'editor' && route.newFamily ? { family: route.newFamily, returnTo: route.returnTo } : undefined;
  return (
    <>
      <div className="view-host" style={{ display: inEditor ? 'contents' : 'none' }}>
        <ReactFlowProvider>
          <Editor active={inEditor} nav={nav} intent={intent} onNavigate={(url) => navigate(url)} />
        </ReactFlowProvider>
      </div>
      {(route.view === 'runs' || route.view === 'run') && <RunsView route={route} navigate={navigate} nav={nav} />}
      {route.view === 'not-found' && <NotFoundPage path={route.path} navigate={navigate} nav={<NavTabs current={undefined} hrefs={{ editor: editorUrl.current, ...lists }} onGo={go} />} />}
      {section !== 'editor' && section !== 'runs' && <CatalogView route={route as CatalogRoute} navigate={navigate} nav={nav} />}
    </>
  );
}
