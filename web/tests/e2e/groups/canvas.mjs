// Browser scenarios, group "canvas": working on the editor's canvas. A
// workflow run from the editor (for a product, or an order workflow's trial
// for an order line), followed live on its own nodes at a readable zoom.
// Run by ../run.mjs (`node tests/e2e/run.mjs <prodflow> --group canvas`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, authHeaders, base, check, clickNode, dataDir, emptySpot, expectHttpStatus, openApp, shot, until } from '../lib.mjs';

export const scenarios = [];
const scenario = (n, name, fn) => scenarios.push({ n, name, fn });

/** A new workflow from a family's starter, open in the editor. */
async function fromStarter(page, family, starter, name) {
  await page.getByTestId('tab-workflows').click();
  await page.getByTestId('new-workflow').click();
  await page.getByTestId('new-workflow-dialog').waitFor();
  await page.getByTestId(`family-${family}`).click();
  await page.getByTestId(`starter-${starter}`).click();
  await page.getByTestId('new-name').fill(name);
  await page.getByTestId('create-workflow').click();
}

scenario(30, 'run from the editor: a product picked by name, the run live on the canvas', async (page) => {
  const up = await fetch(`${base}/api/cad-files?filename=gearbox.step`, {
    method: 'POST',
    headers: { ...authHeaders(), 'Content-Type': 'application/octet-stream' },
    body: readFileSync(join(dataDir, 'gearbox.step')),
  });
  check(up.status === 201 || up.status === 200, `the STEP file was taken (${up.status})`);
  const cad = await up.json();
  const made = await api('POST', '/api/products', { name: 'Canvas Gearbox', sku: 'CNV-GB', category: 'machinery', cad_file: cad.id });
  check(made.status === 201, `the product was made (${made.status})`);
  await api('POST', '/api/products', { name: 'Canvas No CAD', sku: 'CNV-NOCAD', category: 'machinery' });

  await openApp(page);
  await fromStarter(page, 'cad_file', 'starter-cad-intake', 'Canvas intake');
  await page.getByTestId('node-glb').waitFor();
  await page.getByTestId('run-open').click();
  await page.getByTestId('editor-run-dialog').waitFor();
  const select = page.getByTestId('editor-run-product');
  await until('the products to load', async () => (await select.locator('option').count()) > 0 && !(await select.isDisabled()));
  const options = await select.locator('option').allInnerTexts();
  check(options.some((o) => o.includes('Canvas Gearbox')), `the product is offered by name: ${options.join(', ')}`);
  check(!options.some((o) => o.includes('Canvas No CAD')), 'a product without a CAD file is not offered');
  check(!options.some((o) => o.includes('/')), 'no path is shown');
  check((await page.getByTestId('editor-run-what').innerText()).includes('as it is on the canvas'), 'an unsaved workflow runs as it is');
  await select.selectOption({ label: options.find((o) => o.includes('Canvas Gearbox')) });
  await page.getByTestId('editor-run-start').click();

  const banner = page.getByTestId('editor-run-banner');
  await banner.waitFor();
  await until('the run to end', async () => {
    const st = await banner.getAttribute('data-status');
    if (st === 'failed' || st === 'cancelled') throw new Error(`the run ${st}: ${await banner.innerText()}`);
    return st === 'succeeded';
  });
  for (const id of ['resolve', 'extract', 'glb', 'thumbnail']) {
    await until(`${id} to show succeeded`, async () => (await page.getByTestId(`node-status-${id}`).getAttribute('data-status')) === 'succeeded');
  }
  check((await banner.innerText()).includes('6 of 6 nodes succeeded'), 'the banner says how it went');
  // Fit view keeps node text readable (11 px at zoom 1).
  await page.locator('.react-flow__controls-fitview').click();
  await until('the view to be readable after fit', async () => (await canvasZoom(page)) >= 1 - 1e-6);
  await shot(page, 'canvas-run.png');
  // The run keeps its product as subject, and its page is one click away.
  const runId = await banner.getAttribute('data-run-id');
  const run = (await api('GET', `/api/runs/${runId}`)).body;
  check(run.subject?.product === made.body.id, 'the run records the product');
  await page.getByTestId('editor-run-clear').click();
  await until('the overlay to clear', async () => (await page.getByTestId('node-status-glb').count()) === 0);
});

/** The editor canvas's zoom (the viewport's transform). */
const canvasZoom = (page) => page.evaluate(() => new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.react-flow__viewport')).transform).a);

/** Waits until a run's banner says it ended, and says how. */
async function runEnded(page) {
  const banner = page.getByTestId('editor-run-banner');
  await banner.waitFor();
  const st = await until('the run to end', async () => {
    const s = await banner.getAttribute('data-status');
    return ['succeeded', 'failed', 'cancelled'].includes(s) ? s : '';
  });
  check(st === 'succeeded', `the run ${st}: ${await banner.innerText()}`);
  return banner;
}

scenario(36, 'an order workflow runs from the editor as a trial with invocation overrides for a test order line picked by name, live on the canvas, readable', async (page) => {
  // Scenario 30's product, once its CAD intake is through (an order line needs its results).
  const product = (await api('GET', '/api/products')).body.products.find((p) => p.name === 'Canvas Gearbox');
  check(product?.cad_file, 'scenario 30 made the product');
  const intake = await until('the product’s intake to end', async () => {
    const s = (await api('GET', `/api/cad-files/${product.cad_file}`)).body.intake?.status;
    return ['succeeded', 'failed', 'cancelled'].includes(s) ? s : '';
  });
  check(intake === 'succeeded', `the intake ${intake}`);

  await page.setViewportSize({ width: 1280, height: 800 });
  await openApp(page);
  await fromStarter(page, 'order_line', 'starter-order-still', 'Canvas trial');
  await page.getByTestId('node-still').waitFor();
  // A small, quick still: set on the canvas, so the run sends the canvas.
  await clickNode(page, 'node-still');
  for (const [k, v] of [['width', '64'], ['height', '48'], ['samples', '1']]) await page.locator(`#param_${k}`).fill(v);
  await page.getByTestId('overridden-param-samples').waitFor();
  check(!(await page.getByTestId('run-open').isDisabled()), 'an order workflow runs from the editor');
  await page.getByTestId('run-open').click();
  const dialog = page.getByTestId('editor-run-dialog');
  await dialog.waitFor();
  // A test order, by names (with no order line yet it is already chosen).
  await page.getByTestId('editor-run-source-test').check();
  await until('the output types to load', async () => !(await page.getByTestId('editor-run-type').isDisabled()));
  const products = await page.getByTestId('editor-run-product').locator('option').allInnerTexts();
  const types = await page.getByTestId('editor-run-type').locator('option').allInnerTexts();
  check(products.some((o) => o.includes('Canvas Gearbox')), `the product is offered by name: ${products.join(', ')}`);
  check(types.includes('Studio still'), `output types by name: ${types.join(', ')}`);
  await page.getByTestId('editor-run-product').selectOption({ label: products.find((o) => o.includes('Canvas Gearbox')) });
  await page.getByTestId('editor-run-type').selectOption({ label: 'Studio still' });
  // The workflow's invocation overrides, a form (folded until asked for) whose fields show what the run uses
  // when left alone: the output type brings no overrides, so the node's own values on the canvas. The trial renders with seed 7.
  await page.getByTestId('editor-run-overrides-toggle').click();
  await page.getByTestId('field-run-ov-seed').waitFor();
  const width = await page.getByTestId('field-run-ov-width').innerText();
  check(width.includes('Default: 64'), `the width field shows the node's 64, not the declared 1920: ${width}`);
  await page.locator('#run-ov_seed').fill('7');
  await page.getByTestId('overridden-run-ov-seed').waitFor();
  check((await page.getByTestId('editor-run-overrides-toggle').innerText()).includes('1 set'), 'the fold counts the overrides set');
  await shot(page, 'canvas-order-run-overrides-1280.png');
  await page.setViewportSize({ width: 1024, height: 800 });
  await shot(page, 'canvas-order-run-overrides-1024.png');
  await page.setViewportSize({ width: 1280, height: 800 });
  check((await dialog.locator('textarea').count()) === 0, 'no JSON to type');
  check(!(await dialog.innerText()).includes('/'), 'no path or pointer is shown');
  check((await page.getByTestId('editor-run-what').innerText()).includes('trial'), 'the dialog says it is a trial');
  await page.getByTestId('editor-run-start').click();

  const banner = await runEnded(page);
  for (const id of ['line', 'still', 'publish', 'notify']) {
    await until(`${id} to show succeeded`, async () => (await page.getByTestId(`node-status-${id}`).getAttribute('data-status')) === 'succeeded');
  }
  // The run's nodes grew on the canvas; the view stayed readable.
  check((await canvasZoom(page)) >= 1 - 1e-6, `the canvas is readable after the run (zoom ${await canvasZoom(page)})`);
  await shot(page, 'canvas-order-run-1280.png');
  await page.setViewportSize({ width: 1024, height: 800 });
  await page.locator('.react-flow__controls-fitview').click();
  await until('the view to be readable after fit', async () => (await canvasZoom(page)) >= 1 - 1e-6);
  await shot(page, 'canvas-order-run-1024.png');
  await page.setViewportSize({ width: 1280, height: 800 });

  // A trial: the test order's line as subject, a shadow, and the line itself not dispatched.
  const run = (await api('GET', `/api/runs/${await banner.getAttribute('data-run-id')}`)).body;
  check(run.subject?.order_line && run.subject?.mode === 'shadow', `the run is a trial for the line: ${JSON.stringify(run.subject)}`);
  const line = (await api('GET', `/api/order-lines/${run.subject.order_line}`)).body;
  check(line.product.id === product.id && line.output_type.key === 'studio_still', 'the test order has the picked product and output type');
  check(line.status === 'new' && line.runs.length === 0, `the line is not dispatched: ${line.status}`);
  // The override reached the node it targets, as the invocation's.
  check(run.doc?.overrides?.seed === 7, `the run was sent the override: ${JSON.stringify(run.doc?.overrides)}`);
  const still = run.nodes?.still?.state;
  check(still?.params?.seed === 7 && still?.param_sources?.seed?.source === 'invocation', `the still rendered with seed 7 from the invocation: ${JSON.stringify(still?.param_sources?.seed)}`);
  // The test order is marked test and left out of the orders list.
  const order = (await api('GET', `/api/orders/${line.order_id}`)).body;
  check(order.test === true, 'the dialog placed a test order');
  check(!(await api('GET', '/api/orders')).body.orders.some((o) => o.id === order.id), 'the orders list leaves the test order out');

  // Again, on the existing line now offered by its order's name; Escape with the focus outside the dialog closes it.
  await page.getByTestId('run-open').click();
  await dialog.waitFor();
  await until('the order lines to load', async () => !(await page.getByTestId('editor-run-line').isDisabled()));
  check(await page.getByTestId('editor-run-source-line').isChecked(), 'an existing line is offered first');
  const lines = await page.getByTestId('editor-run-line').locator('option').allInnerTexts();
  check(lines.some((l) => l.includes('Canvas trial · Editor trial') && l.includes('Canvas Gearbox') && l.includes('Studio still') && l.startsWith('Test order · ')), `lines in words, the test order's said: ${lines.join(' | ')}`);
  await shot(page, 'canvas-order-run-dialog.png');
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('Escape');
  await until('Escape to close the dialog', async () => (await dialog.count()) === 0);
});

scenario(31, 'validation follows the graph: a broken edit turns its node red on its own, undo clears it', async (page) => {
  await openApp(page);
  await fromStarter(page, 'cad_file', 'starter-cad-intake', 'Canvas checks');
  await page.getByTestId('node-extract').waitFor();
  check((await page.getByTestId('problem-summary').innerText()).includes('Not validated yet'), 'nothing is checked before an edit');
  // Without the extractor, the materials node misses its required input.
  await clickNode(page, 'node-extract');
  await page.keyboard.press('Delete');
  await page.getByTestId('node-problems-materials').waitFor();
  check((await page.getByTestId('problem-summary').innerText()).includes('problem'), 'the summary counts the problems');
  await shot(page, 'canvas-autocheck.png');
  // Running it anyway (with scenario 30's product) is refused, with the problem in words.
  expectHttpStatus(422);
  await page.getByTestId('run-open').click();
  const select = page.getByTestId('editor-run-product');
  await until('the products to load', async () => !(await select.isDisabled()));
  await page.getByTestId('editor-run-start').click();
  const refused = await until('the refusal', async () => {
    const t = (await page.getByTestId('editor-run-errors').count()) ? await page.getByTestId('editor-run-errors').innerText() : '';
    return t.includes('Not started') ? t : '';
  });
  check(refused.includes('Workflow › Node'), `the problem says where: ${refused}`);
  check(!refused.includes('/tmp') && !refused.includes(dataDir), 'no server path is shown');
  await page.getByTestId('editor-run-dialog').getByRole('button', { name: 'Cancel' }).click();
  await until('the dialog to close', async () => (await page.getByTestId('editor-run-dialog').count()) === 0);
  await page.getByTestId('node-problems-materials').waitFor();
  const blank = await emptySpot(page);
  await page.mouse.click(blank.x, blank.y);
  await page.keyboard.press('Control+z');
  await page.getByTestId('node-extract').waitFor();
  await until('the problem to clear on its own', async () => (await page.getByTestId('node-problems-materials').count()) === 0);
  await until('the summary to say so', async () => (await page.getByTestId('problem-summary').innerText()).includes('No problems found'));
});

scenario(32, 'copy, paste and duplicate keep params and land in free space; quick add finds both families; ? lists the keys', async (page) => {
  await openApp(page);
  await fromStarter(page, 'cad_file', 'starter-cad-intake', 'Canvas copies');
  await clickNode(page, 'node-glb');
  await page.locator('#param_linear_deflection').fill('0.25');
  await page.getByTestId('overridden-param-linear_deflection').waitFor();
  // Back on the canvas, the node still selected: copy and paste it.
  await clickNode(page, 'node-glb');
  await page.keyboard.press('Control+c');
  await until('the copy to be confirmed', async () => (await page.getByTestId('status-line').innerText()).startsWith('Copied 1 node'));
  await page.keyboard.press('Control+v');
  const pasted = page.getByTestId('node-export_glb');
  await pasted.waitFor();
  await until('the paste to be selected with its setting', async () => (await page.locator('#param_linear_deflection').inputValue()) === '0.25');
  const a = await page.getByTestId('node-glb').boundingBox();
  const b = await pasted.boundingBox();
  const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
  check(apart, `the copy does not cover its original (${JSON.stringify(a)} vs ${JSON.stringify(b)})`);
  // Duplicate what is selected now (the copy).
  await clickNode(page, 'node-export_glb');
  await page.keyboard.press('Control+d');
  await page.getByTestId('node-export_glb_2').waitFor();
  // The entry node is one per workflow: duplicating it says why not.
  await clickNode(page, 'node-resolve');
  await page.keyboard.press('Control+d');
  await until('the refusal', async () => (await page.getByTestId('status-line').innerText()).includes('already has its entry node'));

  // Quick add from a double-click on empty canvas.
  const empty = await emptySpot(page);
  await page.mouse.dblclick(empty.x, empty.y);
  await page.getByTestId('quick-add').waitFor();
  await page.getByTestId('quick-add-search').fill('order line');
  const elsewhere = page.getByTestId('quick-add-order.resolve_line');
  await elsewhere.waitFor();
  check(await elsewhere.isDisabled(), 'a module of another family cannot be added here');
  check((await elsewhere.innerText()).includes('lives in Order Rendering'), 'it says where it lives');
  await page.getByTestId('quick-add-search').fill('b');
  await shot(page, 'canvas-quick-add.png');
  await page.getByTestId('quick-add-search').fill('bounding');
  await page.keyboard.press('Enter');
  await page.getByTestId('node-compute_bbox').waitFor();
  check((await page.getByTestId('quick-add').count()) === 0, 'the quick add closes');

  // `/` opens it too; Escape closes it. `?` lists the keys.
  const blank = await emptySpot(page);
  await page.mouse.click(blank.x, blank.y);
  await page.keyboard.press('/');
  await page.getByTestId('quick-add').waitFor();
  await page.keyboard.press('Escape');
  await until('the quick add to close', async () => (await page.getByTestId('quick-add').count()) === 0);
  await page.keyboard.press('?');
  const sheet = page.getByTestId('shortcut-sheet');
  await sheet.waitFor();
  check((await sheet.innerText()).includes('Ctrl+D'), 'the sheet lists duplicate');
  await until('the edits to be checked on their own', async () => !(await page.getByTestId('problem-summary').innerText()).includes('Not validated'));
  await shot(page, 'canvas-shortcuts.png');
  await page.keyboard.press('Escape');
});

scenario(33, 'side panels fold away for a wider canvas and stay folded after a reload', async (page) => {
  await openApp(page);
  await fromStarter(page, 'cad_file', 'starter-cad-intake', 'Canvas folds');
  await page.getByTestId('node-glb').waitFor();
  const canvas = page.locator('main.canvas');
  const before = (await canvas.boundingBox()).width;
  await page.getByTestId('fold-left').click();
  await page.getByTestId('unfold-left').waitFor();
  await page.getByTestId('fold-right').click();
  await page.getByTestId('unfold-right').waitFor();
  const after = (await canvas.boundingBox()).width;
  check(after > before + 500, `the canvas grew from ${before} to ${after} px`);
  await page.locator('.react-flow__controls-fitview').click();
  await shot(page, 'canvas-folded.png');

  await page.reload();
  await page.getByTestId('unfold-left').waitFor();
  check((await page.getByTestId('unfold-right').count()) === 1, 'the right panel stays folded too');
  check((await page.getByTestId('tab-palette').count()) === 0, 'the palette is out of the way');
  // Opening again brings the tabs back, and is remembered as well.
  await page.getByTestId('unfold-left').click();
  await page.getByTestId('tab-workflows').waitFor();
  await page.getByTestId('unfold-right').click();
  await page.getByTestId('tab-node').waitFor();
  await page.reload();
  await page.getByTestId('tab-node').waitFor();
  check((await page.getByTestId('unfold-left').count()) === 0, 'both panels open after a reload');
});

scenario(34, 'parameter forms: fields in the contract’s order, templates, libraries and materials as choices from the server', async (page) => {
  await openApp(page);
  await fromStarter(page, 'order_line', 'starter-order-still', 'Canvas choices');
  // The still's fields come in the contract's field_order.
  const defs = (await api('GET', '/api/workflows/node-definitions?family=order_line')).body.node_definitions;
  const stillDef = defs.find((d) => d.step === 'render.blender_still');
  check(stillDef?.ui?.field_order?.length > 0, 'the server gives the still a field order');
  await clickNode(page, 'node-still');
  await page.getByTestId('node-panel').waitFor();
  const shown = await page.locator('[data-testid^="field-param-"]').evaluateAll((els) => els.map((e) => e.dataset.testid.slice('field-param-'.length)));
  const want = stillDef.ui.field_order.filter((k) => k in stillDef.param_schema.properties);
  check(JSON.stringify(shown.slice(0, want.length)) === JSON.stringify(want), `fields in field_order: ${shown.join(', ')}`);
  // The still's material override chooses among the library's materials.
  const override = page.locator('#param_material_override');
  await until('the material choices', async () => (await override.evaluate((el) => el.tagName)) === 'SELECT');
  const materials = await override.locator('option').allInnerTexts();
  check(materials.includes('None'), `empty means none: ${materials.join(', ')}`);
  check(materials.some((m) => m.includes('painted_metal_grey')), 'the library’s materials are offered');

  // The template node chooses among the server's templates.
  await clickNode(page, 'node-template');
  const template = page.locator('#param_template');
  await until('the template choices', async () => (await template.evaluate((el) => el.tagName)) === 'SELECT');
  const templates = await template.locator('option').allInnerTexts();
  check(templates.includes('Chosen automatically'), `empty chooses automatically: ${templates.join(', ')}`);
  await template.selectOption({ label: templates.find((t) => t.includes('studio_white')) });
  await page.getByTestId('overridden-param-template').waitFor();

  // The material map's library is a choice too.
  await clickNode(page, 'node-map');
  const library = page.locator('#param_library');
  await until('the library choices', async () => (await library.evaluate((el) => el.tagName)) === 'SELECT');
  check((await library.locator('option').allInnerTexts()).some((o) => o.includes('(default)')), 'the default library is offered');
  await shot(page, 'canvas-choices.png');
});

scenario(35, 'a save that makes a new version lists the output types on older ones and moves them, or says why not', async (page) => {
  // v1 from the still starter; v2 without its samples parameter; both stored before the editor opens.
  const starters = (await api('GET', '/api/workflows/starters?family=order_line')).body.starters;
  const still = starters.find((s) => s.id === 'starter-order-still');
  check(!!still, 'the still starter is served');
  const v1 = { ...structuredClone(still), id: 'moves-still', name: 'Moves still' };
  delete v1.version;
  check((await api('POST', '/api/workflows', v1)).status === 201, 'v1 was stored');
  const v2 = structuredClone(v1);
  delete v2.invocation.params.samples;
  const put = await api('PUT', '/api/workflows/moves-still', { ...v2, version: 1 });
  check(put.status === 200 && put.body.version === 2, `v2 was stored (${put.status})`);
  const linked = (key, name, version, overrides = {}) =>
    api('POST', '/api/output-types', { key, name, family: 'order_line', rollout: 'graph', artifact_kind: 'still_image', pricing_tier: 'standard', workflow: { id: 'moves-still', version }, overrides });
  check((await linked('moves_plain', 'Moves plain', 1)).status === 201, 'an output type on v1 without overrides');
  check((await linked('moves_samples', 'Moves samples', 1, { samples: 8 })).status === 201, 'an output type on v1 that sets samples');
  check((await linked('moves_wide', 'Moves wide', 2, { width: 320 })).status === 201, 'an output type on v2');
  check((await linked('moves_raced', 'Moves raced', 1)).status === 201, 'an output type on v1 that someone else will edit');

  await page.goto(`${base}/workflows/moves-still`);
  await page.getByTestId('node-still').waitFor();
  await until('v2 to be open', async () => (await page.getByTestId('doc-version').innerText()) === 'v2');
  await page.getByTestId('doc-name').fill('Moves still, retitled');
  await page.getByTestId('save').click();
  await until('the save', async () => (await page.getByTestId('status-line').innerText()).includes('Saved moves-still as version 3'));

  const banner = page.getByTestId('moves-banner');
  await banner.waitFor();
  check((await page.getByTestId('moves-headline').innerText()) === '4 output types still use an older version of moves-still.', 'the banner counts them');
  const rows = await banner.locator('li').evaluateAll((els) => els.map((e) => e.dataset.testid));
  const want = ['moves-row-moves_plain', 'moves-row-moves_raced', 'moves-row-moves_samples', 'moves-row-moves_wide'];
  check(JSON.stringify(rows) === JSON.stringify(want), `only this workflow's users, by name: ${rows}`);
  check(!(await banner.innerText()).includes('studio_still'), 'output types of other workflows are not listed');
  await shot(page, 'canvas-version-pinned.png');

  // One by one …
  await page.getByTestId('moves-one-moves_wide').click();
  await until('moves_wide moved', async () => (await page.getByTestId('moves-row-moves_wide').getAttribute('data-state')) === 'moved');
  check((await api('GET', '/api/output-types/moves_wide')).body.workflow.version === 3, 'the server has moves_wide on v3');
  // Someone saves moves_raced after the banner listed it: its move must not undo that.
  const raced = (await api('GET', '/api/output-types/moves_raced')).body;
  check((await api('PUT', '/api/output-types/moves_raced', { ...raced, description: 'edited elsewhere' })).status === 200, 'moves_raced was edited elsewhere');
  // … then all the rest: v3 has no samples parameter, so moves_samples is refused, in words.
  expectHttpStatus(422);
  expectHttpStatus(409);
  await page.getByTestId('moves-all').click();
  await until('moves_raced refused', async () => (await page.getByTestId('moves-row-moves_raced').getAttribute('data-state')) === 'refused');
  check((await page.getByTestId('moves-refused-moves_raced').innerText()).includes('someone changed this output type'), 'the race is told');
  const kept = (await api('GET', '/api/output-types/moves_raced')).body;
  check(kept.description === 'edited elsewhere' && kept.workflow.version === 1, 'the other edit is kept, the version not moved');
  await until('moves_plain moved', async () => (await page.getByTestId('moves-row-moves_plain').getAttribute('data-state')) === 'moved');
  await until('moves_samples refused', async () => (await page.getByTestId('moves-row-moves_samples').getAttribute('data-state')) === 'refused');
  const why = await page.getByTestId('moves-refused-moves_samples').innerText();
  check(why.includes('Overrides › Samples') && why.includes('"samples"'), `the refusal names the override: ${why}`);
  check(!why.includes('/tmp') && !why.includes(dataDir), 'no server path is shown');
  check((await page.getByTestId('moves-headline').innerText()) === '2 output types still use an older version of moves-still.', 'the headline counts what is left');
  check((await api('GET', '/api/output-types/moves_plain')).body.workflow.version === 3, 'the server has moves_plain on v3');
  check((await api('GET', '/api/output-types/moves_samples')).body.workflow.version === 1, 'moves_samples stays on v1');
  await shot(page, 'canvas-version-moves.png');
  // The refused one is fixed by hand: the wizard opens at its overrides, v3 chosen.
  await page.getByTestId('moves-fix-moves_samples').click();
  await page.getByTestId('wizard').waitFor();
  await until('the wizard at the overrides step', async () => (await page.getByTestId('wizard').getAttribute('data-step')) === 'overrides');
  check(new URL(page.url()).pathname === '/output-types/moves_samples/edit', `the wizard edits moves_samples: ${page.url()}`);
  const wizard = page.getByTestId('wizard');
  await until('the overrides of v3 to load and be checked', async () => {
    const t = await wizard.innerText();
    return t.includes('moves-still v3') && !t.includes('Loading the workflow') && !t.includes('Checking');
  });
  // v3 has no samples parameter: the wizard takes that override out and says so.
  const dropped = await page.getByTestId('wizard-dropped').innerText();
  check(dropped.includes('moves-still v3 has no parameter “samples”'), `the wizard says what it took out: ${dropped}`);
  await shot(page, 'canvas-version-fix.png');
  // From there the review saves it on v3.
  await page.getByTestId('wizard-step-review').click();
  const reviewed = await until('the review checked', async () => {
    if (await page.getByTestId('review-ok').count()) return 'ok';
    const t = (await page.getByTestId('wizard-check').innerText()).trim();
    // "This step is complete." is the step's own line before the review's check answers.
    return t && t !== 'Checking…' && t !== 'This step is complete.' ? `${t} ${await wizard.innerText()}` : '';
  });
  await shot(page, 'canvas-version-review.png');
  check(reviewed === 'ok', `the review finds the draft on v3 fine: ${reviewed}`);
  await page.getByTestId('wizard-save').click();
  await page.getByTestId('ot-row-moves_samples').waitFor();
  const fixed = (await api('GET', '/api/output-types/moves_samples')).body;
  check(fixed.workflow.version === 3 && !('samples' in (fixed.overrides ?? {})), `moves_samples is on v3 without the samples override: ${JSON.stringify(fixed)}`);
});
