#!/usr/bin/env node
// Browser tests for the workflow editor against the real server.
//
//   node tests/e2e/run.mjs <path-to-prodflow-binary>
//
// Starts `prodflow serve` on 127.0.0.1 with a fresh data directory, the repo's
// share/ and the built editor (web/dist), drives Debian's Chromium through
// playwright-core, and fails on any console error. Screenshots go to
// web/test-output/. The last line is "N passed, N failed".
//
// Before the server starts, the data directory gets the STEP fixture
// (`prodflow cad fixture`) and a shadow pair whose graph differs from its
// legacy run (`prodflow run` with a small output type), for the run view.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const webDir = resolve(here, '../..');
const distDir = join(webDir, 'dist');
const shareDir = resolve(here, '../../../share');
const outDir = join(webDir, 'test-output');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const binary = process.argv[2] ? resolve(process.argv[2]) : '';
if (!binary || !existsSync(binary)) {
  console.error(`usage: node tests/e2e/run.mjs <path-to-prodflow-binary>${binary ? ` (${binary} does not exist)` : ''}`);
  process.exit(2);
}
if (!existsSync(join(distDir, 'index.html'))) {
  console.error(`${distDir}/index.html is missing: run "npm run build" first`);
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls until fn() returns a truthy value; throws with `what` after timeout. */
async function until(what, fn, timeout = 8000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await sleep(100);
  }
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

// ---- fixtures -----------------------------------------------------------------
const tmp = mkdtempSync(join(tmpdir(), 'prodflow-e2e-'));
const dataDir = join(tmp, 'data');
mkdirSync(dataDir, { recursive: true });

/** Runs the prodflow binary to completion; throws with its output when it fails. */
function prodflow(args, env = {}) {
  try {
    return execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000, env: { ...process.env, ...env } });
  } catch (e) {
    throw new Error(`prodflow ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

// An output type in shadow rollout whose graph renders with fewer samples than
// its legacy settings (as in tests/integration/test_cli_run.c): the parity
// report lists the difference. Small images keep the renders quick.
const DRIFT = {
  key: 'drift',
  name: 'Drift',
  family: 'order_line',
  rollout: 'shadow',
  artifact_kind: 'still_image',
  pricing_tier: 'standard',
  workflow: { id: 'starter-order-still', version: 1 },
  overrides: { width: 96, height: 72, samples: 2 },
  legacy_render_settings: { width: 96, height: 72, samples: 4 },
};

try {
  prodflow(['cad', 'fixture', '-o', join(dataDir, 'gearbox.step'), '--bolts', '3']);
  const share = join(tmp, 'share');
  mkdirSync(join(share, 'output-types'), { recursive: true });
  for (const d of ['workflows', 'materials', 'templates', 'blender']) symlinkSync(join(shareDir, d), join(share, d));
  // `prodflow run` seeds the demo data from this share directory (and the
  // server then does not seed again), so the demo output types go here too.
  for (const f of readdirSync(join(shareDir, 'output-types'))) symlinkSync(join(shareDir, 'output-types', f), join(share, 'output-types', f));
  writeFileSync(join(share, 'output-types', 'drift.json'), JSON.stringify(DRIFT));
  prodflow(['run', join(dataDir, 'gearbox.step'), '--output-type', 'drift', '-o', join(tmp, 'drift-out'), '--data-dir', dataDir], { PRODFLOW_SHARE_DIR: share });
} catch (e) {
  console.error(`cannot prepare the run fixtures: ${e.message}`);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}

// ---- server -----------------------------------------------------------------
const portFile = join(tmp, 'port');
let logText = '';
const server = spawn(
  binary,
  ['serve', '--bind', '127.0.0.1', '--port', '0', '--port-file', portFile, '--data-dir', dataDir, '--share-dir', shareDir, '--web-dir', distDir],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
server.stdout.on('data', (d) => (logText += d));
server.stderr.on('data', (d) => (logText += d));
let serverExited = false;
server.on('exit', () => (serverExited = true));

let context;
async function cleanup() {
  try {
    await context?.close();
  } catch {
    /* already closed */
  }
  if (!serverExited && server.pid) {
    process.kill(server.pid, 'SIGTERM');
    const end = Date.now() + 5000;
    while (!serverExited && Date.now() < end) await sleep(50);
    if (!serverExited) process.kill(server.pid, 'SIGKILL');
  }
  rmSync(tmp, { recursive: true, force: true });
}
process.on('SIGINT', async () => {
  await cleanup();
  process.exit(130);
});

let base;
try {
  const port = await until('the server to write its port file', () => (existsSync(portFile) ? readFileSync(portFile, 'utf8').trim() : ''), 15000);
  base = `http://127.0.0.1:${port}`;
  await until('GET /api/health', async () => (await fetch(`${base}/api/health`)).ok, 10000);
} catch (e) {
  console.error(`the server did not start: ${e.message}\n${logText}`);
  await cleanup();
  process.exit(1);
}

// ---- browser ----------------------------------------------------------------
mkdirSync(outDir, { recursive: true });
context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
  executablePath: CHROMIUM,
  headless: true,
  args: CHROMIUM_ARGS,
  viewport: { width: 1280, height: 800 },
  acceptDownloads: true,
});
// Only the test server is reachable.
await context.route(
  (url) => url.hostname !== '127.0.0.1',
  (route) => route.abort(),
);

async function api(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const center = (box) => ({ x: box.x + box.width / 2, y: box.y + box.height / 2 });

/** Drags from one handle to another with real mouse events; `whileOver` runs before the drop. */
async function dragHandle(page, fromId, toId, whileOver) {
  const a = center(await page.getByTestId(fromId).boundingBox());
  const b = center(await page.getByTestId(toId).boundingBox());
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 20, { steps: 6 });
  await page.mouse.move(b.x, b.y, { steps: 8 });
  if (whileOver) await whileOver();
  await page.mouse.up();
}

/** Clicks the middle of the i-th edge's path (its bounding box centre may miss the curve). */
async function clickEdge(page, i) {
  const pt = await page
    .locator('.react-flow__edge-path')
    .nth(i)
    .evaluate((path) => {
      const q = path.getPointAtLength(path.getTotalLength() / 2);
      const m = path.getScreenCTM();
      return { x: q.x * m.a + q.y * m.c + m.e, y: q.x * m.b + q.y * m.d + m.f };
    });
  await page.mouse.click(pt.x, pt.y);
}

const text = (page, testId) => page.getByTestId(testId).innerText();

async function openApp(page) {
  await page.goto(base + '/');
  await page.getByTestId('workflow-list').waitFor();
}

// ---- scenarios --------------------------------------------------------------
const scenarios = [];
const scenario = (name, fn) => scenarios.push({ name, fn });

// Chromium logs every 4xx answer to fetch as a console error. A scenario that
// provokes one on purpose (409 conflict, 422 invalid) says so; nothing else passes.
const expectedHttp = new Set();
const expectHttpStatus = (status) => expectedHttp.add(status);
function unexpectedConsoleError(msg) {
  const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg);
  return !(m && expectedHttp.has(Number(m[1])));
}

scenario('cad_file from the starter: refused connection, edit, save, reload', async (page) => {
  await openApp(page);
  await page.getByTestId('new-workflow').click();
  await page.getByTestId('new-workflow-dialog').waitFor();
  await page.getByTestId('family-cad_file').click();
  await page.getByTestId('starter-starter-cad-intake').click();
  await page.getByTestId('new-name').fill('E2E intake');
  check((await page.getByTestId('new-id').inputValue()) === 'e2e-intake', 'the id is derived from the name');
  await page.getByTestId('create-workflow').click();
  await page.getByTestId('node-glb').waitFor();
  check((await page.locator('.react-flow__node').count()) === 6, 'the starter has six nodes');
  const edgesBefore = await page.locator('.react-flow__edge').count();
  check(edgesBefore === 7, `the starter has seven edges, saw ${edgesBefore}`);
  check(await page.getByTestId('node-resolve').locator('.badge-entry').isVisible(), 'the entry node is marked');
  // The palette refuses a second entry node, saying why.
  const entryItem = page.getByTestId('palette-item-cad.resolve_step_path');
  check(await entryItem.isDisabled(), 'a second entry node cannot be added');
  check((await entryItem.innerText()).includes('already has its entry node'), 'the palette says why');

  // glb (glb) -> extract.step (step_file): refused while dragging, with the reason.
  let hovering = '';
  await dragHandle(page, 'handle-glb-out-glb', 'handle-extract-in-step', async () => {
    hovering = await until('the live reason', async () => {
      const t = await text(page, 'status-line');
      return t.includes('cannot connect glb → step_file') ? t : '';
    });
  });
  check(hovering.includes('cannot connect glb → step_file'), 'the reason shows while dragging');
  const after = await until('the refusal', async () => {
    const t = await text(page, 'status-line');
    return t.startsWith('Refused') ? t : '';
  });
  check(after.includes('cannot connect glb → step_file'), `status says why: ${after}`);
  check((await page.locator('.react-flow__edge').count()) === edgesBefore, 'no edge was added');

  // Edit a setting of the export_glb node.
  await page.getByTestId('node-glb').click();
  await page.getByTestId('node-panel').waitFor();
  check((await page.getByTestId('field-param-linear_deflection').innerText()).includes('Default: 0.1'), 'the default is shown');
  await page.locator('#param_linear_deflection').fill('0.25');
  await page.getByTestId('overridden-param-linear_deflection').waitFor();
  // A policy override, in its own section.
  await page.locator('#policy_retries').fill('4');
  await page.getByTestId('overridden-policy-retries').waitFor();

  // Undo and redo from the keyboard, with the canvas focused.
  await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
  await page.keyboard.press('Control+z');
  await page.getByTestId('node-glb').click();
  await until('undo of the retries override', async () => (await page.locator('#policy_retries').inputValue()) === '1');
  await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
  await page.keyboard.press('Control+Shift+z');
  await page.getByTestId('node-glb').click();
  await until('redo of the retries override', async () => (await page.locator('#policy_retries').inputValue()) === '4');

  await page.getByTestId('save').click();
  await until('saved as version 1', async () => (await text(page, 'status-line')).includes('Saved e2e-intake as version 1'));
  const stored = await api('GET', '/api/workflows/e2e-intake');
  check(stored.status === 200 && stored.body.nodes.find((n) => n.id === 'glb').params.linear_deflection === 0.25, 'the server stored the value');

  // A second save makes version 2 (PUT over version 1).
  await page.locator('#param_angular_deflection').fill('0.3');
  await page.getByTestId('save').click();
  await until('saved as version 2', async () => (await text(page, 'status-line')).includes('as version 2'));

  // Reload, open the workflow, see the saved values.
  await page.reload();
  await page.getByTestId('workflow-list').waitFor();
  await page.getByTestId('wf-e2e-intake').click();
  // The canvas may still be fitting the graph when the first click lands:
  // click until the node's panel opens.
  await until('the glb node selected after the reload', async () => {
    await page.getByTestId('node-glb').click();
    return (await page.locator('#param_linear_deflection').count()) > 0;
  }, 20000);
  await until('the saved deflection', async () => (await page.locator('#param_linear_deflection').inputValue({ timeout: 2000 })) === '0.25');
  check((await page.locator('#param_angular_deflection').inputValue()) === '0.3', 'the second edit was saved');
  check((await page.locator('#policy_retries').inputValue()) === '4', 'the policy override was saved');
  check(await page.getByTestId('overridden-param-linear_deflection').isVisible(), 'the saved value is marked overridden');
  check((await text(page, 'doc-version')) === 'v2', 'the latest version is open');

  // Version history: v1 opens read-only, without the second edit.
  await page.getByTestId('wf-history-e2e-intake').click();
  await page.getByTestId('wf-e2e-intake-v1').click();
  await page.getByTestId('readonly-banner').waitFor();
  await page.getByTestId('node-glb').click();
  await until('v1 values', async () => (await page.locator('#param_angular_deflection').inputValue()) === '0.5');
  check(await page.locator('#param_linear_deflection').isDisabled(), 'old versions are read-only');
  check(await page.getByTestId('save').isDisabled(), 'an old version cannot be saved');

  // Someone else saves meanwhile: the editor's save is refused with a clear message.
  await page.getByTestId('readonly-banner').getByRole('button', { name: 'Open latest' }).click();
  await until('v2 open', async () => (await text(page, 'doc-version')) === 'v2');
  const other = (await api('GET', '/api/workflows/e2e-intake')).body;
  other.name = 'Changed elsewhere';
  check((await api('PUT', '/api/workflows/e2e-intake', other)).status === 200, 'the concurrent save went through');
  await page.getByTestId('node-glb').click();
  await page.locator('#param_linear_deflection').fill('0.5');
  expectHttpStatus(409);
  await page.getByTestId('save').click();
  await page.getByTestId('conflict-banner').waitFor();
  check((await text(page, 'conflict-banner')).includes('version 3, not 2'), 'the conflict names the versions');

  await page.getByTestId('conflict-banner').getByRole('button', { name: 'Open latest' }).click();
  await page.getByTestId('confirm-ok').click();
  await until('v3 open', async () => (await text(page, 'doc-version')) === 'v3');
  await page.getByTestId('node-glb').click();
  await page.getByTestId('node-panel').waitFor();
});

scenario('palette keeps to the family; a mixed-family import is pinned to its node', async (page) => {
  await openApp(page);
  await page.getByTestId('new-workflow').click();
  await page.getByTestId('family-cad_file').click();
  await page.getByTestId('start-blank').click();
  await page.getByTestId('new-name').fill('E2E blank');
  await page.getByTestId('create-workflow').click();
  await page.getByTestId('node-resolve_step_path').waitFor();
  await page.getByTestId('palette').waitFor();
  check(await page.getByTestId('palette-item-cad.export_glb').isVisible(), 'cad.export_glb is offered');
  for (const step of ['order.resolve_line', 'render.blender_still', 'render.blender_turntable']) {
    check((await page.getByTestId(`palette-item-${step}`).count()) === 0, `${step} is not offered in a cad_file workflow`);
  }
  // Search narrows the palette; unavailable modules are marked.
  await page.getByTestId('palette-search').fill('bounding');
  await until('the search result', async () => (await page.locator('.palette-item').count()) === 1);
  check((await page.getByTestId('palette-item-cad.compute_bbox').innerText()).includes('Compute bounding box'), 'labels come from the registry');
  await page.getByTestId('palette-search').fill('');
  // Add a node by clicking, and connect it.
  await page.getByTestId('palette-item-cad.extract_objects').click();
  await page.getByTestId('node-extract_objects').waitFor();
  await page.getByRole('button', { name: 'Layout' }).click();
  await sleep(300);
  await dragHandle(page, 'handle-resolve_step_path-out-step', 'handle-extract_objects-in-step');
  await until('the new edge', async () => (await page.locator('.react-flow__edge').count()) === 1);
  // Keyboard delete of a selected edge, then of a selected node; undo brings them back.
  await clickEdge(page, 0);
  await page.keyboard.press('Delete');
  await until('the edge deleted', async () => (await page.locator('.react-flow__edge').count()) === 0);
  await page.getByTestId('undo').click();
  await until('the edge restored', async () => (await page.locator('.react-flow__edge').count()) === 1);
  await page.getByTestId('node-extract_objects').click();
  await page.keyboard.press('Delete');
  await until('the node deleted', async () => (await page.getByTestId('node-extract_objects').count()) === 0);
  check((await page.locator('.react-flow__edge').count()) === 0, 'its edge went with it');
  await page.getByTestId('node-resolve_step_path').click();
  await page.keyboard.press('Delete');
  check((await page.getByTestId('node-resolve_step_path').count()) === 1, 'the only entry node cannot be deleted');
  await page.keyboard.press('Control+z');
  await until('node and edge restored', async () => (await page.getByTestId('node-extract_objects').count()) === 1 && (await page.locator('.react-flow__edge').count()) === 1);

  // Import a cad_file document holding an order_line node.
  const mixed = {
    schema: 'prodflow.workflow/v1',
    id: 'mixed-import',
    name: 'Mixed import',
    family: 'cad_file',
    nodes: [
      { id: 'resolve', step: 'cad.resolve_step_path' },
      { id: 'extract', step: 'cad.extract_objects' },
      { id: 'order', step: 'order.resolve_line' },
    ],
    edges: [{ from: { node: 'resolve', port: 'step' }, to: { node: 'extract', port: 'step' } }],
  };
  await page.getByTestId('import-open').click();
  await page.getByTestId('import-text').fill(JSON.stringify(mixed, null, 2));
  await page.getByTestId('import-submit').click();
  await page.getByTestId('confirm-ok').click(); // the blank workflow was never saved
  await page.getByTestId('node-order').waitFor();
  const pinned = await until('the problem pinned to node "order"', async () => {
    const t = await page.getByTestId('node-problems-order').innerText();
    return t.includes('belongs to family order_line') ? t : '';
  });
  check(pinned.includes('order.resolve_line'), `the node shows the server's message: ${pinned}`);
  check(await page.getByTestId('node-order').evaluate((el) => el.classList.contains('has-problem')), 'the node is marked');
  check((await page.getByTestId('node-problems-resolve').count()) === 0, 'other nodes are not blamed');
  // Imported without positions: laid out in columns by depth.
  const x = async (id) => (await page.getByTestId(`node-${id}`).boundingBox()).x;
  check((await x('extract')) > (await x('resolve')) + 100, 'auto-layout put extract right of resolve');
  // The problem list is clickable and selects the node.
  const list = await text(page, 'problem-list');
  check(list.includes('node order'), 'the problem list names the node');
  await page.getByTestId('problem-list').getByText('belongs to family order_line').click();
  await page.getByTestId('node-panel').waitFor();
  check((await page.locator('#node-id').inputValue()) === 'order', 'clicking the problem selected the node');
  check((await page.getByTestId('node-panel').innerText()).includes('not to this workflow’s family cad_file'), 'the panel explains');
  // Save is refused with the same problem.
  expectHttpStatus(422);
  await page.getByTestId('save').click();
  await until('save refused', async () => (await text(page, 'status-line')).startsWith('Not saved'));
  await page.locator('.react-flow__controls-fitview').click();
  await sleep(300); // let the view settle before the screenshot
});

// ---- run view -------------------------------------------------------------------

/** Waits until an <img> has loaded a picture. */
const imageLoaded = (what, img, timeout = 30000) => until(what, () => img.evaluate((el) => el.complete && el.naturalWidth > 0), timeout);

/** The status every run-graph node shows, by node id. */
const nodeStatuses = (view) =>
  view.locator('[data-testid^="node-status-"]').evaluateAll((els) => Object.fromEntries(els.map((el) => [el.dataset.testid.slice('node-status-'.length), el.dataset.status])));

/**
 * Waits (up to 120 s: Blender renders the thumbnail) until the run is over,
 * noting each node's statuses as the page shows them, without reloading.
 */
async function watchRun(page, view) {
  const seen = {};
  const runStatus = await until(
    'the run to end',
    async () => {
      for (const [id, st] of Object.entries(await nodeStatuses(view))) if ((seen[id] ??= []).at(-1) !== st) seen[id].push(st);
      const s = await view.getByTestId('run-status').getAttribute('data-status');
      return s && s !== 'running' ? s : '';
    },
    120000,
  );
  // After the run's end the page fetches it once more; let the last statuses land.
  await sleep(300);
  for (const [id, st] of Object.entries(await nodeStatuses(view))) if ((seen[id] ??= []).at(-1) !== st) seen[id].push(st);
  return { runStatus, seen };
}

const transitions = (seen) => Object.entries(seen).map(([id, s]) => `${id}: ${s.join('→')}`).join(', ');

async function startRun(page, context, overrides) {
  await page.getByTestId('start-run').click();
  await page.getByTestId('start-run-dialog').waitFor();
  await page.getByTestId('start-run-workflow').selectOption('starter:starter-cad-intake');
  await page.getByTestId('start-run-context').fill(context);
  if (overrides) await page.getByTestId('start-run-overrides').fill(overrides);
  await page.getByTestId('start-run-submit').click();
}

scenario('run view: start from the dialog, live statuses, node details, failure and re-run, parity', async (page) => {
  const events = [];
  page.on('request', (r) => /\/api\/runs\/[^/]+\/events$/.test(new URL(r.url()).pathname) && events.push(r.url()));

  // The Runs tab sits next to the editor; the fixtures' three runs are listed.
  await openApp(page);
  await page.getByTestId('nav-runs').click();
  await page.getByTestId('runs-page').waitFor();
  check(new URL(page.url()).pathname === '/runs', 'the runs view has its URL');
  // The fixture runs, plus whatever the demo data started (a sample product's intake).
  const fixtureRuns = (await api('GET', '/api/runs')).body.runs.length;
  check(fixtureRuns >= 3, `the fixtures made their runs (${fixtureRuns})`);
  await until('the fixture runs listed', async () => (await page.locator('.runs-row').count()) === fixtureRuns);
  check((await text(page, 'runs-table')).includes('legacy-drift'), 'the legacy run is listed');

  // The dialog prefills the family's context; a context without step_path is refused at /context.
  await page.getByTestId('start-run').click();
  await page.getByTestId('start-run-dialog').waitFor();
  await page.getByTestId('start-run-workflow').selectOption('starter:starter-cad-intake');
  check(JSON.parse(await page.getByTestId('start-run-context').inputValue()).step_path === '', 'the context is prefilled from the context schema');
  check((await text(page, 'start-run-params')).includes('deflection'), 'the invocation parameters are listed');
  await page.getByTestId('start-run-context').fill('{}');
  expectHttpStatus(422);
  await page.getByTestId('start-run-submit').click();
  const refusal = await until('the refusal', async () => (await page.getByTestId('start-run-errors').count()) && text(page, 'start-run-errors'));
  check(refusal.includes('/context') && refusal.includes('step_path'), `the /context pointer and its message show: ${refusal}`);
  check(await page.getByTestId('start-run-context').evaluate((el) => el.classList.contains('input-error')), 'the context field is marked');
  await page.screenshot({ path: join(outDir, 'run-view-start-error.png') });
  await page.getByTestId('start-run-dialog').getByRole('button', { name: 'Cancel' }).click();

  // A good run, with an invocation override.
  await startRun(page, '{"step_path": "gearbox.step"}', '{"deflection": 0.25}');
  const view = page.getByTestId('run-view');
  await view.waitFor();
  const runId = await until('the run page', async () => /^\/runs\/(run_[^/?]+)/.exec(new URL(page.url()).pathname)?.[1]);
  await view.getByTestId('node-status-thumbnail').waitFor();
  const first = await watchRun(page, view);
  console.log(`       run ${runId}: ${first.runStatus}; seen ${transitions(first.seen)}`);
  check(first.runStatus === 'succeeded', `the run succeeded, not ${first.runStatus}`);
  const final = await nodeStatuses(view);
  check(Object.keys(final).length === 6 && Object.values(final).every((s) => s === 'succeeded'), `every node succeeded: ${JSON.stringify(final)}`);
  check((await text(page, 'run-progress')).startsWith('6 of 6 nodes succeeded'), 'the header counts the nodes');
  // Labels come from the node definitions.
  check((await view.getByTestId('node-thumbnail').innerText()).includes('Thumbnail'), 'the node is labelled from its definition');

  // The thumbnail node: its image loads, its params say where they came from.
  await view.getByTestId('node-thumbnail').click();
  const panel = page.getByTestId('node-run-panel');
  await until('the thumbnail panel', async () => (await panel.getAttribute('data-node')) === 'thumbnail');
  check(new URL(page.url()).searchParams.get('node') === 'thumbnail', 'the URL names the node');
  const img = panel.getByTestId('output-image-image');
  await imageLoaded('the thumbnail preview', img);
  check((await img.evaluate((el) => el.naturalWidth)) === 256, 'the thumbnail is 256 px wide (the invocation default)');
  check((await panel.getByTestId('param-source-size').innerText()) === 'default', 'the size comes from the default');
  check(await panel.getByTestId('param-source-size').isVisible(), 'the source label is visible');
  check((await panel.getByTestId('node-attempts').innerText()).includes('succeeded'), 'the attempt is listed');
  check((await panel.getByTestId('node-cache').innerText()).length > 0, 'the cache verdict shows');
  check((await panel.getByTestId('node-log').count()) === 1, 'the render log shows');
  await page.screenshot({ path: join(outDir, 'run-view.png') });

  // The GLB node: the override arrived through the invocation parameter; the GLB downloads.
  await view.getByTestId('node-glb').click();
  await until('the glb panel', async () => (await panel.getAttribute('data-node')) === 'glb');
  check((await panel.getByTestId('param-source-linear_deflection').innerText()) === 'invocation', 'the override is an invocation value');
  check((await panel.getByTestId('param-linear_deflection').innerText()).includes('via deflection'), 'through the deflection parameter');
  check((await panel.getByTestId('param-linear_deflection').innerText()).includes('0.25'), 'with the value sent');
  const glbLink = panel.getByTestId('output-download-glb');
  check((await glbLink.getAttribute('download')) === 'glb-glb.glb', 'the GLB is a download');
  const glb = await fetch(base + (await glbLink.getAttribute('href')));
  check(glb.ok && glb.headers.get('content-type') === 'model/gltf-binary', `the GLB link serves the file (${glb.status})`);
  await page.getByTestId('tab-run-request').click();
  check(JSON.parse(await text(page, 'run-context')).step_path === 'gearbox.step', 'the request shows the context');

  // A run that fails: its STEP file is missing. The error carries its pointer.
  await view.getByTestId('run-back').click();
  await page.getByTestId('runs-page').waitFor();
  await startRun(page, '{"step_path": "later.step"}');
  await until('the new run page', async () => /^\/runs\/run_/.test(new URL(page.url()).pathname) && !page.url().includes(runId));
  const failedId = /^\/runs\/([^/?]+)/.exec(new URL(page.url()).pathname)[1];
  const failed = await watchRun(page, view);
  check(failed.runStatus === 'failed', `the run failed, not ${failed.runStatus}`);
  check((await view.getByTestId('node-status-resolve').getAttribute('data-status')) === 'failed', 'the entry node failed');
  check((await view.getByTestId('node-status-thumbnail').getAttribute('data-status')) === 'skipped', 'its dependents were skipped');
  check(await view.getByTestId('run-rerun').isVisible(), 'a failed run offers Re-run');
  check((await view.getByTestId('run-cancel').count()) === 0, 'a failed run cannot be cancelled');
  await view.getByTestId('node-resolve').click();
  await until('the resolve panel', async () => (await panel.getAttribute('data-node')) === 'resolve');
  const err = await text(page, 'node-error');
  check(err.includes('later.step') && (await text(page, 'node-error-pointer')) === '/context/step_path', `the error and its pointer: ${err}`);
  await page.screenshot({ path: join(outDir, 'run-view-failed.png') });

  // The status filter finds it.
  await view.getByTestId('run-back').click();
  await page.getByTestId('filter-failed').click();
  await until('only failed runs', async () => (await page.locator('.runs-row').count()) === 1 && (await page.getByTestId(`run-row-${failedId}`).count()) === 1);
  check(new URL(page.url()).searchParams.get('status') === 'failed', 'the filter is in the URL');
  await page.screenshot({ path: join(outDir, 'run-view-list.png') });
  await page.getByTestId(`run-row-${failedId}`).click();
  await view.getByTestId('run-rerun').waitFor();
  // Re-run shows once the run loads; the graph follows when the node definitions arrive.
  await until('the failed run\'s graph', async () => (await nodeStatuses(view)).thumbnail === 'skipped');

  // The file arrives; Re-run runs what did not succeed, and the page follows it live.
  prodflow(['cad', 'fixture', '-o', join(dataDir, 'later.step'), '--bolts', '2']);
  const eventsBefore = events.length;
  const before = await nodeStatuses(view);
  await view.getByTestId('run-rerun').click();
  await until('the re-run to start', async () => (await view.getByTestId('run-status').getAttribute('data-status')) !== 'failed');
  const rerun = await watchRun(page, view);
  for (const [id, st] of Object.entries(before)) rerun.seen[id] = [st, ...rerun.seen[id].filter((x, i) => i > 0 || x !== st)];
  console.log(`       re-run ${failedId}: ${rerun.runStatus}; seen ${transitions(rerun.seen)}`);
  check(rerun.runStatus === 'succeeded', `the re-run succeeded, not ${rerun.runStatus}`);
  check(rerun.seen.thumbnail[0] === 'skipped' && rerun.seen.thumbnail.at(-1) === 'succeeded', `the thumbnail went from skipped to succeeded on the page: ${rerun.seen.thumbnail}`);
  check(events.length > eventsBefore, 'the page followed the re-run over its event stream');
  await view.getByTestId('node-thumbnail').click();
  await imageLoaded('the re-run thumbnail', page.getByTestId('node-run-panel').getByTestId('output-image-image'));

  // The shadow pair: the parity report, with both images side by side.
  await view.getByTestId('run-back').click();
  await page.getByTestId('filter-all').click();
  const shadowRow = page.locator('.runs-row', { hasText: 'starter-order-still' });
  await until('the shadow run listed', async () => (await shadowRow.count()) === 1);
  await shadowRow.click();
  await view.getByTestId('parity-chip').waitFor();
  check((await text(page, 'parity-chip')) === 'parity: differs', 'the header says the pair differs');
  await view.getByTestId('parity-chip').click();
  const parity = page.getByTestId('parity');
  check((await text(page, 'parity-identical')) === 'no', 'not identical');
  const diffs = await text(page, 'parity-differences');
  check(diffs.includes('render.blender_still.samples') && diffs.includes('legacy 4 → graph 2'), `the samples difference is listed: ${diffs}`);
  await imageLoaded('the legacy image', parity.getByTestId('parity-image-legacy'));
  await imageLoaded('the graph image', parity.getByTestId('parity-image-graph'));
  const srcs = await parity.locator('.parity-figure img').evaluateAll((els) => els.map((el) => el.getAttribute('src')));
  check(srcs.length === 2 && srcs[0] !== srcs[1], `two different artifacts: ${srcs}`);
  await page.screenshot({ path: join(outDir, 'run-view-parity.png') });

  // Back to the editor, as it was.
  await page.getByTestId('runs-app').getByTestId('nav-editor').click();
  await page.getByTestId('workflow-list').waitFor();
  check(new URL(page.url()).pathname === '/', 'the editor has its URL back');
});

scenario('run view: follows a run by polling when its event stream fails', async (page) => {
  // A run that fails at once (no STEP file yet), opened with the event stream refused.
  const started = await api('POST', '/api/runs', { workflow: { id: 'starter-cad-intake' }, context: { step_path: 'polled.step' } });
  check(started.status === 202, `the run was accepted (${started.status})`);
  const id = started.body.id;
  await until('the run to fail', async () => (await api('GET', `/api/runs/${id}`)).body.status === 'failed', 30000);
  let refused = 0;
  expectHttpStatus(503);
  await page.route('**/api/runs/*/events', (route) => {
    refused++;
    return route.fulfill({ status: 503, contentType: 'application/problem+json', body: '{"title":"Unavailable","status":503}' });
  });
  await page.goto(`${base}/runs/${id}`);
  const view = page.getByTestId('run-view');
  await view.getByTestId('run-rerun').waitFor();

  prodflow(['cad', 'fixture', '-o', join(dataDir, 'polled.step'), '--bolts', '4']);
  await view.getByTestId('run-rerun').click();
  await until('the re-run to start', async () => (await view.getByTestId('run-status').getAttribute('data-status')) !== 'failed');
  const { runStatus, seen } = await watchRun(page, view);
  console.log(`       polled re-run ${id}: ${runStatus}; seen ${transitions(seen)}`);
  check(refused > 0, 'the page asked for the event stream');
  check(runStatus === 'succeeded', `the page saw the run succeed without its stream, not ${runStatus}`);
  check((await view.getByTestId('node-status-thumbnail').getAttribute('data-status')) === 'succeeded', 'the thumbnail node succeeded');
  await view.getByTestId('node-thumbnail').click();
  await imageLoaded('the thumbnail preview', page.getByTestId('node-run-panel').getByTestId('output-image-image'));
});

// ---- catalog: output types, wizard, products, orders ----------------------------

const DEMO_TYPES = {
  studio_still: { rollout: 'legacy', kind: 'still_image' },
  studio_still_v2: { rollout: 'shadow', kind: 'still_image' },
  turntable_360: { rollout: 'graph', kind: 'turntable_video' },
  production_blend: { rollout: 'graph', kind: 'production_blend' },
};

/** Waits for the wizard's server check of the current step, then presses Next. */
async function wizardNext(page) {
  const next = page.getByTestId('wizard-next');
  await until('Next to be enabled', () => next.isEnabled());
  await next.click();
}

async function openWizardStep(page, step) {
  await until(`the ${step} step`, async () => (await page.getByTestId('wizard').getAttribute('data-step')) === step);
}

scenario('output types: the list, a legacy type beside its mapping, the switch to shadow', async (page) => {
  await openApp(page);
  await page.getByTestId('nav-output-types').click();
  await page.getByTestId('ot-table').waitFor();
  check(new URL(page.url()).pathname === '/output-types', 'the output types have their URL');
  for (const [key, want] of Object.entries(DEMO_TYPES)) {
    check((await page.getByTestId(`ot-row-${key}`).count()) === 1, `${key} is listed`);
    check((await text(page, `ot-rollout-cell-${key}`)) === want.rollout, `${key} rolls out as ${want.rollout}`);
    check((await page.getByTestId(`ot-kind-${key}`).getAttribute('title')) === want.kind, `${key} delivers ${want.kind}`);
  }
  check((await text(page, 'ot-workflow-turntable_360')).includes('starter-order-turntable') && (await text(page, 'ot-workflow-turntable_360')).includes('v1'), 'the workflow and its version show');
  check((await text(page, 'ot-workflow-studio_still')).includes('legacy pipeline'), 'a legacy type has no workflow');

  // The rollout filter (its values come from the schema).
  await page.getByTestId('ot-rollout-graph').click();
  await until('only graph rows', async () => (await page.locator('[data-testid^="ot-row-"]').count()) === 2);
  await page.getByTestId('ot-rollout-all').click();

  // The legacy settings beside the compat adapter's mapping.
  await page.getByTestId('ot-legacy-studio_still').click();
  const panel = page.getByTestId('legacy-panel-studio_still');
  await panel.getByTestId('legacy-mapping-studio_still').waitFor();
  // (innerText follows the headers' text-transform, hence the lower case)
  check((await text(page, 'legacy-settings-studio_still')).toLowerCase().includes('transparent_bg'), 'the legacy settings keep their old names');
  const mapping = (await text(page, 'legacy-mapping-studio_still')).toLowerCase();
  check(mapping.includes('transparent') && !mapping.includes('transparent_bg'), 'the mapping shows the invocation parameter');
  await page.screenshot({ path: join(outDir, 'output-types-list.png') });

  // Switching to shadow goes through the wizard's workflow step.
  await page.getByTestId('switch-studio_still-shadow').click();
  await openWizardStep(page, 'workflow');
  check(new URL(page.url()).pathname === '/output-types/studio_still/edit', 'the wizard edits studio_still');
  check(await page.getByTestId('field-ot-rollout').getByLabel('shadow').isChecked(), 'shadow is chosen');
  await page.getByTestId('wf-choice-starter-order-still').click();
  await until('the check to pass', async () => (await text(page, 'wizard-check')) === 'This step is complete.');
  check((await text(page, 'wizard-legacy-mapping')).includes('studio_white'), 'the mapping shows beside the legacy settings');
  await page.screenshot({ path: join(outDir, 'output-type-switch.png') });
});

scenario('output-type wizard: a graph turntable step by step, with a pinned problem', async (page) => {
  await page.goto(base + '/output-types');
  await page.getByTestId('ot-new').click();
  await openWizardStep(page, 'family');
  check(await page.getByTestId('field-ot-family').getByLabel('Order Rendering').isChecked(), 'the family starts at the schema default');
  check((await page.getByTestId('wizard-step-review').isDisabled()), 'later steps are closed');
  await wizardNext(page);

  await openWizardStep(page, 'workflow');
  await page.getByTestId('wf-choice-starter-order-turntable').click();
  await page.getByTestId('field-ot-rollout').getByLabel('graph').check();
  await wizardNext(page);

  await openWizardStep(page, 'artifact_kind');
  await page.getByTestId('kind-choice-turntable_video').waitFor();
  check((await page.getByTestId('kind-choices').locator('.choice').count()) === 1, 'only the kind the workflow delivers is offered');
  await page.getByTestId('kind-choice-turntable_video').click();
  await wizardNext(page);

  await openWizardStep(page, 'overrides');
  const frames = page.getByTestId('field-ov-frames');
  await frames.waitFor();
  check((await frames.innerText()).includes('Default: 36'), 'the default comes from the workflow');
  await page.locator('#ov_frames').fill('1');
  const pinned = await until('the problem pinned to frames', async () => {
    const t = await frames.innerText();
    return t.includes('at least 2') ? t : '';
  });
  check(pinned.includes('"frames" must be at least 2'), `the server's message is on the field: ${pinned}`);
  check(await page.getByTestId('wizard-next').isDisabled(), 'Next waits while the step has a problem');
  await page.screenshot({ path: join(outDir, 'wizard-overrides-problem.png') });
  await page.locator('#ov_frames').fill('12');
  await page.getByTestId('overridden-ov-frames').waitFor();
  await until('the problem gone', async () => !(await frames.innerText()).includes('at least 2'));
  await wizardNext(page);

  await openWizardStep(page, 'commercial');
  await page.locator('#ot_name').fill('E2E Turntable');
  check((await page.locator('#ot_key').inputValue()) === 'e2e_turntable', 'the key follows the name');
  await page.locator('#ot_pricing_tier').selectOption({ index: 1 });
  await page.getByTestId('field-ot-categories').getByLabel('Machinery').check();
  await page.getByTestId('field-ot-categories').getByLabel('*', { exact: true }).uncheck();
  await page.screenshot({ path: join(outDir, 'wizard-commercial.png') });
  await wizardNext(page);

  await openWizardStep(page, 'review');
  await page.getByTestId('review-ok').waitFor();
  check((await text(page, 'review-json')).includes('"frames": 12'), 'the review shows the whole document');
  await page.screenshot({ path: join(outDir, 'wizard-review.png') });
  await page.getByTestId('wizard-save').click();
  await page.getByTestId('ot-row-e2e_turntable').waitFor();
  check((await text(page, 'ot-rollout-cell-e2e_turntable')) === 'graph', 'listed as graph');
  check((await page.getByTestId('ot-kind-e2e_turntable').getAttribute('title')) === 'turntable_video', 'listed as a turntable');
  const stored = (await api('GET', '/api/output-types/e2e_turntable')).body;
  check(stored.overrides.frames === 12 && JSON.stringify(stored.categories) === '["machinery"]' && stored.workflow.id === 'starter-order-turntable', `stored: ${JSON.stringify(stored)}`);
});

scenario('output-type wizard: "create one" goes to the editor and comes back with the new workflow', async (page) => {
  await page.goto(base + '/output-types/new');
  await openWizardStep(page, 'family');
  await wizardNext(page);
  await openWizardStep(page, 'workflow');
  await page.getByTestId('wizard-create-workflow').click();
  await page.getByTestId('new-workflow-dialog').waitFor();
  check((await page.getByTestId('family-order_line').getAttribute('class')).includes('chosen'), 'the dialog starts at the family of the output type');
  await page.getByTestId('starter-starter-order-still').click();
  await page.getByTestId('new-name').fill('E2E still for wizard');
  await page.getByTestId('create-workflow').click();
  await page.getByTestId('return-banner').waitFor();
  await page.getByTestId('save').click();
  await until('saved', async () => (await text(page, 'return-to-wizard')).includes('e2e-still-for-wizard v1'));
  await page.getByTestId('return-to-wizard').click();
  await openWizardStep(page, 'workflow');
  await until('the new workflow chosen', () => page.getByTestId('wf-choice-e2e-still-for-wizard').locator('input').isChecked());
});

scenario('the editor follows the backend: a served schema and a new category change the forms', async (page) => {
  check((await api('POST', '/api/categories', { key: 'boats', name: 'Boats and yachts' })).status === 201, 'the category was created');
  // Serve a modified output-type schema: a new visibility with a new default, a new easing, another frames default.
  await page.route('**/api/output-types/schema*', async (route) => {
    const res = await route.fetch();
    const schema = await res.json();
    const p = schema.properties;
    p.visibility.enum = [...p.visibility.enum, 'beta'];
    p.visibility.default = 'internal';
    const ov = p.overrides.properties;
    if (ov?.frames) {
      ov.frames.default = 48;
      ov.easing.enum = [...ov.easing.enum, 'bounce'];
    }
    await route.fulfill({ response: res, json: schema });
  });
  await page.goto(base + '/output-types/new');
  await openWizardStep(page, 'family');
  await wizardNext(page);
  await page.getByTestId('wf-choice-starter-order-turntable').click();
  await page.getByTestId('field-ot-rollout').getByLabel('graph').check();
  await wizardNext(page);
  await page.getByTestId('kind-choice-turntable_video').click();
  await wizardNext(page);
  await openWizardStep(page, 'overrides');
  const frames = page.getByTestId('field-ov-frames');
  await until('the served default', async () => (await frames.innerText()).includes('Default: 48'));
  check((await page.locator('#ov_frames').inputValue()) === '48', 'the field starts at the served default');
  const easings = await page.locator('#ov_easing option').allInnerTexts();
  check(easings.includes('bounce'), `the served enum value is offered: ${easings}`);
  await wizardNext(page);
  await openWizardStep(page, 'commercial');
  const vis = page.getByTestId('field-ot-visibility');
  check(await vis.getByLabel('beta').isVisible(), 'the served visibility value is offered');
  check(await vis.getByLabel('internal').isChecked(), 'the served default is chosen');
  check(await page.getByTestId('field-ot-categories').getByLabel('Boats and yachts').isVisible(), 'the new category is offered');
  await page.screenshot({ path: join(outDir, 'wizard-follows-backend.png') });
});

scenario('products and orders: upload, intake, order, preflight, dispatch', async (page) => {
  await openApp(page);
  await page.getByTestId('nav-products').click();
  await page.getByTestId('product-form').waitFor();
  await page.getByTestId('product-name').fill('E2E Gearbox');
  await page.getByTestId('product-sku').fill('E2E-GB');
  await page.getByTestId('product-category').selectOption('machinery');
  await page.getByTestId('product-create').click();
  await page.getByTestId('product-page').waitFor();

  // Upload the STEP fixture; the bar follows the intake; the thumbnail shows at the end.
  await page.getByTestId('cad-upload').setInputFiles(join(dataDir, 'gearbox.step'));
  const bar = page.getByTestId('intake-progress');
  await bar.waitFor();
  const seen = [];
  await until(
    'the intake to succeed',
    async () => {
      const st = await bar.getAttribute('data-status');
      const pct = await bar.locator('[role="progressbar"]').getAttribute('aria-valuenow');
      if (seen.at(-1) !== `${st} ${pct}%`) seen.push(`${st} ${pct}%`);
      return st === 'succeeded';
    },
    90000,
  );
  console.log(`       intake: ${seen.join(' → ')}`);
  check((await bar.locator('[role="progressbar"]').getAttribute('aria-valuenow')) === '100', 'the bar is full');
  await imageLoaded('the intake thumbnail', page.getByTestId('intake-thumbnail'));
  check((await text(page, 'intake-results')).includes('products'), 'the objects summary shows');
  await sleep(300); // the bar's last step animates
  await page.screenshot({ path: join(outDir, 'product-page.png') });
  const productId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  check((await api('GET', `/api/products/${productId}`)).body.cad_file, 'the product links its CAD file');

  // An order with a legacy still line and a graph turntable line with its own overrides.
  await page.getByTestId('catalog-app').getByTestId('nav-orders').click();
  await page.getByTestId('order-new').click();
  await page.getByTestId('order-form').waitFor();
  await until('products loaded', async () => (await page.getByTestId('line-0-product').locator('option').count()) > 1);
  await page.getByTestId('order-customer').fill('ACME');
  await page.getByTestId('line-0-product').selectOption(productId);
  await page.getByTestId('line-0-output-type').selectOption('studio_still');
  await page.getByTestId('line-0-quantity').fill('2');
  check((await page.getByTestId('line-0-overrides-toggle').count()) === 0, 'a legacy line takes no overrides');
  await page.getByTestId('order-add-line').click();
  await page.getByTestId('line-1-product').selectOption(productId);
  await page.getByTestId('line-1-output-type').selectOption('turntable_360');
  await page.getByTestId('line-1-overrides-toggle').click();
  const lineFrames = page.getByTestId('field-line1-frames');
  await lineFrames.waitFor();
  check((await lineFrames.innerText()).includes('Default: 36'), "the output type's value is the line's default");
  await page.locator('#line1_frames').fill('24');
  await page.getByTestId('overridden-line1-frames').waitFor();
  const est = await text(page, 'order-estimate');
  check(est.includes('€140.00'), `the estimate adds the lines: ${est}`);
  await page.screenshot({ path: join(outDir, 'order-form.png') });
  await page.getByTestId('order-submit').click();
  await page.getByTestId('order-page').waitFor();
  check((await text(page, 'line-unit-studio_still')) === '€25.00' && (await text(page, 'line-total-studio_still')) === '€50.00', 'the line is priced by the tier');
  check((await text(page, 'order-total')) === '€140.00', 'the order total');
  const orderId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  const stored = (await api('GET', `/api/orders/${orderId}`)).body;
  check(stored.lines.find((l) => l.output_type === 'turntable_360').overrides.frames === 24, 'the line override was stored');

  // Preflight, then dispatch the still line; its status follows the run.
  await page.getByTestId('preflight-studio_still').click();
  const result = page.getByTestId('line-result-studio_still');
  await result.waitFor();
  check((await result.getAttribute('data-ok')) === 'true' && (await result.innerText()).includes('Preflight passed'), 'the preflight passed');
  await page.getByTestId('dispatch-studio_still').click();
  const status = page.getByTestId('line-status-studio_still');
  await until('the line in production', async () => ['in_production', 'delivered'].includes(await status.getAttribute('data-status')));
  const runLink = page.getByTestId('line-run-studio_still');
  await runLink.waitFor();
  await page.screenshot({ path: join(outDir, 'order-page.png') });
  const delivered = Date.now();
  await until('the line delivered', async () => (await status.getAttribute('data-status')) === 'delivered', 120000);
  check(await page.getByTestId('dispatch-studio_still').isDisabled(), 'a delivered line is not dispatched again');
  console.log(`       studio_still delivered ${Math.round((Date.now() - delivered) / 1000)} s after dispatch`);
  await page.screenshot({ path: join(outDir, 'order-delivered.png') });
  await runLink.click();
  await page.getByTestId('run-view').waitFor();
  check(/^\/runs\/run_/.test(new URL(page.url()).pathname), 'the line links its run in the run view');

  // A line that cannot pass: its product has no CAD file. The problem leads to the product.
  const bare = (await api('POST', '/api/products', { name: 'No CAD', sku: 'E2E-NOCAD', category: 'machinery' })).body;
  const order2 = (await api('POST', '/api/orders', { lines: [{ product: bare.id, output_type: 'studio_still' }] })).body;
  await page.goto(`${base}/orders/${order2.id}`);
  await page.getByTestId('preflight-studio_still').click();
  const problems = page.getByTestId('line-problems-studio_still');
  await problems.waitFor();
  check((await problems.innerText()).includes('/product/cad_file'), 'the pointer shows');
  await page.getByTestId('line-problems-studio_still-0').click();
  await page.getByTestId('product-page').waitFor();
  check(new URL(page.url()).pathname === `/products/${bare.id}`, 'the problem leads to the product');
});

// ---- settings: reference data, served files; the legacy import ------------------

scenario('settings: a category and a tier with a pinned problem, a material edited and restored, a legacy import', async (page) => {
  await openApp(page);
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('categories-table').waitFor();
  check(new URL(page.url()).pathname === '/settings', 'the settings have their URL');

  // A category, from the form the OpenAPI Category schema makes.
  const dialog = page.getByTestId('item-dialog');
  await page.getByTestId('categories-new').click();
  await dialog.waitFor();
  await page.getByTestId('item-key').fill('e2e_lamps');
  await page.getByTestId('item-name').fill('E2E Lamps');
  await page.getByTestId('item-description').fill('Desk and floor lamps');
  await page.getByTestId('item-save').click();
  await page.getByTestId('categories-row-e2e_lamps').waitFor();
  check((await api('GET', '/api/categories/e2e_lamps')).body.name === 'E2E Lamps', 'the category was stored');
  await page.screenshot({ path: join(outDir, 'settings-categories.png') });

  // Someone else saves while the dialog is open: the save is refused (409) and says so; Reload shows their version.
  expectHttpStatus(409);
  await page.getByTestId('categories-edit-e2e_lamps').click();
  await dialog.waitFor();
  check((await api('PUT', '/api/categories/e2e_lamps', { name: 'E2E Lamps (theirs)' })).status === 200, 'the other write went in');
  await page.getByTestId('item-name').fill('E2E Lamps (mine)');
  await page.getByTestId('item-save').click();
  await page.getByTestId('item-conflict').waitFor();
  check((await text(page, 'item-conflict')).includes('Changed by someone else'), 'the conflict is said plainly');
  await page.getByTestId('item-reload').click();
  await until('their version in the form', async () => (await page.getByTestId('item-name').inputValue()) === 'E2E Lamps (theirs)');
  await page.getByTestId('item-name').fill('E2E Lamps');
  await page.getByTestId('item-save').click();
  await dialog.waitFor({ state: 'detached' });
  check((await api('GET', '/api/categories/e2e_lamps')).body.name === 'E2E Lamps', 'the edit after the reload was stored');

  // A category in use is not deleted: the server's reason shows. Unused, it goes.
  const lamp = (await api('POST', '/api/products', { name: 'E2E Lamp', sku: 'E2E-LAMP', category: 'e2e_lamps' })).body;
  await page.getByTestId('categories-delete-e2e_lamps').click();
  await page.getByTestId('confirm-ok').click();
  await until('the refusal', async () => (await text(page, 'categories-notice')).includes('is in use by'));
  check((await api('GET', '/api/categories/e2e_lamps')).status === 200, 'the category stayed');
  check((await api('DELETE', `/api/products/${lamp.id}`)).status === 204, 'the product was deleted');
  await page.getByTestId('categories-delete-e2e_lamps').click();
  await page.getByTestId('confirm-ok').click();
  await until('the row gone', async () => (await page.getByTestId('categories-row-e2e_lamps').count()) === 0);

  // A pricing tier: a price per artifact kind of the vocabulary; a currency the server refuses is pinned to its field.
  expectHttpStatus(422);
  await page.getByTestId('settings-tab-pricing-tiers').click();
  await page.getByTestId('tiers-table').waitFor();
  await page.getByTestId('tiers-new').click();
  await dialog.waitFor();
  const kinds = (await api('GET', '/api/families')).body.vocabulary.artifact_kinds.map((k) => k.key);
  const offered = await page.locator('#item-prices input').evaluateAll((els) => els.map((el) => el.id.replace('item-prices-', '')));
  check(JSON.stringify(offered) === JSON.stringify(kinds), `the kinds offered are the vocabulary's: ${offered}`);
  await page.getByTestId('item-key').fill('e2e_gold');
  await page.getByTestId('item-name').fill('E2E Gold');
  await page.getByTestId('item-currency').fill('euro');
  await page.getByTestId('item-prices-still_image').fill('40');
  await page.getByTestId('item-save').click();
  const pinned = await until('the problem under the currency', () => page.getByTestId('field-currency-error').innerText());
  check(pinned.includes('ISO 4217'), `the server's message is on the field: ${pinned}`);
  check((await page.locator('[data-testid="item-dialog"] .field-problems').count()) === 1, 'no other field has a problem');
  await page.screenshot({ path: join(outDir, 'settings-tier-problem.png') });
  await page.getByTestId('item-currency').fill('EUR');
  await page.getByTestId('item-save').click();
  await page.getByTestId('tiers-row-e2e_gold').waitFor();
  check((await text(page, 'tiers-e2e_gold-prices-still_image')).includes('€40.00'), 'the price shows in the currency');
  const tier = (await api('GET', '/api/pricing-tiers/e2e_gold')).body;
  check(tier.currency === 'EUR' && JSON.stringify(tier.prices) === '{"still_image":40}', `stored: ${JSON.stringify(tier)}`);

  // The default material library: a material edited (an edited copy in the data directory), then restored.
  await page.getByTestId('settings-tab-material-libraries').click();
  const libRow = page.getByTestId('libraries-row-default');
  await libRow.waitFor();
  check((await libRow.innerText()).includes('shipped'), 'the library is the shipped one');
  await libRow.click();
  await page.getByTestId('table-materials').waitFor();
  const shipped = (await api('GET', '/api/material-libraries/default')).body;
  const i = shipped.materials.findIndex((m) => m.key === 'painted_metal_red');
  const roughness = `/materials/${i}/principled_bsdf/roughness`;
  check((await page.getByTestId(`cell-/materials/${i}/principled_bsdf/base_color`).locator('.swatch').count()) === 1, 'the base colour shows as a swatch');
  await page.getByTestId('file-edit').click();
  await page.getByTestId(`input-${roughness}`).fill('1.5');
  await page.getByTestId('file-save').click();
  const cellProblem = await until('the problem on the cell', () => page.getByTestId(`errors-${roughness}`).innerText());
  check(cellProblem.includes('at most 1'), `the problem is pinned to the cell: ${cellProblem}`);
  await page.getByTestId(`input-${roughness}`).fill('0.85');
  await page.getByTestId('file-save').click();
  await until('saved', async () => (await page.getByTestId('library-page').getAttribute('data-editing')) === 'false');
  await until('the edited copy', async () => (await text(page, 'file-source')) === 'edited copy');
  check((await text(page, `cell-${roughness}`)) === '0.85', 'the table shows the new value');
  const edited = (await api('GET', '/api/material-libraries/default')).body;
  check(edited.materials[i].principled_bsdf.roughness === 0.85, 'the edit was stored');
  check((await api('GET', '/api/material-libraries')).body.material_libraries.find((l) => l.library === 'default').source === 'data', 'the edited copy wins');
  await page.screenshot({ path: join(outDir, 'settings-material-library.png') });
  // Someone else saves while this page edits: the save is refused, and Reload shows their value.
  await page.getByTestId('file-edit').click();
  await page.getByTestId(`input-${roughness}`).fill('0.6');
  const theirs = (await api('GET', '/api/material-libraries/default')).body;
  theirs.materials[i].principled_bsdf.roughness = 0.7;
  check((await api('PUT', '/api/material-libraries/default', theirs)).status === 200, 'their edit was saved');
  expectHttpStatus(409);
  await page.getByTestId('file-save').click();
  await page.getByTestId('file-conflict').waitFor();
  check((await text(page, 'file-conflict')).includes('Changed by someone else'), 'the conflict is said plainly');
  await page.getByTestId('file-reload').click();
  await until('their value', async () => (await text(page, `cell-${roughness}`)) === '0.7');
  await page.getByTestId('file-restore').click();
  await page.getByTestId('confirm-ok').click();
  await until('the shipped library again', async () => (await text(page, 'file-source')) === 'shipped');
  await until('the shipped value', async () => (await text(page, `cell-${roughness}`)) === String(shipped.materials[i].principled_bsdf.roughness));
  check((await api('GET', '/api/material-libraries/default')).body.materials[i].principled_bsdf.roughness === shipped.materials[i].principled_bsdf.roughness, 'the shipped value is back');

  // A render template, as served.
  await page.getByTestId('settings-tab-templates').click();
  await page.getByTestId('templates-row-studio_white').click();
  await page.getByTestId('group-camera').waitFor();
  const lens = (await api('GET', '/api/templates/studio_white')).body.camera.lens_mm;
  check((await text(page, 'leaf-/camera/lens_mm')).includes(String(lens)), 'the camera shows');
  check((await text(page, 'file-source')) === 'shipped', 'the template is the shipped one');
  check(await page.getByTestId('file-restore').isDisabled(), 'a shipped template has nothing to restore');
  // Editing offers the values the served schema allows, and only those.
  const templateSchema = (await api('GET', '/api/templates/schema')).body;
  await page.getByTestId('file-edit').click();
  const presets = await page.getByTestId('input-/lights/preset').locator('option').evaluateAll((os) => os.map((o) => o.value));
  check(JSON.stringify(presets) === JSON.stringify(templateSchema.properties.lights.properties.preset.enum), `the light presets come from the schema: ${presets}`);
  check((await page.getByTestId('input-/kind').inputValue()) === 'studio', 'the kind is chosen from a list');
  await page.screenshot({ path: join(outDir, 'settings-template-edit.png'), fullPage: true });
  await page.getByTestId('file-cancel').click();
  await page.screenshot({ path: join(outDir, 'settings-template.png'), fullPage: true });

  // Legacy import: a batch with a bad item is refused whole, its problems pinned to it; then one type and its mapping.
  await page.getByTestId('catalog-app').getByTestId('nav-output-types').click();
  await page.getByTestId('ot-table').waitFor();
  await page.getByTestId('ot-import-legacy').click();
  const good = { key: 'e2e_legacy_spin', name: 'E2E legacy spin', legacy_render_settings: { turntable: { enabled: true, frames: 24, fps: 12 }, thumbnail: true } };
  const bad = { name: 'E2E legacy bad', legacy_render_settings: { engine: 'povray' } };
  await page.getByTestId('legacy-import-text').fill(JSON.stringify([good, bad], null, 2));
  await page.getByTestId('legacy-import-submit').click();
  await page.getByTestId('legacy-import-failure').waitFor();
  check((await text(page, 'legacy-item-1-problems')).includes('/1/legacy_render_settings/engine'), 'the bad item has its problem');
  check((await page.getByTestId('legacy-item-0-problems').count()) === 0, 'the good item has none');
  check((await api('GET', '/api/output-types/e2e_legacy_spin')).status === 404, 'nothing was imported');
  await page.getByTestId('legacy-import-text').fill(JSON.stringify([good], null, 2));
  await page.getByTestId('legacy-import-submit').click();
  await page.getByTestId('legacy-result-e2e_legacy_spin').waitFor();
  check((await page.getByTestId('legacy-result-kind-e2e_legacy_spin').getAttribute('title')) === 'turntable_video', 'mapped to a turntable');
  const overrides = await text(page, 'legacy-result-overrides-e2e_legacy_spin');
  check(overrides.includes('frames') && overrides.includes('24'), `the mapped overrides: ${overrides}`);
  check((await text(page, 'legacy-result-warnings-e2e_legacy_spin')).includes('/legacy_render_settings/thumbnail'), 'the warning shows');
  await page.screenshot({ path: join(outDir, 'legacy-import.png') });
  await page.getByTestId('legacy-import-done').click();
  await page.getByTestId('ot-row-e2e_legacy_spin').waitFor();
  check((await text(page, 'ot-rollout-cell-e2e_legacy_spin')) === 'legacy', 'imported on the legacy rollout');
});

// ---- run --------------------------------------------------------------------
let passed = 0;
let failed = 0;
for (const [i, s] of scenarios.entries()) {
  const page = await context.newPage();
  const consoleErrors = [];
  expectedHttp.clear();
  page.on('console', (m) => m.type() === 'error' && unexpectedConsoleError(m.text()) && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  const shot = join(outDir, `scenario-${i + 1}.png`);
  let error;
  try {
    await s.fn(page);
  } catch (e) {
    error = e;
  }
  try {
    await page.screenshot({ path: shot });
  } catch {
    /* the page may be gone */
  }
  if (!error && consoleErrors.length) error = new Error(`console errors:\n  ${consoleErrors.join('\n  ')}`);
  if (error) {
    failed++;
    console.log(`FAIL ${i + 1}. ${s.name}\n  ${error.stack ?? error.message}\n  screenshot: ${shot}`);
    if (consoleErrors.length) console.log(`  console: ${consoleErrors.join(' | ')}`);
  } else {
    passed++;
    console.log(`ok   ${i + 1}. ${s.name}  (screenshot: ${shot})`);
  }
  await page.close();
}

await cleanup();
if (failed) console.log(`server log:\n${logText.split('\n').slice(-20).join('\n')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
