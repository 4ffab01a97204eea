// Products: the list with each CAD file's intake status, and a form for a
// new product. Field limits come from the API's ProductInput schema and the
// categories from /api/categories; the server's problems land on their fields.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, ApiFailure } from '../api';
import { properties } from '../params';
import { parsePointer } from '../problems';
import type { Navigate } from '../route';
import type { CadFile, JSONSchema } from '../types';
import { useFetched } from '../useFetched';
import { AppLink, IntakeBar } from './CatalogBits';
import type { CatalogBoot } from './CatalogView';

const INTAKE_POLL_MS = 1500;

function limits(s: JSONSchema | undefined): { maxLength?: number; minLength?: number } {
  return {
    maxLength: typeof s?.maxLength === 'number' ? s.maxLength : undefined,
    minLength: typeof s?.minLength === 'number' ? s.minLength : undefined,
  };
}

async function fetchProducts() {
  const [p, c, cats] = await Promise.all([api.products(), api.cadFiles(), api.categories()]);
  return { products: p.products, cadFiles: new Map(c.cad_files.map((f) => [f.id, f])), categories: cats.categories };
}

const NO_CAD_FILES = new Map<string, CadFile>();

export function ProductsPage({ boot, navigate }: { boot: CatalogBoot; navigate: Navigate }) {
  const { data, error, reload: load } = useFetched(fetchProducts);
  const products = data?.products ?? null;
  const cadFiles = data?.cadFiles ?? NO_CAD_FILES;
  const categories = data?.categories ?? [];
  const [form, setForm] = useState({ name: '', sku: '', category: '' });
  const [formErrors, setFormErrors] = useState<Record<string, string[]>>({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const input = boot.apiSchemas.ProductInput;
  const props = properties(input);
  const required = new Set(Array.isArray(input?.required) ? (input.required as string[]) : []);


  const running = useMemo(() => [...cadFiles.values()].some((f) => f.intake?.status === 'running'), [cadFiles]);
  useEffect(() => {
    if (!running) return;
    const t = setInterval(load, INTAKE_POLL_MS);
    return () => clearInterval(t);
  }, [running, load]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setFormErrors({});
    setFormError('');
    try {
      const created = await api.createProduct({ name: form.name, sku: form.sku, category: form.category, cad_file: null });
      navigate(`/products/${encodeURIComponent(created.id)}`);
    } catch (err) {
      const f = err as ApiFailure;
      const byField: Record<string, string[]> = {};
      for (const p of f.errors) {
        const field = parsePointer(p.pointer)[0] ?? '';
        (byField[field] ??= []).push(p.message);
      }
      setFormErrors(byField);
      setFormError(f.message);
    } finally {
      setBusy(false);
    }
  };

  const field = (key: 'name' | 'sku') => (
    <div className={`form-field${formErrors[key] ? ' has-error' : ''}`}>
      <label htmlFor={`product-${key}`}>
        {key === 'sku' ? 'SKU' : 'Name'}
        {required.has(key) && <span className="required">*</span>}
      </label>
      <input
        id={`product-${key}`}
        value={form[key]}
        {...limits(props[key])}
        onChange={(e) => setForm({ ...form, [key]: e.target.value })}
        className={formErrors[key] ? 'input-error' : ''}
        data-testid={`product-${key}`}
      />
      {typeof props[key]?.description === 'string' && <span className="muted small">{String(props[key].description)}</span>}
      {formErrors[key]?.map((m, i) => (
        <span key={i} className="field-error small" data-testid={`product-${key}-error`}>
          {m}
        </span>
      ))}
    </div>
  );

  return (
    <main className="runs-page catalog-page" data-testid="products-page">
      <div className="page-head">
        <h1>Products</h1>
        <span className="page-head-spacer" />
        <button type="button" onClick={load}>
          Refresh
        </button>
      </div>
      <form className="inline-form card" onSubmit={submit} noValidate data-testid="product-form">
        <div className="card-title">New product</div>
        <div className="inline-form-row">
          {field('name')}
          {field('sku')}
          <div className={`form-field${formErrors.category ? ' has-error' : ''}`}>
            <label htmlFor="product-category">
              Category{required.has('category') && <span className="required">*</span>}
            </label>
            <select id="product-category" value={form.category} onChange={(e) => setForm({ ...form, category: e.target.value })} data-testid="product-category">
              <option value="">Choose…</option>
              {categories.map((c) => (
                <option key={c.key} value={c.key} title={c.description}>
                  {c.name}
                </option>
              ))}
            </select>
            {formErrors.category?.map((m, i) => (
              <span key={i} className="field-error small">
                {m}
              </span>
            ))}
          </div>
          <button type="submit" className="primary" disabled={busy} data-testid="product-create">
            Create product
          </button>
        </div>
        {formError && <p className="notice notice-error">Not created: {formError}</p>}
        <p className="muted small">Then upload its STEP file on the product’s page.</p>
      </form>
      {error && <p className="notice notice-error">Cannot list products: {error}</p>}
      {products === null && !error && <p className="empty">Loading products…</p>}
      {products && products.length === 0 && <div className="runs-empty">No products yet.</div>}
      {products && products.length > 0 && (
        <table className="runs-table" data-testid="products-table">
          <thead>
            <tr>
              <th>Product</th>
              <th>SKU</th>
              <th>Category</th>
              <th>CAD file</th>
              <th>Intake</th>
            </tr>
          </thead>
          <tbody>
            {products.map((p) => {
              const cad = p.cad_file ? cadFiles.get(p.cad_file) : undefined;
              return (
                <tr key={p.id} className="runs-row" onClick={() => navigate(`/products/${encodeURIComponent(p.id)}`)} data-testid={`product-row-${p.sku}`}>
                  <td>
                    <AppLink href={`/products/${encodeURIComponent(p.id)}`} navigate={navigate} className="strong">
                      {p.name}
                    </AppLink>
                    <div className="mono small muted">{p.id}</div>
                  </td>
                  <td className="mono">{p.sku}</td>
                  <td>{categories.find((c) => c.key === p.category)?.name ?? p.category}</td>
                  <td className="small">{cad ? <span title={cad.sha256}>{cad.filename ?? cad.id.slice(0, 12)}</span> : <span className="muted">none</span>}</td>
                  <td style={{ minWidth: 220 }}>{cad ? <IntakeBar intake={cad.intake} testId={`product-intake-${p.sku}`} /> : <span className="muted small">upload a STEP file</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </main>
  );
}
