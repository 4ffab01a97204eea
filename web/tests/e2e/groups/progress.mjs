// Browser scenarios, group "progress": progress while people wait. The
// server's Blender is a gated one (lib.mjs `gate`), started for every render
// (--blender-workers 0): with the gate closed a render says "Sample 1/4" and
// waits, so the pages show a running node's live progress for as long as the
// scenario looks; opening the gate lets the render finish.
// Run by ../run.mjs (`node tests/e2e/run.mjs <prodflow> --group progress`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, authHeaders, base, check, dataDir, gate, shot, until } from '../lib.mjs';

export const scenarios = [];
export const serverArgs = ['--blender-workers', '0'];
export const gated = true;
const scenario = (n, name, fn) => scenarios.push({ n, name, fn });

const QUICK_STILL = {
  key: 'quick_still',
  name: 'Quick still',
  family: 'order_line',
  rollout: 'graph',
  artifact_kind: 'still_image',
  pricing_tier: 'standard',
  workflow: { id: 'starter-order-still', version: 1 },
  overrides: { width: 160, height: 120, samples: 2 },
};

let product;

/** Waits until `el` shows a progress bar at 25% saying "sample 1 of 4" (the held render). */
async function heldBar(what, el) {
  await until(`${what} to show "sample 1 of 4"`, async () => (await el.innerText()).includes('sample 1 of 4'));
  const bar = el.getByRole('progressbar').first();
  await bar.waitFor();
  check((await bar.getAttribute('aria-valuenow')) === '25', `${what}: the bar stands at 25% (${await bar.getAttribute('aria-valuenow')})`);
  const said = await el.innerText();
  check(/\d+ s elapsed/.test(said), `${what}: the elapsed time shows ("${said}")`);
}

scenario(13, 'progress: a held CAD intake shows its render live on the product page and the run page', async (page) => {
  gate.close();
  const up = await fetch(`${base}/api/cad-files?filename=gearbox.step`, {
    method: 'POST',
    headers: { ...authHeaders(), 'Content-Type': 'application/octet-stream' },
    body: readFileSync(join(dataDir, 'gearbox.step')),
  });
  check(up.status === 201 || up.status === 200, `the STEP file was taken (${up.status})`);
  const cad = await up.json();
  product = (await api('POST', '/api/products', { name: 'Progress Gearbox', sku: 'PRG-GB', category: 'machinery', cad_file: cad.id })).body;

  // ---- the product page: the intake bar, and under it the thumbnail's render held at sample 1 of 4
  await page.goto(`${base}/products/${product.id}`);
  await page.getByTestId('product-page').waitFor();
  const live = page.getByTestId('intake-live');
  await heldBar('the product page', live);
  await shot(page, 'progress-product.png');

  // ---- the run page: the node on the canvas, and its inspector with the log streaming
  await page.getByTestId('intake-run-link').click();
  const view = page.getByTestId('run-view');
  await view.waitFor();
  const onNode = view.getByTestId('node-progress-thumbnail');
  await heldBar('the canvas node', onNode);
  await view.getByTestId('node-thumbnail').click();
  const panel = page.getByTestId('node-run-panel');
  await heldBar('the inspector', panel.getByTestId('node-live-progress'));
  await until('the live log to list the sample', async () => (await panel.getByTestId('node-live-log').innerText()).includes('sample 1 of 4'));
  await shot(page, 'progress-run.png');

  // ---- open the gate: the run ends, the live parts give way to the results
  gate.open();
  await until('the intake run to succeed', async () => {
    const st = await page.getByTestId('run-status').getAttribute('data-status');
    if (st === 'failed' || st === 'cancelled') throw new Error(`the run ${st}`);
    return st === 'succeeded';
  });
  await panel.getByTestId('node-log').waitFor();
  check((await view.getByTestId('node-progress-thumbnail').count()) === 0, 'no progress bar is left on the canvas');
});

scenario(14, 'progress: an order line in production shows its render live on the order page', async (page) => {
  check(!!product, 'the product of the previous scenario exists');
  await until('the intake to succeed', async () => (await api('GET', `/api/cad-files/${product.cad_file}`)).body.intake?.status === 'succeeded');
  check((await api('POST', '/api/output-types', QUICK_STILL)).status === 201, 'the quick still output type was made');
  const order = await api('POST', '/api/orders', { customer: 'Progress Ltd', reference: 'PO-4711', lines: [{ product: product.id, output_type: 'quick_still' }] });
  check(order.status === 201, `the order was made (${order.status})`);

  gate.close();
  await page.goto(`${base}/orders/${order.body.id}`);
  await page.getByTestId('order-page').waitFor();
  await page.getByTestId('dispatch-quick_still').click();
  const live = page.getByTestId('line-progress-quick_still');
  await heldBar('the order line', live);
  await shot(page, 'progress-order.png');

  gate.open();
  await until('the line delivered', async () => {
    const st = await page.getByTestId('line-status-quick_still').getAttribute('data-status');
    if (st === 'failed' || st === 'cancelled') throw new Error(`the line ${st}`);
    return st === 'delivered';
  });
  check((await page.getByTestId('line-progress-quick_still').count()) === 0, 'the progress gives way to the files');
});
