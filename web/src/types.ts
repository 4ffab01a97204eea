// Shapes served by the Prodflow API (see src/api/openapi.json in the repo).
// Nothing here names a module, port or default: those all come from the server.

export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };
export type JSONObject = { [key: string]: JSONValue };
// JSON Schema objects are passed through to rjsf untouched.
export type JSONSchema = { [key: string]: unknown };

export interface Port {
  name: string;
  type: string;
  required: boolean;
  role?: string;
  description?: string;
}

export interface NodeUi {
  label?: string;
  category?: string;
  description?: string;
  icon?: string;
  field_order?: string[];
  widgets?: Record<string, unknown>;
}

export interface NodeDefinition {
  step: string;
  module_key: string;
  module_version: string;
  family: string[];
  entry?: boolean;
  input_contract: Port[];
  output_contract: Port[];
  param_schema: JSONSchema;
  artifact_roles_produced?: string[];
  artifact_roles_consumed?: string[];
  legacy_source?: string;
  side_effects: string;
  policy?: Record<string, unknown>;
  available: boolean;
  unavailable_reason?: string;
  ui: NodeUi;
}

export interface Family {
  key: string;
  label?: string;
  description?: string;
  entry_step: string;
  palette: string[];
  artifact_kinds: string[];
  preflight?: { id: string; description: string }[];
  /** JSON Schema of the context a run of this family starts from */
  context_schema?: JSONSchema;
}

export interface PortType {
  key: string;
  label?: string;
  description?: string;
  media_type?: string;
  /** A generic type lists the concrete types it takes. */
  accepts?: string[];
}

export interface ArtifactRole {
  key: string;
  port_type: string;
  media_type?: string;
  description?: string;
}

export interface ArtifactKind {
  key: string;
  label?: string;
  port_type: string;
  media_type?: string;
  description?: string;
}

export interface Vocabulary {
  port_types: PortType[];
  artifact_roles: ArtifactRole[];
  artifact_kinds: ArtifactKind[];
}

export interface PortRef {
  node: string;
  port: string;
}

export interface WorkflowNode {
  id: string;
  step: string;
  label?: string;
  params?: Record<string, unknown>;
  ui?: Record<string, unknown>;
  policy?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface WorkflowEdge {
  from: PortRef;
  to: PortRef;
  [extra: string]: unknown;
}

export interface InvocationParam {
  schema: JSONSchema;
  targets: string[];
  label?: string;
  description?: string;
  [extra: string]: unknown;
}

export interface InvocationArtifact {
  kind: string;
  from: string;
  [extra: string]: unknown;
}

export interface Invocation {
  params: Record<string, InvocationParam>;
  artifacts: Record<string, InvocationArtifact>;
}

export interface WorkflowDoc {
  schema: string;
  id: string;
  name: string;
  description?: string;
  family: string;
  version?: number;
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
  invocation?: Invocation;
  [extra: string]: unknown;
}

export interface WorkflowSummary {
  id: string;
  name: string;
  family: string;
  latest_version: number;
  created_at?: string;
  updated_at?: string;
}

export interface VersionInfo {
  version: number;
  created_at?: string;
  sha256?: string;
}

export interface ApiError {
  code: string;
  pointer: string;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  errors: ApiError[];
  canonical?: WorkflowDoc;
}

// ---- runs -------------------------------------------------------------------

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';
export type NodeStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface RunSummary {
  id: string;
  workflow_id?: string;
  workflow_version?: number;
  family: string;
  status: RunStatus;
  subject?: unknown;
  created_at?: string;
  updated_at?: string;
}

export interface RunAttempt {
  attempt: number;
  status: string;
  started_at?: string;
  finished_at?: string;
  error?: ApiError;
}

export interface ParamSource {
  value: unknown;
  /** default, node, invocation, order_line or constraint (an output type's material constraints; via names it) */
  source: string;
  /** the invocation parameter that routed the value */
  via?: string;
}

export interface CacheVerdict {
  hit: boolean;
  reason?: string;
  changed?: string[];
  key?: string;
}

/** A node output: a file artifact (artifact_id, media_type…) or a plain JSON value. */
export interface NodeOutput {
  path?: string;
  sha256?: string;
  size?: number;
  media_type?: string;
  artifact_id?: string;
  role?: string;
  [extra: string]: unknown;
}

export interface LogEntry {
  at?: string;
  message: string;
  fraction?: number;
}

export interface NodeState {
  attempts?: RunAttempt[];
  params?: Record<string, unknown>;
  param_sources?: Record<string, ParamSource>;
  cache?: CacheVerdict;
  outputs?: Record<string, NodeOutput>;
  error?: ApiError;
  log?: LogEntry[];
  reason?: string;
  [extra: string]: unknown;
}

export interface RunNode {
  status: NodeStatus;
  state?: NodeState;
  /** while the node runs: what its module last said (see progress.ts) */
  progress?: import('./progress').NodeProgress;
}

export interface RunDoc {
  workflow: WorkflowDoc;
  context?: JSONValue;
  overrides?: Record<string, unknown>;
  line_overrides?: Record<string, unknown>;
  shadow?: boolean;
  [extra: string]: unknown;
}

export interface RunDetail extends RunSummary {
  doc?: RunDoc;
  nodes?: Record<string, RunNode>;
}

export interface RunRequest {
  workflow: { id: string; version?: number } | WorkflowDoc;
  context?: unknown;
  overrides?: unknown;
}

export interface RunAccepted {
  id: string;
  status: string;
  href?: string;
}

export interface ParityPair<T = unknown> {
  legacy?: T;
  graph?: T;
}

/** How parity judged one delivered artifact (by its kind; docs/legacy.md). */
export interface ParityArtifact {
  role: string;
  kind?: ParityPair<string>;
  media_type?: ParityPair<string>;
  comparison?: 'pixels' | 'frames' | 'blend_digest' | 'glb_structure' | 'sha256' | 'value';
  verdict?: 'identical' | 'equivalent' | 'different' | 'not compared';
  differing_pixels?: number;
  max_channel_difference?: number;
  psnr_db?: number | null;
  ssim?: number;
  size?: ParityPair<[number, number]>;
  frames?: ParityPair<number>;
  differing_frames?: number;
  differences?: { pointer: string; legacy?: unknown; graph?: unknown }[];
  diff_image?: { sha256?: string; error?: string };
  error?: string;
}

export interface ParityModule {
  module: string;
  legacy_node: string;
  graph_node: string;
  identical: boolean;
  differences: { param: string; legacy?: unknown; graph?: unknown; why?: string }[];
}

export interface ParityDifference {
  what: string;
  legacy?: unknown;
  graph?: unknown;
  [extra: string]: unknown;
}

export interface ParityReport {
  legacy_run: string;
  graph_run: string;
  complete?: boolean;
  identical: boolean;
  verdict?: 'identical' | 'equivalent' | 'different' | 'pending';
  execution?: {
    both_executed: boolean;
    reused_from_cache: { run: string; node: string; step: string }[];
  };
  status?: ParityPair<string>;
  artifacts?: ParityArtifact[];
  modules?: ParityModule[];
  differences: ParityDifference[];
}

// ---- catalog: output types, products, CAD files, orders ----------------------

/** A problem as preflight and the draft check report it (code may be absent). */
export interface PointerProblem {
  code?: string;
  pointer: string;
  message: string;
}

export interface WorkflowLink {
  id: string;
  version: number;
}

export interface LegacyMapping {
  artifact_kind?: string;
  overrides?: Record<string, unknown>;
  warnings?: PointerProblem[];
  errors?: PointerProblem[];
}

/** An output type; the schema at /api/output-types/schema is its authority. */
export interface OutputType {
  key: string;
  name: string;
  description?: string;
  visibility?: string;
  categories?: string[];
  pricing_tier?: string;
  family?: string;
  workflow?: WorkflowLink | null;
  rollout?: string;
  artifact_kind?: string;
  overrides?: Record<string, unknown>;
  material_constraints?: Record<string, unknown>;
  legacy_render_settings?: Record<string, unknown> | null;
  legacy_mapping?: LegacyMapping;
  created_at?: string;
  updated_at?: string;
  [extra: string]: unknown;
}

export interface DraftWorkflowOption {
  id: string;
  name: string;
  version: number;
  source?: string;
}

export interface DraftResult {
  step: string;
  valid: boolean;
  errors: PointerProblem[];
  options: {
    workflows?: DraftWorkflowOption[];
    artifact_kinds?: string[];
    overrides_schema?: JSONSchema;
    legacy_mapping?: LegacyMapping;
  };
  steps: string[];
}

/** What every catalog item carries back: a PUT that sends `revision` is refused (409) when another write came first. */
export interface ItemMeta {
  created_at?: string;
  updated_at?: string;
  revision?: number;
}

export interface Category extends ItemMeta {
  key: string;
  name: string;
  description?: string;
}

export interface PricingTier extends ItemMeta {
  key: string;
  name: string;
  currency: string;
  prices: Record<string, number>;
}

/** A row of GET /api/material-libraries; `source` says whether the data directory's edited copy wins. */
export interface MaterialLibrarySummary {
  library: string;
  label?: string;
  description?: string;
  materials?: number;
  source?: string;
}

/** The answer of POST /api/output-types/import-legacy. */
export interface LegacyImportResult {
  imported: { key?: string; name?: string; mapping?: LegacyMapping }[];
}

export interface ArtifactLink {
  artifact_id?: string;
  href?: string;
  media_type?: string;
  size?: number;
  [extra: string]: unknown;
}

export interface IntakeProgress {
  done: number;
  total: number;
  fraction: number;
  running: string[];
}

export interface CadIntake {
  run_id: string;
  href?: string;
  status: string;
  progress?: IntakeProgress;
  errors?: (PointerProblem & { node?: string })[];
  objects?: ArtifactLink & { summary?: Record<string, unknown> };
  bbox?: ArtifactLink & { size?: number[]; units?: string; diagonal?: number };
  glb?: ArtifactLink;
  thumbnail?: ArtifactLink;
  material_map?: ArtifactLink & { library?: string; parts?: Record<string, { material?: string; rule?: string }> };
}

export interface CadFile {
  id: string;
  sha256: string;
  size: number;
  filename?: string | null;
  path?: string;
  intake_run_id?: string;
  created_at?: string;
  intake?: CadIntake;
}

export interface Product {
  id: string;
  name: string;
  sku: string;
  category: string;
  cad_file: string | null;
  created_at?: string;
  updated_at?: string;
  cad_intake?: CadIntake | null;
}

/** A published asset (GET /api/assets): a file delivered to the customer, at a stable URL. */
export interface Asset {
  id: string;
  url: string;
  channel?: string;
  published_path?: string;
  sha256?: string;
  media_type?: string;
  size?: number | null;
  artifact_id?: string | null;
  visibility?: string;
  shadow?: boolean;
  run_id: string;
  node_id: string;
  created_at?: string;
}

export interface OrderLineRun {
  run_id: string;
  shadow_run_id?: string | null;
  dispatched_at?: string;
}

export interface OrderLine {
  id: string;
  order_id?: string;
  product: string;
  output_type: string;
  quantity: number;
  overrides: Record<string, unknown>;
  unit_price?: number;
  currency?: string;
  total?: number;
  status: string;
  runs: OrderLineRun[];
}

export interface Order {
  id: string;
  customer?: string | null;
  reference?: string | null;
  /** full lines from GET /api/orders/{id}; line ids in the list */
  lines: (OrderLine | string)[];
  total?: number;
  currency?: string;
  created_at?: string;
}

export interface OrderRequestLine {
  product: string;
  output_type: string;
  quantity?: number;
  overrides?: Record<string, unknown>;
}

export interface Preflight {
  line_id: string;
  ok: boolean;
  problems: PointerProblem[];
  warnings: PointerProblem[];
}

export interface Dispatched {
  line_id: string;
  run_id: string;
  shadow_run_id?: string | null;
  rollout: string;
  warnings?: PointerProblem[];
}

/** GET /api/output-types/{key}/parity: parity across the shadow runs. */
export interface ParityHistory {
  output_type: string;
  rollout?: string;
  shadow_runs: number;
  complete: number;
  identical: number;
  different: number;
  pending: number;
  streak: number;
  ready_after: number;
  ready: boolean;
  rule: string;
}
