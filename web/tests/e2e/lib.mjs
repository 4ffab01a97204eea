// The browser tests' common part: fixtures, `prodflow serve`, Chromium, the
// helpers the scenarios share, and the loop that runs a list of scenarios.
//
// Every wait here is on a state (an element, an attribute, a server answer, a
// finished animation), never on time: no sleeps, no deadlines. A wait that
// never ends is stopped by CTest's TIMEOUT; while it waits, `until` says what
// it is waiting for once a minute, so a hang names its cause in the log.
//
// Each runScenarios() gets its own data directory, its own server on a free
// port (stopped by its PID) and its own browser profile, so several groups of
// scenarios run side by side.
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
export const outDir = join(webDir, 'test-output');
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

// No CSS transition or animation runs in the tests: a state shows at once, in
// its final look, and a screenshot never catches it half-way.
const NO_MOTION = '*,*::before,*::after{transition:none!important;animation:none!important}';

// Set by runScenarios(); ES module bindings are live, so the scenarios see them.
export let base = '';
export let dataDir = '';
let binary = '';
/** An admin token for the test's own API calls (the browser signs in with the start-up link). */
export let token = '';
/** Headers that authenticate a fetch() from the test itself. */
export const authHeaders = () => ({ Authorization: `Bearer ${token}` });

/** The time since `t0` in seconds, for the log. */
export const seconds = (t0) => ((Date.now() - t0) / 1000).toFixed(1);

/**
 * The last steps Playwright logged (its "api" log), told while a scenario runs
 * long: for a hanging click, what it retries on ("… intercepts pointer
 * events"). The runner's own picture of a stuck page is left out, or it would
 * push the hanging step out of the list.
 */
let lastActions = [];
let picturingStuckPage = false;
/** What `until` waits for right now: told too, since its fn() may itself be the step that hangs. */
let waitingFor = '';
let serverExited = false;
let serverExit = '';

/**
 * Polls fn() every 100 ms until it returns a truthy value, and returns it.
 * There is no deadline: it fails only when the server has exited, since then
 * no state can change. Errors thrown by fn() count as "not yet". While it
 * waits it logs what for, every E2E_TELL_MS ms (default a minute): a log line,
 * never a failure.
 */
export async function until(what, fn) {
  const t0 = Date.now();
  let told = t0;
  let last;
  const outer = waitingFor;
  waitingFor = what; /* for the whole wait: the runner's tell may come between two tries */
  try {
    for (;;) {
      try {
        const v = await fn();
        if (v) return v;
      } catch (e) {
        last = e;
      }
      if (serverExited) throw new Error(`the server exited (${serverExit}) while waiting for ${what}${last ? ` (${last.message})` : ''}`);
      if (Date.now() - told >= Number(process.env.E2E_TELL_MS || 60000)) {
        told = Date.now();
        console.log(`       … still waiting for ${what} after ${seconds(t0)} s${last ? ` (last: ${last.message.split('\n')[0]})` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    waitingFor = outer;
  }
}

export function check(cond, message) {
  if (!cond) throw new Error(message);
}

/** Runs the prodflow binary to completion; throws with its output when it fails. */
export function prodflow(args, env = {}) {
  try {
    return execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  } catch (e) {
    throw new Error(`prodflow ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: e });
  }
}

export async function api(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...authHeaders(), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

// ---- page helpers -----------------------------------------------------------

const center = (box) => ({ x: box.x + box.width / 2, y: box.y + box.height / 2 });

/** Drags from one handle to another with real mouse events; `whileOver` runs before the drop. */
export async function dragHandle(page, fromId, toId, whileOver) {
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
export async function clickEdge(page, i) {
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

export const text = (page, testId) => page.getByTestId(testId).innerText();

export async function openApp(page) {
  await page.goto(base + '/workflows');
  await page.getByTestId('workflow-list').waitFor();
}

/**
 * Waits until an <img> has loaded a picture. A broken image is a final state
 * (the browser does not try again), so it fails at once and says what the
 * server answered for it, rather than waiting for ever.
 */
export async function imageLoaded(what, img) {
  // count() first: a locator's evaluate waits silently for its element.
  const state = await until(
    what,
    async () => (await img.count()) > 0 && img.evaluate((el) => (!el.complete ? '' : el.naturalWidth > 0 ? 'loaded' : `broken:${el.currentSrc || el.src}`)),
  );
  if (state === 'loaded') return;
  const src = state.slice('broken:'.length);
  const answer = await img.page().evaluate(async (u) => {
    const r = await fetch(u);
    return `${r.status} ${r.headers.get('content-type')} ${(await r.text()).slice(0, 200)}`;
  }, src);
  throw new Error(`${what}: the image ${new URL(src).pathname} did not load; the server answers ${answer}`);
}

/**
 * Opens a node's panel on a run canvas; returns the panel. The canvas may
 * still move when the run ends (its fit follows the nodes), so a click can
 * land beside the node, and no panel opens: it clicks until the panel is
 * the node's (count() first: getAttribute would wait silently for a panel
 * that is not there).
 */
export async function openNodePanel(page, view, nodeId) {
  const panel = page.getByTestId('node-run-panel');
  await until(`the ${nodeId} node to be opened`, async () => {
    if ((await panel.count()) > 0 && (await panel.getAttribute('data-node')) === nodeId) return true;
    await view.getByTestId(`node-${nodeId}`).click();
    return false;
  });
  return panel;
}

/** Opens a node's panel on a run canvas (openNodePanel) and waits for its image output. */
export async function nodeImageLoaded(page, view, nodeId, what) {
  const panel = await openNodePanel(page, view, nodeId);
  await imageLoaded(what, panel.getByTestId('output-image-image'));
}

/**
 * Waits until the editor's canvas shows the graph as it opens (see
 * web/src/viewport.ts): the result of a fitView (React Flow's
 * getViewportForBounds, with minZoom 0.2 and maxZoom 1) with one of these
 * paddings, the nodes' bounds centred in the pane, when that zoom is
 * readable (READABLE_ZOOM, 1); else zoom 1 with the bounds' left edge 24 px
 * into the pane, centred vertically (or their top 24 px down when taller
 * than the pane). After that nothing moves, so handles can be dragged and
 * nodes clicked. (The editor asks for padding 0.06 when it opens or lays out
 * a graph, but xyflow may run the queued fit with the <ReactFlow>
 * fitViewOptions, padding 0.2, which it re-reads on each render.)
 * `readable: false` expects a plain fit (no canvas's fit button does that
 * now: the editor's and the run view's open the graph readable, as above).
 */
export function viewFitted(page, what = 'the canvas fitted to the graph', paddings = [0.06, 0.2], { readable = true } = {}) {
  return until(what, async () => {
    const v = await page.evaluate(
      ({ paddings, readable }) => {
        const READABLE = 1;
        const MARGIN = 24;
        const flow = document.querySelector('.react-flow');
        const vp = document.querySelector('.react-flow__viewport');
        const nodes = [...document.querySelectorAll('.react-flow__node')];
        if (!flow || !vp || !nodes.length) return { ok: false, why: 'no canvas or no nodes' };
        const zoom = new DOMMatrixReadOnly(getComputedStyle(vp).transform).a;
        const W = flow.offsetWidth;
        const H = flow.offsetHeight;
        const pane = flow.getBoundingClientRect();
        let l = Infinity, t = Infinity, r = -Infinity, b = -Infinity; // prettier-ignore
        for (const n of nodes) {
          const q = n.getBoundingClientRect();
          l = Math.min(l, q.left);
          t = Math.min(t, q.top);
          r = Math.max(r, q.right);
          b = Math.max(b, q.bottom);
        }
        const fit = (padding) => {
          const pad = (v) => Math.floor((v - v / (1 + padding)) * 0.5);
          return Math.min(Math.max(Math.min((W - 2 * pad(W)) / ((r - l) / zoom), (H - 2 * pad(H)) / ((b - t) / zoom)), 0.2), 1);
        };
        const want = paddings.map(fit);
        const dx = (l + r) / 2 - pane.left - W / 2;
        const dy = (t + b) / 2 - pane.top - H / 2;
        const centred = Math.abs(dx) <= 2 && Math.abs(dy) <= 2;
        const fitted = want.some((z) => Math.abs(zoom - z) <= 0.01 * z) && centred;
        if (!readable || want.some((z) => z >= READABLE - 1e-6)) return { ok: fitted, why: `zoom ${zoom} (fits: ${want.join(', ')}), bounds centre off by ${dx}, ${dy} px` };
        // Too big to fit readably: zoom 1, from the left edge.
        const dl = l - pane.left - MARGIN;
        const tall = b - t + 2 * MARGIN > H;
        const dv = tall ? t - pane.top - MARGIN : dy;
        return {
          ok: fitted || (Math.abs(zoom - READABLE) <= 0.01 && Math.abs(dl) <= 2 && Math.abs(dv) <= 2),
          why: `zoom ${zoom} (readable ${READABLE}; fits: ${want.join(', ')}), left edge off by ${dl} px, ${tall ? 'top' : 'centre'} off by ${dv} px`,
        };
      },
      { paddings, readable },
    );
    if (!v.ok) throw new Error(v.why);
    return true;
  });
}

/**
 * Waits until the last edit has been checked: the check ends at its own time,
 * and its problem list, opening or closing under the canvas, changes the
 * canvas's height and so what is in view.
 */
async function checksSettled(page) {
  await until('the edits to be checked', async () => (await page.getByTestId('problems-checking').count()) === 0);
}

/**
 * Where the canvas is empty (no node, edge, control or mini map), and how far
 * the node `testId`'s centre lies from the canvas's centre; `hit` when a click
 * on that centre reaches the node (not a side panel over it, not off screen).
 */
function canvasNow(page, testId) {
  return page.evaluate((testId) => {
    const pane = document.querySelector('.react-flow__pane').getBoundingClientRect();
    let empty = null;
    for (let y = pane.top + 20; y < pane.bottom - 20 && !empty; y += 20)
      for (let x = pane.left + 20; x < pane.right - 20 && !empty; x += 20) if (document.elementFromPoint(x, y)?.classList.contains('react-flow__pane')) empty = { x, y };
    const node = testId ? document.querySelector(`[data-testid="${testId}"]`) : null;
    if (!node) return { empty };
    const r = node.getBoundingClientRect();
    const cx = r.left + r.width / 2;
    const cy = r.top + r.height / 2;
    return { empty, hit: node.contains(document.elementFromPoint(cx, cy)), dx: cx - (pane.left + pane.width / 2), dy: cy - (pane.top + pane.height / 2) };
  }, testId);
}

/**
 * Clicks a node as a person would: once the canvas stops changing size, and,
 * when the node is out of view, after dragging the canvas to bring it in (a
 * click on a node under a side panel would wait for ever).
 */
export async function clickNode(page, testId) {
  await checksSettled(page);
  await page.getByTestId(testId).waitFor();
  await until(`${testId} to be in view`, async () => {
    const c = await canvasNow(page, testId);
    if (c.hit) return true;
    check(c.empty, 'the canvas has an empty spot to drag it by');
    const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
    const { width, height } = page.viewportSize();
    await page.mouse.move(c.empty.x, c.empty.y);
    await page.mouse.down();
    await page.mouse.move(clamp(c.empty.x - c.dx, 1, width - 1), clamp(c.empty.y - c.dy, 1, height - 1), { steps: 5 });
    await page.mouse.up();
    return false;
  });
  await page.getByTestId(testId).click();
}

/** A point of the canvas with nothing on it, for a click on the canvas itself. */
export async function emptySpot(page) {
  await checksSettled(page);
  const { empty } = await canvasNow(page);
  check(empty, 'the canvas has an empty spot');
  return empty;
}

/**
 * Waits until no animation runs and every image on the page that will load
 * has loaded (or broken). A lazy image outside the viewport, or in a hidden
 * part of the page (the editor stays mounted, hidden, beside other pages),
 * never starts loading, so it is not waited for. While it waits, `until`
 * names what is still pending.
 */
export async function settled(page) {
  await until('the page to settle', async () => {
    const pending = await page.evaluate(() => {
      const inView = (el) => {
        if (!el.getClientRects().length) return false;
        const r = el.getBoundingClientRect();
        return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
      };
      const running = document.getAnimations().filter((a) => a.playState !== 'finished' && a.playState !== 'idle');
      const loading = [...document.images].filter((img) => !img.complete && (img.loading !== 'lazy' || inView(img)));
      return [...running.map((a) => `animation ${a.animationName ?? a.id ?? ''}`), ...loading.map((img) => `image ${img.dataset.testid ?? img.src}`)];
    });
    if (pending.length) throw new Error(`still pending: ${pending.join(', ')}`);
    return true;
  });
}

/** A screenshot into web/test-output/, once the page has settled. */
export async function shot(page, name, options = {}) {
  await settled(page);
  await page.screenshot({ path: join(outDir, name), ...options });
}

// Chromium logs every 4xx answer to fetch as a console error. A scenario that
// provokes one on purpose (409 conflict, 422 invalid) says so; nothing else passes.
const expectedHttp = new Set();
export const expectHttpStatus = (status) => expectedHttp.add(status);
function unexpectedConsoleError(msg) {
  const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg);
  return !(m && expectedHttp.has(Number(m[1])));
}

// ---- a gated Blender ------------------------------------------------------------

/**
 * A Blender that can be held (as tests/support/gate.c): a shell wrapper,
 * given to the server as PRODFLOW_BLENDER, that while the gate file exists
 * says "| Sample 1/4 (held at the gate)" as Cycles would and waits; once the
 * file is gone it runs the real blender. A scenario closes the gate to see a
 * render in progress for as long as it looks, then opens it.
 */
export const gate = {
  blender: '',
  file: '',
  close() {
    writeFileSync(this.file, '');
  },
  open() {
    rmSync(this.file, { force: true });
  },
};

const GATED_BLENDER = `#!/bin/sh
server=$PPID
[ -e "$(dirname "$0")/gate" ] && echo '| Sample 1/4 (held at the gate)'
while [ -e "$(dirname "$0")/gate" ]; do sleep 0.05; done
kill -0 "$server" 2>/dev/null || exit 1
exec blender "$@"
`;

function makeGate(dir) {
  const d = join(dir, 'gate');
  mkdirSync(d, { recursive: true });
  gate.blender = join(d, 'gated-blender');
  gate.file = join(d, 'gate');
  writeFileSync(gate.blender, GATED_BLENDER, { mode: 0o755 });
}

// ---- fixtures -----------------------------------------------------------------

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

/**
 * Makes `dir` a share directory like the repo's (symlinks to it), where the
 * output types in `outputTypes` (key → document) are added or replaced.
 */
function shareWith(dir, outputTypes) {
  mkdirSync(join(dir, 'output-types'), { recursive: true });
  for (const d of readdirSync(shareDir)) if (d !== 'output-types') symlinkSync(join(shareDir, d), join(dir, d));
  for (const f of readdirSync(join(shareDir, 'output-types')))
    if (!(f.replace(/\.json$/, '') in outputTypes)) symlinkSync(join(shareDir, 'output-types', f), join(dir, 'output-types', f));
  for (const [key, doc] of Object.entries(outputTypes)) writeFileSync(join(dir, 'output-types', `${key}.json`), JSON.stringify(doc, null, 2));
  return dir;
}

/**
 * Runs scenarios against a fresh server and browser, prints one line per
 * scenario and "N passed, N failed", and exits (1 when any failed).
 *
 *   binary       the prodflow binary
 *   label        names this run in the log
 *   scenarios    [{ n, name, fn(page) }]; n numbers the scenario-N.png screenshot
 *   runFixtures  also make the run fixtures (a shadow pair from `prodflow run`)
 *   outputTypes  { key: fn(shipped document) → document }: the server's demo
 *                data gets these output types changed (through its own share directory)
 *   serverArgs   more arguments for `prodflow serve`
 *   gated        the server's Blender is a gated one (see `gate` below)
 */
export async function runScenarios({ binary: bin, label, scenarios, runFixtures, outputTypes = {}, serverArgs = [], gated = false }) {
  const t0 = Date.now();
  binary = resolve(bin);
  if (!existsSync(join(distDir, 'index.html'))) {
    console.error(`${distDir}/index.html is missing: run "npm run build" first`);
    process.exit(2);
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    process.exit(2);
  }

  // ---- fixtures: the STEP file, and for the run view a shadow pair whose
  // graph differs from its legacy run (`prodflow run` with a small output type).
  const tmp = mkdtempSync(join(tmpdir(), `prodflow-e2e-${label}-`));
  let serverShare = shareDir;
  dataDir = join(tmp, 'data');
  mkdirSync(dataDir, { recursive: true });
  try {
    prodflow(['cad', 'fixture', '-o', join(dataDir, 'gearbox.step'), '--bolts', '3']);
    const changed = Object.fromEntries(
      Object.entries(outputTypes).map(([key, fn]) => [key, fn(JSON.parse(readFileSync(join(shareDir, 'output-types', `${key}.json`), 'utf8')))]),
    );
    if (Object.keys(changed).length) serverShare = shareWith(join(tmp, 'server-share'), changed);
    if (runFixtures) {
      // `prodflow run` seeds the demo data from this share directory (and the
      // server then does not seed again), so the demo output types go here too.
      const share = shareWith(join(tmp, 'share'), { ...changed, drift: DRIFT });
      prodflow(['run', join(dataDir, 'gearbox.step'), '--output-type', 'drift', '-o', join(tmp, 'drift-out'), '--data-dir', dataDir], { PRODFLOW_SHARE_DIR: share });
    }
    token = prodflow(['token', 'create', '--data-dir', dataDir, '--name', 'e2e', '--role', 'admin']).trim();
  } catch (e) {
    console.error(`cannot prepare the fixtures: ${e.message}`);
    rmSync(tmp, { recursive: true, force: true });
    process.exit(1);
  }
  console.log(`[${label}] fixtures ready after ${seconds(t0)} s`);

  // ---- server
  serverExited = false;
  const serverEnv = { ...process.env };
  if (gated) {
    makeGate(tmp);
    serverEnv.PRODFLOW_BLENDER = gate.blender;
  }
  const portFile = join(tmp, 'port');
  let logText = '';
  const server = spawn(
    binary,
    ['serve', '--bind', '127.0.0.1', '--port', '0', '--port-file', portFile, '--data-dir', dataDir, '--share-dir', serverShare, '--web-dir', distDir, ...serverArgs],
    { stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv },
  );
  server.stdout.on('data', (d) => (logText += d));
  server.stderr.on('data', (d) => (logText += d));
  const exited = new Promise((r) =>
    server.on('exit', (code, signal) => {
      serverExited = true;
      serverExit = signal ? `signal ${signal}` : `status ${code}`;
      r();
    }),
  );

  let context;
  let cleaning;
  let loginLink = '';
  const cleanup = () =>
    (cleaning ??= (async () => {
      try {
        await context?.close();
      } catch {
        /* already closed */
      }
      if (gated) gate.open();
      if (!serverExited && server.pid) {
        process.kill(server.pid, 'SIGTERM');
        await exited;
      }
      rmSync(tmp, { recursive: true, force: true });
    })());
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => {
      await cleanup();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }

  try {
    const port = await until('the server to write its port file', () => (existsSync(portFile) ? readFileSync(portFile, 'utf8').trim() : ''));
    base = `http://127.0.0.1:${port}`;
    await until('GET /api/health', async () => (await fetch(`${base}/api/health`)).ok);
    loginLink = await until('the sign-in link in the server log', () => /(http:\/\/\S+#login=[a-z0-9]+)/.exec(logText)?.[1]);
  } catch (e) {
    console.error(`the server did not start: ${e.message}\n${logText}`);
    await cleanup();
    process.exit(1);
  }

  // ---- browser
  mkdirSync(outDir, { recursive: true });
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    timeout: 0,
    // Playwright's actions wait without a deadline (below), and say nothing
    // while they wait; its own log of the last step is told with the
    // scenario's progress line, so a hang in a click names its cause.
    logger: {
      isEnabled: (name) => name === 'api',
      log: (_name, _severity, message) => {
        if (!picturingStuckPage) lastActions = [...lastActions.slice(-4), String(message).split('\n')[0]];
      },
    },
  });
  // Playwright's own 30 s defaults must not fire on a slow machine.
  context.setDefaultTimeout(0);
  context.setDefaultNavigationTimeout(0);
  await context.addInitScript((css) => {
    const add = () => {
      const s = document.createElement('style');
      s.textContent = css;
      (document.head ?? document.documentElement).appendChild(s);
    };
    if (document.documentElement) add();
    else document.addEventListener('DOMContentLoaded', add, { once: true });
  }, NO_MOTION);
  // Only the test server is reachable.
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => route.abort(),
  );
  // ---- sign in, as a person would: the app shows its sign-in page, then the
  // start-up link signs this browser profile in (a session cookie every
  // scenario's page shares).
  {
    const page = await context.newPage();
    await page.goto(base + '/');
    await page.getByTestId('signin').waitFor();
    await shot(page, `signin-${label}.png`);
    await page.goto('about:blank');
    await page.goto(loginLink.replace(/^http:\/\/[^/]+/, base));
    await page.locator('[data-testid="session-chip"]:visible').first().waitFor(); // the editor stays mounted, hidden, beside the home page
    await page.close();
  }
  console.log(`[${label}] server and browser up, signed in, after ${seconds(t0)} s`);

  // ---- run
  let passed = 0;
  let failed = 0;
  for (const s of scenarios) {
    const ts = Date.now();
    const page = await context.newPage();
    // While a scenario runs long: what it waits for, and a picture of the
    // page as it stands (one at a time; see below).
    const stuckShot = join(outDir, `scenario-${s.n}-still-running.png`);
    rmSync(stuckShot, { force: true }); /* an earlier run's */
    const tell = setInterval(() => {
      console.log(
        `       … scenario ${s.n} still running after ${seconds(ts)} s${waitingFor ? `, inside the wait for ${waitingFor}` : ''}; Playwright's last steps: ${lastActions.join(' | ')}; the page now: ${stuckShot}`,
      );
      // One picture at a time, with no deadline of its own: a page too frozen
      // to be pictured leaves the last one, and the steps before it, standing.
      if (!picturingStuckPage) {
        picturingStuckPage = true;
        page
          .screenshot({ path: stuckShot })
          .catch((e) => console.log(`       … no picture of the page: ${e.message.split('\n')[0]}`))
          .finally(() => (picturingStuckPage = false));
      }
    }, Number(process.env.E2E_TELL_MS || 60000));
    const consoleErrors = [];
    expectedHttp.clear();
    page.on('console', (m) => m.type() === 'error' && unexpectedConsoleError(m.text()) && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    const shotPath = join(outDir, `scenario-${s.n}.png`);
    let error;
    try {
      await s.fn(page);
    } catch (e) {
      error = e;
    }
    try {
      if (!error) await settled(page);
      await page.screenshot({ path: shotPath });
    } catch {
      /* the page may be gone */
    }
    clearInterval(tell);
    if (!error && consoleErrors.length) error = new Error(`console errors:\n  ${consoleErrors.join('\n  ')}`);
    if (error) {
      failed++;
      console.log(`FAIL ${s.n}. ${s.name}  (${seconds(ts)} s)\n  ${error.stack ?? error.message}\n  screenshot: ${shotPath}`);
      if (consoleErrors.length) console.log(`  console: ${consoleErrors.join(' | ')}`);
    } else {
      passed++;
      console.log(`ok   ${s.n}. ${s.name}  (${seconds(ts)} s, screenshot: ${shotPath})`);
    }
    await page.close();
  }

  await cleanup();
  if (failed) console.log(`server log:\n${logText.split('\n').slice(-20).join('\n')}`);
  console.log(`[${label}] ${passed} passed, ${failed} failed in ${seconds(t0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
