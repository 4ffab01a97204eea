// Browser scenarios, group "runs": the run view. A run started from the
// dialog and followed live, a failure and its re-run, the parity report. These
// render with Blender, and use the run fixtures (a shadow pair made by
// `prodflow run`).
// Run by ../run.mjs (`node tests/e2e/run.mjs <prodflow> --group runs`).
import { join } from 'node:path';
import { api, authHeaders, base, check, dataDir, expectHttpStatus, imageLoaded, nodeImageLoaded, openApp, openNodePanel, prodflow, shot, text, until, viewFitted } from '../lib.mjs';

export const scenarios = [];
const scenario = (n, name, fn) => scenarios.push({ n, name, fn });

/** The status every run-graph node shows, by node id. */
const nodeStatuses = (view) =>
  view.locator('[data-testid^="node-status-"]').evaluateAll((els) => Object.fromEntries(els.map((el) => [el.dataset.testid.slice('node-status-'.length), el.dataset.status])));

/**
 * Waits (Blender renders the thumbnail: as long as that takes) until the run
 * is over, noting each node's statuses as the page shows them, without
 * reloading. Then waits until the page shows what the server holds for the
 * run (after its end the page fetches the run once more), noting those too.
 */
export async function watchRun(page, view) {
  const seen = {};
  const note = async () => {
    for (const [id, st] of Object.entries(await nodeStatuses(view))) if ((seen[id] ??= []).at(-1) !== st) seen[id].push(st);
  };
  const runStatus = await until('the run to end', async () => {
    await note();
    const s = await view.getByTestId('run-status').getAttribute('data-status');
    return s && s !== 'running' ? s : '';
  });
  const id = /^\/runs\/(run_[^/?]+)/.exec(new URL(page.url()).pathname)[1];
  await until(`the page to show run ${id} as the server holds it`, async () => {
    await note();
    const run = (await api('GET', `/api/runs/${id}`)).body;
    const shown = await nodeStatuses(view);
    const ids = Object.keys(shown);
    return (
      run.status === (await view.getByTestId('run-status').getAttribute('data-status')) &&
      ids.length > 0 &&
      ids.every((n) => shown[n] === (run.nodes?.[n]?.status ?? 'pending'))
    );
  });
  await note();
  return { runStatus, seen };
}

/** The run graph's zoom and its smallest node text as shown (font size × zoom, px). */
const graphText = (view) =>
  view.evaluate((el) => {
    const zoom = new DOMMatrixReadOnly(getComputedStyle(el.querySelector('.react-flow__viewport')).transform).a;
    const sizes = [...el.querySelectorAll('.react-flow__node *')].filter((e) => e.childNodes.length && [...e.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())).map((e) => parseFloat(getComputedStyle(e).fontSize));
    return { zoom, smallest: Math.min(...sizes) * zoom };
  });

export const transitions = (seen) => Object.entries(seen).map(([id, s]) => `${id}: ${s.join('→')}`).join(', ');

async function startRun(page, context, overrides) {
  await page.getByTestId('start-run').click();
  await page.getByTestId('start-run-dialog').waitFor();
  await page.getByTestId('start-run-workflow').selectOption('starter:starter-cad-intake');
  await page.getByTestId('start-run-context').fill(context);
  if (overrides) await page.getByTestId('start-run-overrides').fill(overrides);
  await page.getByTestId('start-run-submit').click();
}

scenario(3, 'run view: start from the dialog, live statuses, node details, failure and re-run, parity', async (page) => {
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
  await shot(page, 'run-view-start-error.png');
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
  const panel = await openNodePanel(page, view, 'thumbnail');
  check(new URL(page.url()).searchParams.get('node') === 'thumbnail', 'the URL names the node');
  const img = panel.getByTestId('output-image-image');
  await imageLoaded('the thumbnail preview', img);
  check((await img.evaluate((el) => el.naturalWidth)) === 256, 'the thumbnail is 256 px wide (the invocation default)');
  check((await panel.getByTestId('param-source-size').innerText()) === 'default', 'the size comes from the default');
  check(await panel.getByTestId('param-source-size').isVisible(), 'the source label is visible');
  check((await panel.getByTestId('node-attempts').innerText()).includes('Succeeded'), 'the attempt is listed, its status in words');
  check((await panel.getByTestId('node-cache').innerText()).length > 0, 'the cache verdict shows');
  check((await panel.getByTestId('node-log').count()) === 1, 'the render log shows');
  await shot(page, 'run-view.png');

  // Fit view keeps node text readable (11 px at least), as the editor's does: zoomed
  // out, fit comes back to a readable zoom with the graph's start in view, at 1024 and 1280 px.
  for (const width of [1024, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    for (let i = 0; i < 3; i++) await view.locator('.react-flow__controls-zoomout').click();
    await until('the run graph to zoom out', async () => (await graphText(view)).zoom < 0.9);
    await view.getByTestId('run-graph-fit').click();
    await viewFitted(page, `the run graph fitted readable at ${width} px`, [0.15]);
    const seen = await graphText(view);
    check(seen.smallest >= 11 - 1e-6, `node text is readable after fit at ${width} px: ${seen.smallest.toFixed(1)} px at zoom ${seen.zoom.toFixed(2)}`);
    check(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `nothing falls off the run view at ${width} px`);
    await shot(page, `run-view-fit-${width}.png`);
  }

  // The GLB node: the override arrived through the invocation parameter; the GLB downloads.
  await openNodePanel(page, view, 'glb');
  check((await panel.getByTestId('param-source-linear_deflection').innerText()) === 'invocation', 'the override is an invocation value');
  check((await panel.getByTestId('param-linear_deflection').innerText()).includes('via deflection'), 'through the deflection parameter');
  check((await panel.getByTestId('param-linear_deflection').innerText()).includes('0.25'), 'with the value sent');
  const glbLink = panel.getByTestId('output-download-glb');
  check((await glbLink.getAttribute('download')) === 'glb-glb.glb', 'the GLB is a download');
  const glb = await fetch(base + (await glbLink.getAttribute('href')), { headers: authHeaders() });
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
  await openNodePanel(page, view, 'resolve');
  const err = await text(page, 'node-error');
  check(err.includes('later.step') && (await page.getByTestId('node-error-pointer').getAttribute('data-pointer')) === '/context/step_path' && (await text(page, 'node-error-pointer')) === 'Run context › STEP file', `the error and its pointer: ${err}`);
  await shot(page, 'run-view-failed.png');

  // The status filter finds it.
  await view.getByTestId('run-back').click();
  await page.getByTestId('filter-failed').click();
  await until('only failed runs', async () => (await page.locator('.runs-row').count()) === 1 && (await page.getByTestId(`run-row-${failedId}`).count()) === 1);
  check(new URL(page.url()).searchParams.get('status') === 'failed', 'the filter is in the URL');
  await shot(page, 'run-view-list.png');
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
  await nodeImageLoaded(page, view, 'thumbnail', 'the re-run thumbnail');

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
  const srcs = await parity.locator('img[data-testid="parity-image-legacy"], img[data-testid="parity-image-graph"]').evaluateAll((els) => els.map((el) => el.getAttribute('src')));
  check(srcs.length === 2 && srcs[0] !== srcs[1], `two different artifacts: ${srcs}`);
  // Both sides executed the render (no cache hit), judged by PSNR and SSIM, with a diff image.
  check((await text(page, 'parity-execution')).startsWith('Both sides executed'), 'both sides executed the compared nodes');
  const verdict = await text(page, 'parity-verdict-render.still');
  check(verdict.startsWith('different') && verdict.includes('PSNR') && verdict.includes('SSIM'), `the still's verdict: ${verdict}`);
  await imageLoaded('the diff image', parity.getByTestId('parity-image-diff'));
  await shot(page, 'run-view-parity.png');

  // Back to the editor, as it was.
  await page.getByTestId('runs-app').getByTestId('nav-editor').click();
  await page.getByTestId('workflow-list').waitFor();
  check(new URL(page.url()).pathname === '/workflows', 'the editor has its URL back');

  // The output type's parity so far, where the output types are listed.
  await page.goto(base + '/output-types');
  await page.getByTestId('ot-parity-drift').waitFor();
  const line = await text(page, 'ot-parity-drift');
  check(line === 'Parity: 0 of 1 identical — 5 more identical in a row to switch', `the drift output type's parity line: ${line}`);
  await shot(page, 'output-types-parity.png');
});
