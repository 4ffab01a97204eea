// A thin client for the Prodflow HTTP API. Every failure becomes an ApiFailure
// carrying the RFC 9457 problem's status, detail and pointer-bearing errors.
import type {
  ApiError,
  Asset,
  CadFile,
  Category,
  DraftResult,
  Dispatched,
  Family,
  JSONObject,
  JSONSchema,
  LegacyImportResult,
  MaterialLibrarySummary,
  NodeDefinition,
  Order,
  OrderRequestLine,
  OrderLineDetail,
  OutputType,
  ParityHistory,
  ParityReport,
  Preflight,
  PricingTier,
  Product,
  RunAccepted,
  RunDetail,
  RunRequest,
  RunStatus,
  RunSummary,
  ValidationResult,
  VersionInfo,
  Vocabulary,
  WorkflowDoc,
  WorkflowSummary,
} from './types';
import { csrfHeaders, setSession, type SessionInfo } from './session';

export class ApiFailure extends Error {
  status: number;
  errors: ApiError[];
  constructor(status: number, message: string, errors: ApiError[] = []) {
    super(message);
    this.status = status;
    this.errors = errors;
  }
}

async function request<T>(method: string, path: string, body?: unknown, raw?: { body: Blob; type: string }): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        ...(raw ? { 'Content-Type': raw.type } : body === undefined ? {} : { 'Content-Type': 'application/json' }),
        Accept: 'application/json',
        ...csrfHeaders(method),
      },
      body: raw ? raw.body : body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiFailure(0, `the server cannot be reached (${(e as Error).message})`);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    if (res.ok) throw new ApiFailure(res.status, `the server answered ${method} ${path} with something that is not JSON`);
  }
  if (!res.ok) {
    // The session ended (expired, revoked, signed out elsewhere): back to the sign-in page.
    if (res.status === 401 && !path.startsWith('/api/auth/')) setSession(null);
    const p = (data ?? {}) as { title?: string; detail?: string; errors?: ApiError[] };
    throw new ApiFailure(res.status, p.detail || p.title || `${method} ${path} failed with HTTP ${res.status}`, Array.isArray(p.errors) ? p.errors : []);
  }
  return data as T;
}

const q = (family?: string) => (family ? `?family=${encodeURIComponent(family)}` : '');
const wf = (id: string) => `/api/workflows/${encodeURIComponent(id)}`;
const run = (id: string) => `/api/runs/${encodeURIComponent(id)}`;

export interface RunFilter {
  status?: RunStatus;
  subject?: string;
  output_type?: string;
}

function query(params: Record<string, string | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) s.set(k, v);
  const t = s.toString();
  return t ? `?${t}` : '';
}

/** Where the server serves an artifact (ids look like "run:node:port"). */
export const artifactUrl = (id: string) => `/api/artifacts/${encodeURIComponent(id)}`;
/** A diff image a shadow pair's parity report names. */
export const parityDiffUrl = (run: string, sha256: string) => `/api/runs/${encodeURIComponent(run)}/parity/diffs/${sha256}`;
/** The Server-Sent Events stream of a run's progress. */
export const runEventsUrl = (id: string) => `${run(id)}/events`;

const enc = encodeURIComponent;

/** The five calls every catalog item type shares: list, create, get, replace, delete (docs/api.md). */
export interface ItemsApi<T> {
  list: () => Promise<T[]>;
  get: (key: string) => Promise<T>;
  create: (doc: unknown) => Promise<T>;
  update: (key: string, doc: unknown) => Promise<T>;
  remove: (key: string) => Promise<void>;
}

function itemsApi<T>(path: string, listName: string): ItemsApi<T> {
  return {
    list: () => request<Record<string, T[]>>('GET', path).then((r) => r[listName] ?? []),
    get: (key) => request<T>('GET', `${path}/${enc(key)}`),
    create: (doc) => request<T>('POST', path, doc),
    update: (key, doc) => request<T>('PUT', `${path}/${enc(key)}`, doc),
    remove: (key) => request<void>('DELETE', `${path}/${enc(key)}`),
  };
}

/**
 * Files the server ships in share/ and lets operators edit: a PUT writes the
 * data directory's copy, which wins; DELETE removes it and the shipped one shows again.
 */
export interface FilesApi<S> {
  list: () => Promise<{ items: S[]; problems: Record<string, string> }>;
  get: (name: string) => Promise<JSONObject>;
  save: (name: string, doc: unknown) => Promise<JSONObject>;
  restore: (name: string) => Promise<void>;
  /** the JSON Schema the server checks a save with */
  schema: () => Promise<JSONSchema>;
}

function filesApi<S>(path: string, listName: string): FilesApi<S> {
  return {
    list: () =>
      request<Record<string, unknown>>('GET', path).then((r) => ({
        items: (r[listName] as S[] | undefined) ?? [],
        problems: (r.problems as Record<string, string> | undefined) ?? {},
      })),
    get: (name) => request<JSONObject>('GET', `${path}/${enc(name)}`),
    save: (name, doc) => request<JSONObject>('PUT', `${path}/${enc(name)}`, doc),
    restore: (name) => request<void>('DELETE', `${path}/${enc(name)}`),
    schema: () => request<JSONSchema>('GET', `${path}/schema`),
  };
}

export const categoriesApi = itemsApi<Category>('/api/categories', 'categories');
export const pricingTiersApi = itemsApi<PricingTier>('/api/pricing-tiers', 'pricing_tiers');
export const materialLibrariesApi = filesApi<MaterialLibrarySummary>('/api/material-libraries', 'material_libraries');
export const templatesApi = filesApi<JSONObject>('/api/templates', 'templates');

export interface Token {
  id: string;
  name: string;
  roles: string[];
  created_at: string;
  created_by?: string;
  expires_at?: string;
  revoked_at?: string;
  /** only in the answer that created it */
  token?: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  token: string;
  token_id: string;
  method: string;
  path: string;
  status: number;
}

/** Signing in and out, tokens and the audit log (docs/security.md). */
export const authApi = {
  whoami: () => request<SessionInfo>('GET', '/api/auth/whoami'),
  signInWithCode: (code: string) => request<SessionInfo>('POST', '/api/auth/login', { code }),
  signInWithToken: (token: string) => request<SessionInfo>('POST', '/api/auth/session', { token }),
  signOut: () => request<void>('POST', '/api/auth/logout'),
  tokens: () => request<{ tokens: Token[] }>('GET', '/api/tokens').then((r) => r.tokens),
  createToken: (body: { name: string; roles: string[]; expires_in_days?: number }) => request<Token>('POST', '/api/tokens', body),
  revokeToken: (id: string) => request<void>('DELETE', `/api/tokens/${enc(id)}`),
  audit: (limit = 100) => request<{ entries: AuditEntry[] }>('GET', `/api/audit?limit=${limit}`).then((r) => r.entries),
};

export const api = {
  families: () => request<{ families: Family[]; vocabulary: Vocabulary }>('GET', '/api/families'),
  openapi: () => request<{ paths?: Record<string, Record<string, unknown>>; components?: { schemas?: Record<string, JSONSchema> } }>('GET', '/api/openapi.json'),
  nodeDefinitions: (family?: string) =>
    request<{ family?: string | null; node_definitions: NodeDefinition[] }>('GET', `/api/workflows/node-definitions${q(family)}`),
  starters: (family?: string) => request<{ starters: WorkflowDoc[] }>('GET', `/api/workflows/starters${q(family)}`),
  list: () => request<{ workflows: WorkflowSummary[] }>('GET', '/api/workflows'),
  get: (id: string) => request<WorkflowDoc>('GET', wf(id)),
  versions: (id: string) => request<{ id: string; versions: VersionInfo[] }>('GET', `${wf(id)}/versions`),
  version: (id: string, v: number) => request<WorkflowDoc>('GET', `${wf(id)}/versions/${v}`),
  create: (doc: WorkflowDoc) => request<WorkflowDoc>('POST', '/api/workflows', doc),
  update: (id: string, doc: WorkflowDoc) => request<WorkflowDoc>('PUT', wf(id), doc),
  remove: (id: string) => request<void>('DELETE', wf(id)),
  validate: (doc: unknown) => request<ValidationResult>('POST', '/api/workflows/validate', doc),
  runs: (filter: RunFilter = {}) => request<{ runs: RunSummary[] }>('GET', `/api/runs${query({ ...filter })}`),
  run: (id: string) => request<RunDetail>('GET', run(id)),
  startRun: (body: RunRequest) => request<RunAccepted>('POST', '/api/runs', body),
  cancelRun: (id: string) => request<RunAccepted>('POST', `${run(id)}/cancel`),
  rerun: (id: string) => request<RunAccepted>('POST', `${run(id)}/rerun`),
  parity: (id: string) => request<ParityReport>('GET', `${run(id)}/parity`),
  /** What a run published (one asset per publishing node). */
  assets: (runId: string) => request<{ assets: Asset[] }>('GET', `/api/assets${query({ run: runId })}`).then((r) => r.assets),

  // ---- catalog ----
  outputTypeSchema: (workflow?: { id: string; version: number }) =>
    request<JSONSchema>('GET', `/api/output-types/schema${workflow ? query({ workflow: workflow.id, version: String(workflow.version) }) : ''}`),
  outputTypes: () => request<{ output_types: OutputType[] }>('GET', '/api/output-types'),
  outputType: (key: string) => request<OutputType>('GET', `/api/output-types/${enc(key)}`),
  outputTypeParity: (key: string) => request<ParityHistory>('GET', `/api/output-types/${enc(key)}/parity`),
  createOutputType: (doc: OutputType) => request<OutputType>('POST', '/api/output-types', doc),
  updateOutputType: (key: string, doc: OutputType) => request<OutputType>('PUT', `/api/output-types/${enc(key)}`, doc),
  deleteOutputType: (key: string) => request<void>('DELETE', `/api/output-types/${enc(key)}`),
  validateDraft: (step: string, draft: unknown) => request<DraftResult>('POST', '/api/output-types/draft/validate', { step, draft }),
  /** The text goes as pasted, so malformed JSON is the server's 400 with its line and column. */
  importLegacy: (json: string) =>
    request<LegacyImportResult>('POST', '/api/output-types/import-legacy', undefined, { body: new Blob([json]), type: 'application/json' }),
  categories: () => request<{ categories: Category[] }>('GET', '/api/categories'),
  pricingTiers: () => request<{ pricing_tiers: PricingTier[] }>('GET', '/api/pricing-tiers'),
  products: () => request<{ products: Product[] }>('GET', '/api/products'),
  product: (id: string) => request<Product>('GET', `/api/products/${enc(id)}`),
  createProduct: (p: Partial<Product>) => request<Product>('POST', '/api/products', p),
  updateProduct: (id: string, p: Partial<Product>) => request<Product>('PUT', `/api/products/${enc(id)}`, p),
  cadFiles: () => request<{ cad_files: CadFile[] }>('GET', '/api/cad-files'),
  cadFile: (id: string) => request<CadFile>('GET', `/api/cad-files/${enc(id)}`),
  /** The raw body streams to the server; the same bytes again answer the existing CAD file. */
  uploadCadFile: (file: Blob, filename: string) =>
    request<CadFile>('POST', `/api/cad-files${query({ filename })}`, undefined, { body: file, type: 'application/octet-stream' }),
  /** Real orders; test orders (the editor's trials) too with "include", alone with "only". */
  orders: (test?: 'include' | 'only') => request<{ orders: Order[] }>('GET', `/api/orders${query({ test })}`),
  order: (id: string) => request<Order>('GET', `/api/orders/${enc(id)}`),
  createOrder: (body: { customer?: string; reference?: string; test?: boolean; lines: OrderRequestLine[] }) => request<Order>('POST', '/api/orders', body),
  orderLine: (id: string) => request<OrderLineDetail>('GET', `/api/order-lines/${enc(id)}`),
  preflight: (lineId: string) => request<Preflight>('POST', `/api/order-lines/${enc(lineId)}/preflight`),
  dispatch: (lineId: string) => request<Dispatched>('POST', `/api/order-lines/${enc(lineId)}/dispatch`),
};
