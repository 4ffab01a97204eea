// scratch: screenshots of UI states (not a test)
import { chromium } from 'playwright-core';
const base = `http://127.0.0.1:${process.argv[2]}`;
const ctx = await chromium.launchPersistentContext('/tmp/shots/profile-' + Date.now(), { executablePath: '/usr/bin/chromium', headless: true, args: ['--headless','--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync'], viewport: { width: 1280, height: 800 } });
const page = await ctx.newPage();
page.on('console', (m) => console.log('console', m.type(), m.text()));
page.on('pageerror', (e) => console.log('pageerror', e.message));
const steps = JSON.parse(process.argv[3] ?? '[]');
await page.goto(base + (process.argv[4] ?? '/'));
await page.waitForTimeout(800);
let i = 0;
for (const s of steps) {
  if (s.click) await page.locator(s.click).first().click();
  if (s.fill) await page.locator(s.fill[0]).fill(s.fill[1]);
  if (s.press) await page.keyboard.press(s.press);
  if (s.wait) await page.waitForTimeout(s.wait);
  if (s.shot) await page.screenshot({ path: `/tmp/shots/${s.shot}.png` });
  if (s.eval) console.log(await page.evaluate(s.eval));
}
await ctx.close();
