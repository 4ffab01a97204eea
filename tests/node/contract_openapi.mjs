// The served OpenAPI document and the server agree: every operation of the
// document is called on a real `prodflow serve` (its happy path and at
// least one documented error), and each answer's status, media type and
// body are checked against the document with Ajv's JSON Schema 2020-12
// validator, an implementation independent of the server's own.
//
// The flow reuses the demo catalog (the gearbox product and its STEP file,
// the glb_model output type, whose workflow exports a GLB without Blender).
// It waits on states only: the server's sign-in line on stderr, a webhook
// arriving at the test's receiver, a run's event stream ending.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const bin = process.argv[2];
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'prodflow-contract-'));
const dataDir = join(dir, 'data');

let checks = 0;
const failures = [];
function fail(what) {
  failures.push(what);
  console.error(`FAIL ${what}`);
}

// ---- the webhook receiver: holds the first notification until released ----

let releaseHeld;
let heldArrived;
const held = new Promise((resolve) => (heldArrived = resolve));
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (!releaseHeld) {
      releaseHeld = () => res.end('ok');
      heldArrived();
    } else res.end('ok');
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const hookBase = `http://127.0.0.1:${receiver.address().port}/`;

// ---- the server, with an admin token made before it starts ----------------

const tokenArgs = ['token', 'create', '--data-dir', dataDir, '--name', 'contract'];
const admin = execFileSync(bin, [...tokenArgs, '--role', 'admin'], { encoding: 'utf8' }).trim();
const portFile = join(dir, 'port');
const server = spawn(bin, ['serve', '--port', '0', '--port-file', portFile, '--data-dir', dataDir,
  '--share-dir', join(root, 'share'), '--threads', '4', '--web-dir', '',
  '--webhook-allow', hookBase, '--webhook-url', `${hookBase}hooks/orders`], { stdio: ['ignore', 'inherit', 'pipe'] });
const exited = new Promise((r) => server.on('exit', (code, signal) => r([code, signal])));

// The sign-in link is printed once the server listens: reading stderr up to
// it waits for that state; the rest of the log passes through.
const login = await new Promise((resolve) => {
  let found = null;
  createInterface({ input: server.stderr }).on('line', (line) => {
    process.stderr.write(`${line}\n`);
    const mark = line.indexOf('#login=');
    if (!found && mark >= 0) resolve((found = line.slice(mark + 7).trim()));
  }).on('close', () => resolve(found));
});

async function stop() {
  if (releaseHeld) releaseHeld();
  if (server.exitCode === null) server.kill('SIGTERM');
  const [code, signal] = await exited;
  checks++;
  if (code !== 0) fail(`the server ended badly (exit ${code}, signal ${signal})`);
  receiver.closeAllConnections();
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
}

if (!login) {
  fail('the server did not start');
  await stop();
  process.exit(1);
}
const base = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;

// ---- the document and the validator ----------------------------------------

const doc = await (await fetch(`${base}/api/openapi.json`)).json();
const DOC_ID = 'https://prodflow.invalid/openapi.json';
// Component schemas become the $defs of one schema document, so that the
// $refs of every response schema resolve to them through Ajv.
const rewrite = (schema) =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${DOC_ID}#/$defs/`));
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addFormat('binary', true); // OpenAPI's marker for raw bytes, not a JSON string format
ajv.addSchema({ $id: DOC_ID, $defs: rewrite(doc.components.schemas) });
const validators = new Map();

const operations = [];
for (const [path, item] of Object.entries(doc.paths))
  for (const method of Object.keys(item).filter((m) => m !== 'parameters')) {
    const names = [...path.matchAll(/\{[^}]+\}/g)].length;
    const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    operations.push({ key: `${method.toUpperCase()} ${path}`, method, path, op: item[method], names, pattern,
      ok: false, error: false });
  }

// The operation a concrete path answers for: a literal segment wins over a
// parameter (/api/workflows/starters is not /api/workflows/{id}).
function operationOf(method, path) {
  const bare = path.split('?')[0];
  const matches = operations.filter((o) => o.method === method.toLowerCase() && o.pattern.test(bare));
  matches.sort((a, b) => a.names - b.names);
  return matches[0];
}

function resolve(ref) {
  let node = doc;
  for (const part of ref.replace(/^#\//, '').split('/')) node = node[part];
  return node;
}

const jsonType = (t) => t === 'application/json' || t.endsWith('+json');

function mediaMatches(documented, actual) {
  if (documented === actual || documented === '*/*') return true;
  return documented.endsWith('/*') && actual.startsWith(documented.slice(0, -1));
}

// Checks one answer against the document; returns the parsed body.
async function check(method, path, res) {
  const where = `${method} ${path} -> ${res.status}`;
  const o = operationOf(method, path);
  checks++;
  if (!o) {
    fail(`${where}: no operation of the document has this method and path`);
    return null;
  }
  if (res.status < 300) o.ok = true;
  else if (res.status >= 400) o.error = true;
  let answer = o.op.responses[String(res.status)] ?? o.op.responses.default;
  const buf = Buffer.from(await res.arrayBuffer());
  checks++;
  if (!answer) {
    fail(`${where}: status not documented for ${o.key} (${buf.toString('utf8', 0, 300)})`);
    return null;
  }
  if (answer.$ref) answer = resolve(answer.$ref);
  const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const content = answer.content ?? {};
  checks++;
  if (!Object.keys(content).length) {
    if (buf.length) fail(`${where}: a ${buf.length}-byte ${type} body where ${o.key} documents none`);
    return null;
  }
  const media = Object.keys(content).find((m) => mediaMatches(m, type));
  if (!media) {
    fail(`${where}: media type ${type || '(none)'} not among ${Object.keys(content).join(', ')}`);
    return null;
  }
  if (!jsonType(type) || content[media].schema?.format === 'binary') return buf;
  checks++;
  let body;
  try {
    body = JSON.parse(buf.toString('utf8'));
  } catch {
    fail(`${where}: the ${type} body does not parse`);
    return null;
  }
  const key = `${o.key} ${res.status} ${media}`;
  if (!validators.has(key)) validators.set(key, ajv.compile(rewrite(content[media].schema ?? {})));
  const validate = validators.get(key);
  if (!validate(body))
    fail(`${where}: body against the document: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
  return body;
}

// Calls the server and checks the answer; expect names the status the step
// is after (a different documented status is still a failure of the step).
async function api(method, path, { token = admin, body, type, headers = {}, expect } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    const raw = typeof body === 'string' || Buffer.isBuffer(body);
    payload = raw ? body : JSON.stringify(body);
    h['content-type'] = type ?? (raw ? 'application/octet-stream' : 'application/json');
  }
  const res = await fetch(`${base}${path}`, { method, headers: h, body: payload });
  const status = res.status;
  const parsed = await check(method, path, res);
  if (expect !== undefined) {
    checks++;
    if (status !== expect) fail(`${method} ${path}: ${status}, expected ${expect}`);
  }
  return { status, body: parsed };
}

// A run's event stream read to its end: the run is over when it closes.
async function finished(runId) {
  const res = await api('GET', `/api/runs/${runId}/events`, { expect: 200 });
  checks++;
  if (!String(res.body ?? '').includes('event: run')) fail(`the event stream of ${runId} has no run event`);
  return (await api('GET', `/api/runs/${runId}`, { expect: 200 })).body;
}

// What went wrong in a run, node by node.
function problems(run) {
  return Object.entries(run?.nodes ?? {})
    .filter(([, n]) => n.state?.error)
    .map(([id, n]) => `${id}: ${n.state.error.message}`)
    .join('; ');
}

try {
  await flow();
} catch (e) {
  fail(`the flow stopped: ${e.stack ?? e}`);
} finally {
  await stop();
}

// ---- coverage ---------------------------------------------------------------

// What no call here can reach, and why: the document's own answer, its
// reference page, health and logout document no error; a run's parity and its diff images need a
// shadow pair, two Blender renders of one order line (test_api_parity).
const noError = new Set(['GET /api/openapi.json', 'GET /api/docs', 'POST /api/auth/logout', 'GET /api/health']);
const noHappy = new Set(['GET /api/runs/{id}/parity', 'GET /api/runs/{id}/parity/diffs/{digest}']);
let covered = 0;
for (const o of operations) {
  const missing = [];
  if (!o.ok && !noHappy.has(o.key)) missing.push('a successful answer');
  if (!o.error && !noError.has(o.key)) missing.push('a documented error');
  if (missing.length) fail(`${o.key}: not exercised: ${missing.join(' and ')}`);
  else covered++;
}
console.log(`contract: ${covered}/${operations.length} operations covered, ${checks - failures.length}/${checks} checks passed`);
console.log(`${failures.length ? 0 : 1} passed, ${failures.length ? 1 : 0} failed`);
process.exit(failures.length ? 1 : 0);

async function flow() {
  // Every operation that takes a token refuses an anonymous caller with
  // the document's 401.
  for (const o of operations) {
    const security = o.op.security ?? doc.security ?? [];
    if (!security.length) continue;
    await api(o.method.toUpperCase(), o.path.replace(/\{[^}]+\}/g, 'x'), { token: null, expect: 401 });
  }

  // meta
  await api('GET', '/api/health', { token: null, expect: 200 });
  await api('GET', '/api/openapi.json', { token: null, expect: 200 });
  await api('GET', '/api/docs', { token: null, expect: 200 });
  await api('GET', '/metrics', { expect: 200 });
  await api('GET', '/api/families', { expect: 200 });
  await api('GET', '/api/workflows/node-definitions?family=cad_file', { expect: 200 });
  await api('GET', '/api/workflows/node-definitions?family=video', { expect: 400 });

  // workflows
  const starters = (await api('GET', '/api/workflows/starters?family=cad_file', { expect: 200 })).body.starters;
  await api('GET', '/api/workflows/starters?family=video', { expect: 400 });
  const glb = starters.find((w) => w.id === 'starter-cad-glb');
  await api('POST', '/api/workflows/validate', { body: glb, expect: 200 });
  await api('POST', '/api/workflows/validate', { body: 'not json', type: 'text/plain', expect: 415 });
  await api('GET', '/api/workflows', { expect: 200 });
  await api('GET', '/api/workflows?family=video', { expect: 400 });
  const mine = { ...glb, id: 'contract-glb', name: 'Contract GLB' };
  delete mine.version;
  await api('POST', '/api/workflows', { body: mine, expect: 201 });
  await api('POST', '/api/workflows', { body: mine, expect: 409 });
  await api('POST', '/api/workflows', { body: { ...mine, id: 'contract-empty', nodes: [], edges: [] }, expect: 422 });
  await api('GET', '/api/workflows/contract-glb', { expect: 200 });
  await api('GET', '/api/workflows/contract-none', { expect: 404 });
  await api('PUT', '/api/workflows/contract-glb', { body: { ...mine, version: 1, name: 'Contract GLB 2' }, expect: 200 });
  await api('PUT', '/api/workflows/contract-glb', { body: { ...mine, version: 1, name: 'Contract GLB 3' }, expect: 409 });
  await api('GET', '/api/workflows/contract-glb/versions', { expect: 200 });
  await api('GET', '/api/workflows/contract-none/versions', { expect: 404 });
  await api('GET', '/api/workflows/contract-glb/versions/1', { expect: 200 });
  await api('GET', '/api/workflows/contract-glb/versions/abc', { expect: 400 });
  await api('GET', '/api/workflows/contract-glb/versions/99', { expect: 404 });

  // catalog: categories, pricing tiers
  await api('GET', '/api/categories', { expect: 200 });
  await api('POST', '/api/categories', { body: { key: 'contract_cat', name: 'Contract' }, expect: 201 });
  await api('POST', '/api/categories', { body: { key: 'contract_cat', name: 'Contract' }, expect: 409 });
  await api('POST', '/api/categories', { body: { key: 'Not A Key', name: 'Bad' }, expect: 422 });
  await api('GET', '/api/categories/contract_cat', { expect: 200 });
  await api('GET', '/api/categories/contract_none', { expect: 404 });
  await api('PUT', '/api/categories/contract_cat', { body: { key: 'contract_cat', name: 'Contract 2' }, expect: 200 });
  await api('PUT', '/api/categories/contract_none', { body: { key: 'contract_none', name: 'No' }, expect: 404 });
  await api('DELETE', '/api/categories/contract_cat', { expect: 204 });
  await api('DELETE', '/api/categories/contract_cat', { expect: 404 });
  const tier = { key: 'contract_tier', name: 'Contract', currency: 'EUR', prices: { glb_model: 10 } };
  await api('GET', '/api/pricing-tiers', { expect: 200 });
  await api('POST', '/api/pricing-tiers', { body: tier, expect: 201 });
  await api('POST', '/api/pricing-tiers', { body: tier, expect: 409 });
  await api('GET', '/api/pricing-tiers/contract_tier', { expect: 200 });
  await api('GET', '/api/pricing-tiers/contract_none', { expect: 404 });
  await api('PUT', '/api/pricing-tiers/contract_tier', { body: { ...tier, name: 'Contract 2' }, expect: 200 });
  await api('PUT', '/api/pricing-tiers/contract_tier', { body: { ...tier, currency: 12 }, expect: 422 });
  await api('DELETE', '/api/pricing-tiers/contract_tier', { expect: 204 });
  await api('DELETE', '/api/pricing-tiers/contract_tier', { expect: 404 });

  // output types
  await api('GET', '/api/output-types/schema', { expect: 200 });
  await api('GET', '/api/output-types/schema?workflow=contract-none&version=1', { expect: 404 });
  await api('POST', '/api/output-types/draft/validate', { body: { draft: { family: 'cad_file' } }, expect: 200 });
  await api('POST', '/api/output-types/draft/validate', { body: { step: 'nope', draft: {} }, expect: 422 });
  const legacy = [{ key: 'contract_legacy', name: 'Contract legacy', legacy_render_settings: { width: 64, height: 64 } }];
  await api('POST', '/api/output-types/import-legacy', { body: legacy, expect: 201 });
  await api('POST', '/api/output-types/import-legacy', { body: legacy, expect: 409 });
  await api('GET', '/api/output-types', { expect: 200 });
  const type = { key: 'contract_ot', name: 'Contract GLB', family: 'cad_file', workflow: { id: 'contract-glb', version: 2 },
    rollout: 'graph', artifact_kind: 'glb_model', pricing_tier: 'standard' };
  await api('POST', '/api/output-types', { body: type, expect: 201 });
  await api('POST', '/api/output-types', { body: { ...type, key: 'contract_legacy_glb', rollout: 'legacy',
    workflow: null, legacy_render_settings: { width: 64 } }, expect: 422 });
  await api('GET', '/api/output-types/contract_ot', { expect: 200 });
  await api('GET', '/api/output-types/contract_none', { expect: 404 });
  const saved = (await api('PUT', '/api/output-types/contract_ot', { body: { ...type, name: 'Contract GLB 2' }, expect: 200 })).body;
  await api('PUT', '/api/output-types/contract_ot', { body: { ...type, name: 'Stale', revision: saved.revision - 1 }, expect: 409 });
  await api('PUT', '/api/output-types/contract_ot', { body: { ...type, rollout: 'sideways' }, expect: 422 });
  await api('DELETE', '/api/workflows/contract-glb', { expect: 409 }); // contract_ot still links it
  await api('GET', '/api/output-types/contract_ot/parity', { expect: 200 }); // no shadow runs yet
  await api('GET', '/api/output-types/contract_none/parity', { expect: 404 });
  await api('DELETE', '/api/output-types/contract_ot', { expect: 204 });
  await api('DELETE', '/api/output-types/contract_ot', { expect: 404 });
  await api('DELETE', '/api/workflows/contract-glb', { expect: 204 });
  await api('DELETE', '/api/workflows/contract-glb', { expect: 404 });

  // CAD files and products: the demo product's STEP file uploaded again is
  // the same file (200, no second intake)
  const cadFiles = (await api('GET', '/api/cad-files', { expect: 200 })).body.cad_files;
  const cad = cadFiles[0];
  await api('GET', `/api/cad-files/${cad.id}`, { expect: 200 });
  await api('GET', '/api/cad-files/contract-none', { expect: 404 });
  const step = readFileSync(join(dataDir, cad.path));
  await api('POST', '/api/cad-files?filename=gearbox.step', { body: step, expect: 200 });
  await api('POST', '/api/cad-files?filename=gearbox.step', { body: 'x', type: 'text/plain', expect: 415 });
  const products = (await api('GET', '/api/products', { expect: 200 })).body.products;
  const demo = products.find((p) => p.cad_file === cad.id);
  const product = { id: 'contract-pump', name: 'Contract pump', sku: 'CONTRACT-1', category: 'machinery', cad_file: cad.id };
  await api('POST', '/api/products', { body: product, expect: 201 });
  await api('POST', '/api/products', { body: product, expect: 409 });
  await api('POST', '/api/products', { body: { name: 'No SKU' }, expect: 422 });
  await api('GET', '/api/products/contract-pump', { expect: 200 });
  await api('GET', '/api/products/contract-none', { expect: 404 });
  await api('PUT', '/api/products/contract-pump', { body: { ...product, name: 'Contract pump 2' }, expect: 200 });
  await api('PUT', '/api/products/contract-none', { body: { ...product, id: 'contract-none' }, expect: 404 });
  await api('DELETE', '/api/products/contract-pump', { expect: 204 });
  await api('DELETE', '/api/products/contract-pump', { expect: 404 });

  // an order of the demo GLB for the demo product, dispatched
  const order = (await api('POST', '/api/orders', { body: { customer: 'ACME', reference: 'contract',
    lines: [{ product: demo.id, output_type: 'glb_model' }] }, expect: 201 })).body;
  await api('POST', '/api/orders', { body: { lines: [{ product: demo.id, output_type: 'contract_none' }] }, expect: 422 });
  await api('GET', '/api/orders', { expect: 200 });
  await api('GET', `/api/orders/${order.id}`, { expect: 200 });
  await api('GET', '/api/orders/contract-none', { expect: 404 });
  const line = order.lines[0].id;
  await api('GET', `/api/order-lines/${line}`, { expect: 200 });
  await api('GET', '/api/order-lines/contract-none', { expect: 404 });
  await api('POST', `/api/order-lines/${line}/preflight`, { expect: 200 });
  await api('POST', '/api/order-lines/contract-none/preflight', { expect: 404 });
  const first = (await api('POST', `/api/order-lines/${line}/dispatch`, { expect: 202 })).body.run_id;
  await api('POST', `/api/order-lines/${line}/dispatch`, { expect: 409 });
  await api('POST', '/api/order-lines/contract-none/dispatch', { expect: 404 });

  // runs: the first is cancelled while its notification waits at the
  // receiver (so it is surely running), then run again to success
  const firstEnd = fetch(`${base}/api/runs/${first}/events`, { headers: { authorization: `Bearer ${admin}` } })
    .then((r) => r.text());
  if ((await Promise.race([held.then(() => 'held'), firstEnd.then(() => 'ended')])) === 'ended') {
    const over = (await api('GET', `/api/runs/${first}`, { expect: 200 })).body;
    throw new Error(`run ${first} ended (${over?.status}) before it notified: ${problems(over)}`);
  }
  await api('POST', `/api/runs/${first}/cancel`, { expect: 202 });
  releaseHeld();
  await firstEnd;
  checks++;
  const cancelled = await finished(first);
  if (cancelled?.status !== 'cancelled') fail(`run ${first} is ${cancelled?.status}, not cancelled`);
  await api('POST', `/api/runs/${first}/cancel`, { expect: 409 });
  await api('POST', '/api/runs/contract-none/cancel', { expect: 404 });
  const second = (await api('POST', `/api/runs/${first}/rerun`, { expect: 202 })).body.id;
  await api('POST', '/api/runs/contract-none/rerun', { expect: 404 });
  const run = await finished(second);
  checks++;
  if (run?.status !== 'succeeded') fail(`run ${second} ${run?.status}: ${problems(run)}`);
  await api('POST', `/api/runs/${second}/rerun`, { expect: 409 }); // the line is delivered
  await api('GET', `/api/order-lines/${line}`, { expect: 200 });
  await api('GET', '/api/runs', { expect: 200 });
  await api('GET', '/api/runs/contract-none', { expect: 404 });
  await api('GET', '/api/runs/contract-none/events', { expect: 404 });
  await api('GET', `/api/runs/${second}/parity`, { expect: 404 }); // no shadow pair
  await api('GET', `/api/runs/${second}/parity/diffs/${'0'.repeat(64)}`, { expect: 404 });
  const started = (await api('POST', '/api/runs', { body: { workflow: { id: 'starter-cad-glb' },
    context: { step_path: cad.path } }, expect: 202 })).body.id;
  await finished(started);
  await api('POST', '/api/runs', { body: { workflow: { id: 'contract-none' } }, expect: 404 });

  // artifacts: the delivered GLB, by run output and by digest
  const out = run?.nodes?.glb?.state?.outputs?.glb ?? {};
  await api('GET', `/api/artifacts/${out.artifact_id}`, { expect: 200 });
  await api('GET', `/api/artifacts/${out.artifact_id}`, { headers: { range: 'bytes=0-3' }, expect: 206 });
  await api('GET', `/api/artifacts/${out.artifact_id}`, { headers: { range: 'bytes=999999999-' }, expect: 416 });
  await api('GET', `/api/artifacts/${second}:glb:none`, { expect: 404 });
  await api('GET', `/api/artifacts/sha256/${out.sha256}`, { expect: 200 });
  await api('GET', `/api/artifacts/sha256/${out.sha256}`, { headers: { range: 'bytes=0-3' }, expect: 206 });
  await api('GET', `/api/artifacts/sha256/${'0'.repeat(64)}`, { expect: 404 });
  await api('GET', '/api/artifacts/sha256/not-a-digest', { expect: 422 });
  const bytes = Buffer.from('contract test bytes\n');
  const digest = createHash('sha256').update(bytes).digest('hex');
  await api('PUT', `/api/artifacts/sha256/${digest}`, { body: bytes, expect: 201 });
  await api('PUT', `/api/artifacts/sha256/${'1'.repeat(64)}`, { body: bytes, expect: 422 });

  // the published asset, by its signed link, without a token
  const assets = (await api('GET', `/api/assets?run=${second}`, { expect: 200 })).body.assets;
  const url = assets[0]?.url_signed ?? '/api/shared/none?expires=0&sig=0';
  const shared = new URL(url, base);
  const link = `${shared.pathname}${shared.search}`;
  await api('GET', link, { token: null, expect: 200 });
  await api('GET', link, { token: null, headers: { range: 'bytes=0-3' }, expect: 206 });
  await api('GET', link, { token: null, headers: { range: 'bytes=999999999-' }, expect: 416 });
  shared.searchParams.set('sig', '0'.repeat(64));
  await api('GET', `${shared.pathname}${shared.search}`, { token: null, expect: 403 });

  // material libraries and render templates: copies of the shipped ones
  await api('GET', '/api/material-libraries', { expect: 200 });
  await api('GET', '/api/material-libraries/schema', { expect: 200 });
  const library = (await api('GET', '/api/material-libraries/default', { expect: 200 })).body;
  await api('GET', '/api/material-libraries/contract_none', { expect: 404 });
  await api('PUT', '/api/material-libraries/contract_lib', { body: { ...library, library: 'contract_lib' }, expect: 200 });
  await api('PUT', '/api/material-libraries/contract_lib', { body: { materials: 7 }, expect: 422 });
  await api('DELETE', '/api/material-libraries/contract_lib', { expect: 204 });
  await api('DELETE', '/api/material-libraries/contract_lib', { expect: 404 });
  await api('GET', '/api/templates', { expect: 200 });
  await api('GET', '/api/templates/schema', { expect: 200 });
  const template = (await api('GET', '/api/templates/studio_white', { expect: 200 })).body;
  await api('GET', '/api/templates/contract_none', { expect: 404 });
  await api('PUT', '/api/templates/contract_tpl', { body: { ...template, key: 'contract_tpl' }, expect: 200 });
  await api('PUT', '/api/templates/contract_tpl', { body: { samples: 'many' }, expect: 422 });
  await api('DELETE', '/api/templates/contract_tpl', { expect: 204 });
  await api('DELETE', '/api/templates/contract_tpl', { expect: 404 });

  // template scenes: one made by the tests' own Blender script, checked in
  // Blender by the server on upload
  await api('GET', '/api/scenes', { expect: 200 });
  const scene = join(dir, 'clean.blend');
  execFileSync('blender', ['-b', '--factory-startup', '--disable-autoexec', '-noaudio', '--python',
    join(root, 'tests/fixtures/scenes/make_scene.py'), '--', scene, 'clean', join(dir, 'python-ran')], { stdio: 'ignore' });
  await api('PUT', '/api/scenes/contract-scene', { body: readFileSync(scene), expect: 201 });
  await api('PUT', '/api/scenes/contract-bad', { body: Buffer.from('not a blend file'), expect: 422 });
  await api('DELETE', '/api/scenes/contract-scene', { expect: 204 });
  await api('DELETE', '/api/scenes/contract-scene', { expect: 404 });

  // tokens, sessions, the audit log
  await api('POST', '/api/auth/login', { token: null, body: { code: login }, expect: 201 });
  await api('POST', '/api/auth/login', { token: null, body: { code: login }, expect: 401 }); // it works once
  await api('GET', '/api/auth/whoami', { expect: 200 });
  await api('GET', '/api/tokens', { expect: 200 });
  const viewer = (await api('POST', '/api/tokens', { body: { name: 'contract viewer', roles: ['viewer'] }, expect: 201 })).body;
  await api('POST', '/api/tokens', { body: { name: 'contract king', roles: ['king'] }, expect: 422 });
  await api('GET', '/api/tokens', { token: viewer.token, expect: 403 });
  await api('GET', '/api/audit?limit=5', { expect: 200 });
  await api('POST', '/api/auth/session', { token: null, body: { token: admin }, expect: 200 });
  await api('POST', '/api/auth/session', { token: null, body: { token: 'pft_nope' }, expect: 401 });
  await api('POST', '/api/auth/logout', { token: null, expect: 204 });
  await api('DELETE', `/api/tokens/${viewer.id}`, { expect: 204 });
  await api('DELETE', '/api/tokens/contractnone', { expect: 404 });
}
