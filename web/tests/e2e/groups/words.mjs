// Browser scenarios, group "words": the words people use. An unknown URL
// shows a 404 page; "Order it" on a product opens the order form with that
// product chosen; orders are titled by their reference and customer, not
// their ids; statuses show in words ("New", not `new`).
// Run by ../run.mjs (`node tests/e2e/run.mjs <prodflow> --group words`).
import { api, base, check, shot, text, until, viewFitted } from '../lib.mjs';

export const scenarios = [];
const scenario = (n, name, fn) => scenarios.push({ n, name, fn });

scenario(15, 'words: a 404 page for unknown URLs, "Order it" chooses the product, orders titled by reference', async (page) => {
  // ---- an unknown URL
  await page.goto(`${base}/no/such/page`);
  const nf = page.getByTestId('not-found');
  await nf.waitFor();
  check((await nf.innerText()).includes('Page not found') && (await nf.innerText()).includes('/no/such/page'), 'the 404 page names the path');
  await shot(page, 'words-404.png');
  await nf.getByRole('link', { name: 'Orders' }).click();
  await page.getByTestId('orders-page').waitFor();

  // ---- "Order it" opens the order form with the product chosen
  const product = (await api('POST', '/api/products', { name: 'Words Lamp', sku: 'WRD-LAMP', category: 'machinery' })).body;
  await page.goto(`${base}/products/${product.id}`);
  await page.getByTestId('product-page').waitFor();
  await page.getByTestId('order-it').click();
  const select = page.getByTestId('line-0-product');
  await select.waitFor();
  await until('the product chosen in the first line', async () => (await select.inputValue()) === product.id && (await select.locator('option:checked').innerText()).includes('Words Lamp'));
  await shot(page, 'words-order-it.png');

  // ---- an order is titled by its reference and customer; its line's status is in words
  const order = (await api('POST', '/api/orders', { customer: 'Words GmbH', reference: 'PO-2026-17', lines: [{ product: product.id, output_type: 'studio_still' }] })).body;
  await page.goto(`${base}/orders`);
  const title = page.getByTestId(`order-title-${order.id}`);
  await title.waitFor();
  check((await title.innerText()) === 'PO-2026-17 · Words GmbH', `the list titles the order by reference: ${await title.innerText()}`);
  await title.click();
  await page.getByTestId('order-page').waitFor();
  check((await text(page, 'order-title')) === 'PO-2026-17 · Words GmbH', 'the order page is titled by reference');
  check((await text(page, 'line-status-studio_still')).trim() === 'New', `the status is in words: ${await text(page, 'line-status-studio_still')}`);
  check((await page.getByTestId('line-row-studio_still').innerText()).includes('Line 1'), 'the line is numbered, not shown by id');
  await shot(page, 'words-order.png');
});

scenario(16, 'dark mode follows the system setting', async (page) => {
  const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${base}/orders`);
  await page.getByTestId('orders-page').waitFor();
  check((await bg()) === 'rgb(245, 246, 248)', `light: the page is light (${await bg()})`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await until('the page to turn dark', async () => (await bg()) === 'rgb(15, 18, 24)');
  await page.locator('.runs-row').first().click();
  await page.getByTestId('order-page').waitFor();
  await shot(page, 'dark-order.png');
  await page.goto(`${base}/workflows`);
  await page.getByTestId('workflow-list').waitFor();
  await page.locator('.wf-open').first().click();
  await page.locator('.react-flow__node').first().waitFor();
  const flowBg = await page.evaluate(() => getComputedStyle(document.querySelector('.react-flow')).backgroundColor);
  check(flowBg !== 'rgb(255, 255, 255)', `the canvas is dark too (${flowBg})`);
  await shot(page, 'dark-editor.png');
});

/** Everything in the editor's top bar is inside the window, and its nodes' texts are at least 11 px on screen. */
async function readableEditor(page, width) {
  const off = await page.evaluate((W) => {
    const out = [];
    for (const el of document.querySelectorAll('.topbar button, .topbar a, .topbar input, .topbar .badge')) {
      const q = el.getBoundingClientRect();
      if (q.width && (q.right > W + 0.5 || q.left < -0.5)) out.push(`${el.textContent || el.getAttribute('aria-label')} at ${q.left}–${q.right}`);
    }
    return out;
  }, width);
  check(off.length === 0, `at ${width} px wide nothing falls off the top bar: ${off.join(', ')}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `at ${width} px the page does not scroll sideways (${overflow} px too wide)`);
  const smallest = await page.evaluate(() => {
    const zoom = new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.react-flow__viewport')).transform).a;
    let min = Infinity;
    for (const el of document.querySelectorAll('.react-flow__node *')) {
      if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
      min = Math.min(min, parseFloat(getComputedStyle(el).fontSize) * zoom);
    }
    return min;
  });
  check(smallest >= 11 - 1e-6, `node texts are at least 11 px on screen (smallest ${smallest})`);
}

scenario(17, 'a canvas people can read: readable zoom, no empty problems strip, a toolbar that fits at 1280 and 1024', async (page) => {
  await page.goto(`${base}/workflows`);
  await page.getByTestId('workflow-list').waitFor();
  await page.getByTestId('wf-starter-order-still').click();
  await page.locator('.react-flow__node').first().waitFor();
  await viewFitted(page, 'the graph opened at a readable zoom');
  await readableEditor(page, 1280);
  check((await page.getByTestId('problem-list').count()) === 0, 'no problems strip before any problem');
  const bottom = await page.locator('.bottombar').boundingBox();
  check(bottom.height <= 40, `the bottom bar is one line when there are no problems (${bottom.height} px)`);
  await page.getByTestId('validate').click();
  await until('the check done', async () => (await text(page, 'problem-summary')).includes('No problems found'));
  check((await page.getByTestId('problem-list').count()) === 0, 'still no problems strip after a clean check');
  await shot(page, 'canvas-1280.png');

  await page.setViewportSize({ width: 1024, height: 768 });
  await page.goto(`${base}/workflows`);
  await page.getByTestId('workflow-list').waitFor();
  await page.getByTestId('wf-starter-order-still').click();
  await page.locator('.react-flow__node').first().waitFor();
  await viewFitted(page, 'the graph opened at a readable zoom at 1024 px');
  await readableEditor(page, 1024);
  await shot(page, 'canvas-1024.png');
});
