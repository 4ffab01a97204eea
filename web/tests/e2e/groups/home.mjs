// Browser scenarios, group "home": the home page at "/" (where to start on a
// fresh install, recent orders and runs, products awaiting their CAD intake)
// and the API reference at /api/docs (the served OpenAPI document in a viewer
// loaded only there).
// Run by ../run.mjs (`node tests/e2e/run.mjs <prodflow> --group home`).
import { api, base, check, shot, text, until } from '../lib.mjs';

export const scenarios = [];
const scenario = (n, name, fn) => scenarios.push({ n, name, fn });

/** Whether the page has loaded the API viewer's code. */
const viewerLoaded = (page) => page.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.includes('swagger-ui')));

// First of its server's scenarios (n 0): the install is still fresh, nobody has ordered.
scenario(0, 'home: a fresh install leads with how to start, then what waits and what ran', async (page) => {
  const lamp = (await api('POST', '/api/products', { name: 'Home Lamp', sku: 'HOME-LAMP', category: 'machinery' })).body;
  await page.goto(`${base}/`);
  const home = page.getByTestId('home-page');
  await home.waitFor();
  check((await home.getAttribute('data-fresh')) === 'yes', 'an install without orders counts as fresh');
  const start = await text(page, 'home-start');
  check(start.includes('Add a product') && start.includes('Order the demo gearbox'), `the getting-started path: ${start}`);
  check((await page.getByTestId('home-order-demo').count()) === 1, 'the demo gearbox can be ordered from here');
  await page.getByTestId('home-awaiting-HOME-LAMP').waitFor();
  check((await text(page, 'home-awaiting-HOME-LAMP')).includes('needs a STEP file'), 'a product without a STEP file waits, and says why');
  check((await text(page, 'home-orders')).includes('No orders yet'), 'no orders yet');
  check(!(await viewerLoaded(page)), 'the home page does not load the API viewer');
  await shot(page, 'home-fresh.png');

  // The demo order path: the order form with the gearbox chosen.
  await page.getByTestId('home-order-demo').click();
  const select = page.getByTestId('line-0-product');
  await select.waitFor();
  await until('the gearbox chosen', async () => (await select.locator('option:checked').innerText()).includes('Gearbox'));

  // Once something was ordered, the page leads with what happened.
  const order = (await api('POST', '/api/orders', { customer: 'Home GmbH', reference: 'PO-HOME-1', lines: [{ product: lamp.id, output_type: 'studio_still' }] })).body;
  await page.getByTestId('catalog-app').getByTestId('nav-home').click();
  await until('the page to lead with the recent orders', async () => (await home.getAttribute('data-fresh')) === 'no');
  check((await page.getByTestId('home-start').count()) === 0, 'no getting-started path once ordered');
  check((await text(page, `home-order-${order.id}`)).includes('PO-HOME-1'), 'the new order is listed by its reference');
  await shot(page, 'home-ordered.png');
});

scenario(18, 'API reference: /api/docs shows the served OpenAPI document in a viewer bundled with the editor', async (page) => {
  await page.goto(`${base}/api/docs`);
  const docs = page.getByTestId('api-docs');
  await docs.waitFor();
  await until('the viewer to show the document', async () => (await docs.getAttribute('data-state')) !== 'loading');
  check((await docs.getAttribute('data-state')) === 'ready', `the viewer is ready: ${await docs.getAttribute('data-state')}`);
  await page.locator('.opblock').first().waitFor();
  const ops = await page.locator('.opblock').count();
  check(ops > 50, `every operation is listed (${ops})`);
  check((await docs.innerText()).includes('/api/orders'), 'the orders API is described');
  check(await viewerLoaded(page), 'the viewer code came with this page');
  await shot(page, 'api-docs.png');
  // Its requests go to this server only (the viewer is bundled: nothing else is fetched).
  const foreign = await page.evaluate((origin) => performance.getEntriesByType('resource').filter((e) => !e.name.startsWith(origin) && !e.name.startsWith('data:')).map((e) => e.name), base);
  check(foreign.length === 0, `no request leaves the server: ${foreign.join(', ')}`);
  await page.getByTestId('catalog-app').getByTestId('nav-home').click();
  await page.getByTestId('home-page').waitFor();
});
