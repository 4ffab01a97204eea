// Browser scenarios, group "results": what people made, where they look. An
// order of a still, a turntable and a production .blend, rendered small and
// cheap on a real server (Blender), shows each line's files on the order page;
// the run list and the run view show the runs' pictures; the notify node that
// had no webhook shows as skipped; the product page shows the intake's GLB in
// a 3D view.
// Run by ../run.mjs (`node tests/e2e/run.mjs <prodflow> --group results`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, authHeaders, base, check, dataDir, imageLoaded, shot, text, until } from '../lib.mjs';

export const scenarios = [];
const scenario = (n, name, fn) => scenarios.push({ n, name, fn });

// A graph still takes per-line overrides, so this one renders 160×120 at 2 samples.
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
const SMALL_TURNTABLE = { frames: 4, width: 160, height: 120, samples: 2 };

scenario(12, 'results: an order shows its still, turntable and .blend; runs show pictures; notify skipped; the product in 3D', async (page) => {
  // ---- a product with its CAD intake done, and a cheap still output type (through the API)
  const up = await fetch(`${base}/api/cad-files?filename=gearbox.step`, {
    method: 'POST',
    headers: { ...authHeaders(), 'Content-Type': 'application/octet-stream' },
    body: readFileSync(join(dataDir, 'gearbox.step')),
  });
  check(up.status === 201 || up.status === 200, `the STEP file was taken (${up.status})`);
  const cad = await up.json();
  const product = (await api('POST', '/api/products', { name: 'Results Gearbox', sku: 'RES-GB', category: 'machinery', cad_file: cad.id })).body;
  await until('the intake to succeed', async () => {
    const st = (await api('GET', `/api/cad-files/${cad.id}`)).body.intake?.status;
    if (st === 'failed' || st === 'cancelled') throw new Error(`the intake ${st}`);
    return st === 'succeeded';
  });
  const made = await api('POST', '/api/output-types', QUICK_STILL);
  check(made.status === 201, `the quick still output type was made (${made.status})`);
  const order = await api('POST', '/api/orders', {
    customer: 'Results Ltd',
    lines: [
      { product: product.id, output_type: 'quick_still' },
      { product: product.id, output_type: 'turntable_360', overrides: SMALL_TURNTABLE },
      { product: product.id, output_type: 'production_blend' },
    ],
  });
  check(order.status === 201, `the order was made (${order.status}: ${JSON.stringify(order.body?.errors ?? '')})`);

  // ---- dispatch every line from the order page; wait until each is delivered
  await page.goto(`${base}/orders/${order.body.id}`);
  await page.getByTestId('order-page').waitFor();
  const kinds = ['quick_still', 'turntable_360', 'production_blend'];
  for (const k of kinds) {
    await page.getByTestId(`dispatch-${k}`).click();
    await until(`the ${k} line dispatched`, async () => (await page.getByTestId(`line-status-${k}`).getAttribute('data-status')) !== 'new');
  }
  for (const k of kinds)
    await until(`the ${k} line delivered`, async () => {
      const st = await page.getByTestId(`line-status-${k}`).getAttribute('data-status');
      if (st === 'failed' || st === 'cancelled') throw new Error(`the ${k} line ${st}`);
      return st === 'delivered';
    });

  // The still: a picture that loads, its size, a Download button.
  const still = page.getByTestId('deliverables-quick_still');
  await still.waitFor();
  const img = still.getByTestId('deliverables-quick_still-img');
  await imageLoaded('the delivered still', img);
  const natural = await img.evaluate((el) => [el.naturalWidth, el.naturalHeight]);
  check(natural[0] === 160 && natural[1] === 120, `the still is the line's 160×120 render, not ${natural.join('×')}`);
  // The turntable: a player whose video loads.
  const video = page.getByTestId('deliverables-turntable_360-video');
  await video.waitFor();
  await until('the turntable video loaded', () => video.evaluate((el) => el.readyState >= 3 && el.networkState !== el.NETWORK_LOADING && el.duration > 0 && el.videoWidth === 160));
  // The .blend: a file card.
  const blend = page.getByTestId('deliverables-production_blend-download');
  await blend.waitFor();
  check((await page.getByTestId('deliverables-production_blend').innerText()).includes('Production .blend'), 'the .blend is labelled by its kind');
  for (const k of kinds) {
    const size = await text(page, `deliverables-${k}-size`);
    check(/^· [\d.]+ (B|KiB|MiB|GiB)$/.test(size.trim()), `the ${k} file shows its size: "${size}"`);
    const dl = page.getByTestId(`deliverables-${k}-download`);
    const name = await dl.getAttribute('download');
    check(name?.startsWith('RES-GB-'), `the ${k} download is named after the SKU: ${name}`);
    const href = await dl.getAttribute('href');
    const res = await fetch(`${base}${href}`, { headers: { ...authHeaders(), Range: 'bytes=0-15' } });
    check(res.status === 206 || res.status === 200, `the ${k} download answers (${res.status})`);
  }
  // The Download button saves the file.
  const [download] = await Promise.all([page.waitForEvent('download'), blend.click()]);
  check(download.suggestedFilename() === (await blend.getAttribute('download')), `the .blend downloads as ${download.suggestedFilename()}`);
  await download.path();
  await page.getByTestId('order-page').evaluate((el) => el.scrollTo(0, 0));
  await shot(page, 'results-order.png');
  await page.getByTestId('deliverables-production_blend').scrollIntoViewIfNeeded();
  await shot(page, 'results-order-bottom.png');

  // ---- the run list: the still run shows its picture
  const runOf = async (k) => (await api('GET', `/api/orders/${order.body.id}`)).body.lines.find((l) => l.output_type === k).runs.at(-1).run_id;
  const stillRun = await runOf('quick_still');
  await page.goto(`${base}/runs`);
  await page.getByTestId('runs-table').waitFor();
  await imageLoaded('the still run thumbnail in the list', page.getByTestId(`run-thumb-${stillRun}`));
  // Without a picture: the turntable's first frame, the .blend's file type.
  const ttThumb = page.getByTestId(`run-thumb-${await runOf('turntable_360')}`);
  await until('the turntable run thumbnail shows a frame', () => ttThumb.evaluate((el) => el.tagName === 'VIDEO' && el.readyState >= 2));
  const blendThumb = page.getByTestId(`run-thumb-${await runOf('production_blend')}`);
  await blendThumb.waitFor();
  check((await blendThumb.innerText()) === 'BLEND', `the .blend run shows its file type: ${await blendThumb.innerText()}`);
  await shot(page, 'results-runs.png');

  // ---- the still run: the header strip, the node preview, notify skipped (not red)
  await page.getByTestId(`run-row-${stillRun}`).click();
  const view = page.getByTestId('run-view');
  await view.waitFor();
  await imageLoaded('the still node preview', view.getByTestId('node-preview-still'));
  await imageLoaded('the run header thumbnail', view.getByTestId('run-thumbs').locator('img').first());
  const notify = view.getByTestId('node-status-notify');
  await notify.waitFor();
  check((await notify.getAttribute('data-shown')) === 'skipped', `notify shows as skipped, not ${await notify.getAttribute('data-shown')}`);
  check((await text(page, 'node-note-notify')).includes('no webhook configured'), 'notify says why it sent nothing');
  const red = await view.locator('.module-node.run-failed').count();
  check(red === 0, `no red node on a fresh install's order (${red})`);
  await view.getByTestId('run-thumbs').locator('button').first().click();
  await page.getByTestId('node-run-panel').waitFor();
  check((await page.getByTestId('node-run-panel').getAttribute('data-node')) === 'still', 'the header thumbnail opens the node that made it');
  await shot(page, 'results-run.png');

  // ---- the product page: the GLB in 3D, a part named on hover, reset
  await page.goto(`${base}/products/${product.id}`);
  const viewer = page.getByTestId('model-viewer');
  await until('the 3D model loaded', async () => {
    const st = await viewer.getAttribute('data-state');
    if (st === 'error') throw new Error(`the viewer failed: ${await page.getByTestId('model-error').innerText()}`);
    return st === 'ready';
  });
  const box = await page.getByTestId('model-canvas').boundingBox();
  // Hover points spiralling out from the centre until one is over a part.
  const points = [];
  for (let r = 0; r <= 0.4; r += 0.05) for (let a = 0; a < 360; a += 45) points.push([0.5 + r * Math.cos((a * Math.PI) / 180), 0.5 + r * Math.sin((a * Math.PI) / 180)]);
  let i = 0;
  const part = await until('a part named under the pointer', async () => {
    const [fx, fy] = points[i++ % points.length];
    await page.mouse.move(box.x + fx * box.width, box.y + fy * box.height);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    return viewer.getAttribute('data-part');
  });
  check(part.startsWith('/'), `the hovered part has a path: ${part}`);
  await page.getByTestId('model-hover').waitFor();
  await shot(page, 'results-product.png');
  // The CAD file's own colours, and back to the material map's.
  await page.getByTestId('model-colours-cad').click();
  await until('CAD colours', async () => (await viewer.getAttribute('data-colours')) === 'cad');
  await page.getByTestId('model-colours-map').click();
  // Orbit, then Reset.
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.6, { steps: 6 });
  await page.mouse.up();
  await page.getByTestId('model-reset').click();
  console.log(`       delivered ${kinds.join(', ')}; hovered ${part}`);
});
