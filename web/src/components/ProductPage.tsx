// One product: its details, the STEP upload, and the CAD intake followed
// live. The upload streams the file as the raw body of POST /api/cad-files,
// the product is then PUT with the CAD file's id, and GET /api/cad-files/{id}
// is polled while the intake runs, so the bar follows it and the thumbnail
// shows when its node is done. The GLB the intake made opens in a 3D view
// (three.js, in a chunk of its own that loads only here).
import { lazy, Suspense, useCallback, useEffect, useState, type ChangeEvent } from 'react';
import { api, ApiFailure, artifactUrl } from '../api';
import { formatBytes } from '../runs';
import { productInput, uploadName } from '../catalog';
import type { Navigate } from '../route';
import type { CadFile, Category, JSONSchema, Product } from '../types';
import { AppLink, IntakeBar, PointerList } from './CatalogBits';
import { RunProgress } from './RunProgress';

const POLL_MS = 1000;
const ModelViewer = lazy(() => import('./ModelViewer'));

export function ProductPage({ id, navigate, inputSchema }: { id: string; navigate: Navigate; inputSchema?: JSONSchema }) {
  const [product, setProduct] = useState<Product | null>(null);
  const [cad, setCad] = useState<CadFile | null>(null);
  const [categories, setCategories] = useState<Category[]>([]);
  const [error, setError] = useState('');
  const [upload, setUpload] = useState<{ state: 'idle' | 'uploading' | 'linking' | 'error'; text?: string }>({ state: 'idle' });

  const load = useCallback(async () => {
    try {
      const [p, c] = await Promise.all([api.product(id), api.categories().catch(() => ({ categories: [] }))]);
      setProduct(p);
      setCategories(c.categories);
      setCad(p.cad_file ? await api.cadFile(p.cad_file) : null);
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  }, [id]);
  useEffect(() => {
    load();
  }, [load]);

  // Follow the intake while it runs.
  const cadId = cad?.id;
  const running = cad?.intake?.status === 'running';
  useEffect(() => {
    if (!cadId || !running) return;
    const t = setInterval(async () => {
      try {
        setCad(await api.cadFile(cadId));
      } catch {
        /* the next tick tries again */
      }
    }, POLL_MS);
    return () => clearInterval(t);
  }, [cadId, running]);

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file || !product) return;
    setUpload({ state: 'uploading', text: `Uploading ${file.name} (${formatBytes(file.size)})…` });
    try {
      const stored = await api.uploadCadFile(file, uploadName(file));
      setCad(stored);
      setUpload({ state: 'linking', text: `Linking ${stored.filename ?? stored.id.slice(0, 12)} to the product…` });
      setProduct(await api.updateProduct(product.id, productInput({ ...product, cad_file: stored.id }, inputSchema)));
      setUpload({ state: 'idle' });
    } catch (err) {
      const f = err as ApiFailure;
      setUpload({ state: 'error', text: `${f.message}${f.errors.length ? ` (${f.errors.map((x) => x.pointer).join(', ')})` : ''}` });
    }
  };

  if (error) return <main className="runs-page catalog-page"><p className="notice notice-error">Cannot load product {id}: {error}</p></main>;
  if (!product) return <main className="runs-page catalog-page"><p className="empty">Loading…</p></main>;

  const intake = cad?.intake;
  const parts = intake?.material_map?.parts ? Object.entries(intake.material_map.parts) : [];
  return (
    <main className="runs-page catalog-page product-page" data-testid="product-page">
      <div className="page-head">
        <AppLink href="/products" navigate={navigate} className="run-back">
          ← Products
        </AppLink>
        <h1>{product.name}</h1>
        <span className="mono muted">{product.sku}</span>
        <span className="badge badge-family">{categories.find((c) => c.key === product.category)?.name ?? product.category}</span>
        <span className="page-head-spacer" />
        <AppLink href={`/orders/new?product=${encodeURIComponent(product.id)}`} navigate={navigate} className="button-link" testId="order-it">
          Order it
        </AppLink>
      </div>
      <div className="product-grid">
        <section className="card">
          <div className="card-title">CAD file</div>
          {cad ? (
            <p className="small">
              <span className="strong">{cad.filename ?? 'unnamed'}</span> · {formatBytes(cad.size)} · <span className="mono muted" title={cad.sha256}>sha256 {cad.sha256.slice(0, 12)}…</span>
            </p>
          ) : (
            <p className="muted">No CAD file yet. Upload the product’s STEP file.</p>
          )}
          <label className="upload">
            <span className="button-like">{cad ? 'Replace the STEP file' : 'Upload the STEP file'}</span>
            <input type="file" accept=".step,.stp,.STEP,.STP,model/step" onChange={onFile} disabled={upload.state === 'uploading' || upload.state === 'linking'} data-testid="cad-upload" />
          </label>
          {upload.text && (
            <p className={`small ${upload.state === 'error' ? 'notice notice-error' : 'muted'}`} data-testid="upload-status">
              {upload.state === 'error' ? `Upload refused: ${upload.text}` : upload.text}
            </p>
          )}
          {intake && (
            <>
              <div className="card-subtitle">
                Intake{' '}
                <AppLink href={`/runs/${encodeURIComponent(intake.run_id)}`} navigate={navigate} className="mono small" testId="intake-run-link">
                  {intake.run_id}
                </AppLink>
              </div>
              <IntakeBar intake={intake} />
              {intake.status === 'running' && (
                <div className="intake-live">
                  <RunProgress runId={intake.run_id} testId="intake-live" />
                </div>
              )}
              <PointerList items={(intake.errors ?? []).map((e) => ({ ...e, where: e.node ? `node ${e.node}` : undefined }))} tone="error" testId="intake-errors" />
            </>
          )}
        </section>
        <section className="card model-card">
          <div className="card-title">
            3D model
            {intake?.glb?.artifact_id && (
              <a className="small model-download" href={artifactUrl(intake.glb.artifact_id)} download={`${product.sku}.glb`} data-testid="glb-download">
                Download GLB ({formatBytes(intake.glb.size)})
              </a>
            )}
          </div>
          {intake?.glb?.artifact_id ? (
            <Suspense fallback={<div className="model-viewer model-viewer-pending muted small">Loading the 3D viewer…</div>}>
              <ModelViewer url={artifactUrl(intake.glb.artifact_id)} title={product.name} parts={intake.material_map?.parts} library={intake.material_map?.library} />
            </Suspense>
          ) : (
            <div className="thumb-placeholder model-placeholder muted small">{intake?.status === 'running' ? 'The 3D model shows when the intake has made its GLB…' : 'None yet: upload the STEP file'}</div>
          )}
          <div className="thumb-row">
            {intake?.thumbnail?.artifact_id ? (
              <a href={artifactUrl(intake.thumbnail.artifact_id)} target="_blank" rel="noreferrer" title="The intake's thumbnail, full size">
                <img className="intake-thumbnail" src={artifactUrl(intake.thumbnail.artifact_id)} alt={`Thumbnail of ${product.name}`} data-testid="intake-thumbnail" />
              </a>
            ) : (
              intake?.status === 'running' && <span className="muted small">The thumbnail is rendered at the end of the intake…</span>
            )}
          </div>
        </section>
        {intake && (intake.objects || intake.bbox || intake.glb) && (
          <section className="card">
            <div className="card-title">What the intake found</div>
            <table className="kv-table" data-testid="intake-results">
              <tbody>
                {intake.objects?.summary &&
                  Object.entries(intake.objects.summary).map(([k, v]) => (
                    <tr key={k}>
                      <th>{k.replace(/_/g, ' ')}</th>
                      <td className="mono">{String(v)}</td>
                    </tr>
                  ))}
                {intake.bbox?.size && (
                  <tr>
                    <th>size</th>
                    <td className="mono">
                      {intake.bbox.size.map((x) => x.toFixed(3)).join(' × ')} {intake.bbox.units ?? ''}
                    </td>
                  </tr>
                )}
                {intake.glb?.artifact_id && (
                  <tr>
                    <th>GLB</th>
                    <td>
                      <a href={artifactUrl(intake.glb.artifact_id)} download={`${product.sku}.glb`}>
                        Download ({formatBytes(intake.glb.size)})
                      </a>
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </section>
        )}
        {parts.length > 0 && (
          <section className="card">
            <div className="card-title">
              Material map <span className="muted small">library {intake?.material_map?.library}</span>
            </div>
            <table className="kv-table" data-testid="material-map">
              <tbody>
                {parts.map(([path, m]) => (
                  <tr key={path}>
                    <th className="mono small">{path}</th>
                    <td className="mono small">
                      {m.material ?? '—'} <span className="muted">({m.rule})</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
      </div>
    </main>
  );
}
