// The shapes the Prodflow API serves, under the names the editor uses. They
// come from the component schemas of src/api/openapi.json, generated into
// api.gen.ts at build time (scripts/gen-api-types.mjs): a field the editor
// reads that the document does not declare, or reads as another type, fails
// `tsc`. Where the document leaves an object open (`"type": "object"` with
// no properties: a run's node state, its doc, parity details), the editor's
// reading of it is written here, narrowing only that open part.
import type * as Api from './api.gen';
import type { JSONSchema, JSONValue } from './json';

export type { JSONObject, JSONSchema, JSONValue } from './json';

type Item<T> = T extends readonly (infer U)[] ? U : never;

export type Port = Api.Port;
export type NodeUi = Api.NodeDefinition['ui'];
export type NodeDefinition = Api.NodeDefinition;
export type Family = Api.Family;
export type PortType = Api.PortType;
export type ArtifactRole = Api.ArtifactRole;
export type ArtifactKind = Api.ArtifactKind;
export type Vocabulary = Api.Vocabulary;

// The editor carries keys it does not know through a load and a save, and
// the schema as it was read: the server's validation then names them,
// rather than the editor dropping them silently.
type Extra = { [extra: string]: unknown };
export type PortRef = Api.PortRef;
export type WorkflowNode = Api.WorkflowNode & Extra;
export type WorkflowEdge = Api.Edge & Extra;
export type Invocation = NonNullable<Api.Workflow['invocation']>;
export type InvocationParam = Invocation['params'][string];
export type InvocationArtifact = Invocation['artifacts'][string];
export type WorkflowDoc = Omit<Api.Workflow, 'schema' | 'nodes' | 'edges'> & {
  schema: string;
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
} & Extra;
export type WorkflowSummary = Api.WorkflowSummary;
export type VersionInfo = Item<Api.VersionList['versions']>;
export type ApiError = Api.Error;
export type ValidationResult = Api.ValidationResult;

// ---- runs -------------------------------------------------------------------

export type RunStatus = Api.Run['status'];
export type NodeStatus = NonNullable<RunNodeApi['status']>;
export type RunSummary = Api.RunSummary;
export type RunRequest = Api.RunRequest;
export type RunAccepted = Api.RunAccepted;
type RunNodeApi = NonNullable<Api.Run['nodes']>[string];

// A node's state: the document says "attempts, params, param_sources, cache
// {hit, reason, changed}, outputs, error, reason" in prose only.
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

// The run's doc: "{workflow (canonical), context, overrides, line_overrides}".
export interface RunDoc {
  workflow: WorkflowDoc;
  context?: JSONValue;
  overrides?: Record<string, unknown>;
  line_overrides?: Record<string, unknown>;
  shadow?: boolean;
  [extra: string]: unknown;
}

export type RunDetail = Omit<Api.Run, 'doc' | 'nodes'> & {
  doc?: RunDoc;
  nodes?: Record<string, RunNode>;
};

// Parity: the document types the report's top level; its parts are open.
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

export type ParityDifference = Item<Api.ParityReport['differences']>;

export type ParityReport = Omit<Api.ParityReport, 'status' | 'artifacts' | 'modules'> & {
  status?: ParityPair<string>;
  artifacts?: ParityArtifact[];
  modules?: ParityModule[];
};

// ---- catalog: output types, products, CAD files, orders ----------------------

/** A problem as preflight and the draft check report it (code may be absent). */
export interface PointerProblem {
  code?: string;
  pointer: string;
  message: string;
}

export type WorkflowLink = NonNullable<Api.OutputType['workflow']>;

// legacy_mapping is an open object in the document.
export interface LegacyMapping {
  artifact_kind?: string;
  overrides?: Record<string, unknown>;
  warnings?: PointerProblem[];
  errors?: PointerProblem[];
}

/** An output type, or the wizard's draft of one: the fields the server
 * requires may still be missing, and a rollout is what the route said until
 * the server checks it (the schema at /api/output-types/schema is the
 * authority). */
export type OutputType = Pick<Api.OutputType, 'key' | 'name'> &
  Partial<Omit<Api.OutputType, 'key' | 'name' | 'rollout' | 'legacy_mapping'>> & {
    rollout?: string;
    legacy_mapping?: LegacyMapping;
  };

export interface DraftWorkflowOption {
  id: string;
  name: string;
  version: number;
  source?: string;
}

export type DraftResult = Omit<Api.DraftResult, 'options'> & {
  options: Omit<NonNullable<Api.DraftResult['options']>, 'workflows' | 'overrides_schema' | 'legacy_mapping'> & {
    workflows?: DraftWorkflowOption[];
    overrides_schema?: JSONSchema;
    legacy_mapping?: LegacyMapping;
  };
};

/** What every catalog item carries back: a PUT that sends `revision` is refused (409) when another write came first. */
export type ItemMeta = Pick<Api.Category, 'created_at' | 'updated_at' | 'revision'>;

export type Category = Api.Category;
export type PricingTier = Api.PricingTier;

/** A row of GET /api/material-libraries; `source` says whether the data directory's edited copy wins. */
export interface MaterialLibrarySummary {
  library: string;
  label?: string;
  description?: string;
  materials?: number;
  source?: string;
}

/** The answer of POST /api/output-types/import-legacy. */
export type LegacyImportResult = Omit<Api.LegacyImportResult, 'imported'> & {
  imported: (Omit<Item<NonNullable<Api.LegacyImportResult['imported']>>, 'mapping'> & { mapping?: LegacyMapping })[];
};

export type ArtifactLink = Api.ArtifactLink;
export type CadIntake = Api.CadIntake;
export type IntakeProgress = NonNullable<CadIntake['progress']>;
export type CadFile = Api.CadFile;
export type Product = Api.Product;
export type Asset = Api.Asset;

export type OrderLine = Api.OrderLine;
export type OrderLineDetail = Api.OrderLineDetail;
export type OrderLineRun = Item<NonNullable<OrderLine['runs']>>;
export type Order = Api.Order;
export type OrderRequestLine = Item<Api.OrderRequest['lines']>;
export type Preflight = Api.Preflight;
export type Dispatched = Api.Dispatched;

/** GET /api/output-types/{key}/parity: parity across the shadow runs. */
export type ParityHistory = Api.ParityHistory;
