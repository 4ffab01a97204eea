// The API reference ("/api/docs"): the served OpenAPI document
// (/api/openapi.json) in Swagger UI, bundled with the editor so it works
// offline. The viewer is loaded only on this page (a dynamic import), so
// the rest of the editor does not carry it.
import { useEffect, useRef, useState } from 'react';

type SwaggerUI = (opts: Record<string, unknown>) => unknown;

export function ApiDocsPage() {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'loading' | 'ready' | string>('loading');
  useEffect(() => {
    let live = true;
    Promise.all([import('swagger-ui-dist/swagger-ui-es-bundle.js'), import('swagger-ui-dist/swagger-ui.css')])
      .then(([mod]) => {
        if (!live || !host.current) return;
        const ui = ((mod as { default?: SwaggerUI }).default ?? mod) as SwaggerUI;
        ui({
          domNode: host.current,
          url: '/api/openapi.json',
          deepLinking: false,
          // "Try it out" sends requests with the browser's session, as the editor does.
          withCredentials: true,
          onComplete: () => live && setState('ready'),
        });
      })
      .catch((e: Error) => live && setState(e.message));
    return () => {
      live = false;
    };
  }, []);
  return (
    <main className="runs-page catalog-page api-docs-page" data-testid="api-docs" data-state={state === 'loading' || state === 'ready' ? state : 'failed'}>
      <p className="muted small">
        The document itself: <a href="/api/openapi.json">/api/openapi.json</a>. Each operation&apos;s security says which role it needs; the document and this page are public.
      </p>
      {state !== 'loading' && state !== 'ready' && <p className="notice notice-error">Cannot show the API reference: {state}</p>}
      <div ref={host} className="api-docs-host" />
    </main>
  );
}
