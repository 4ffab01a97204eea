// Browser scenarios, group "settings": categories, pricing tiers, a material
// library edited and restored, a template, the legacy import.
// Run by ../run.mjs (`node tests/e2e/run.mjs <prodflow> --group settings`).
import { api, base, check, expectHttpStatus, openApp, shot, text, until } from '../lib.mjs';

export const scenarios = [];
const scenario = (n, name, fn) => scenarios.push({ n, name, fn });

scenario(10, 'settings: a category and a tier with a pinned problem, a material edited and restored, a legacy import', async (page) => {
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
  await dialog.waitFor({ state: 'detached' }); // the screenshot shows the table, the dialog closed
  await shot(page, 'settings-categories.png');

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
  await shot(page, 'settings-tier-problem.png');
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
  await shot(page, 'settings-material-library.png');
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
  await shot(page, 'settings-template-edit.png', { fullPage: true });
  await page.getByTestId('file-cancel').click();
  await page.locator('[data-testid="template-page"][data-editing="false"]').waitFor();
  await shot(page, 'settings-template.png', { fullPage: true });

  // Legacy import: a batch with a bad item is refused whole, its problems pinned to it; then one type and its mapping.
  await page.getByTestId('catalog-app').getByTestId('nav-output-types').click();
  await page.getByTestId('ot-table').waitFor();
  await page.getByTestId('ot-import-legacy').click();
  const good = { key: 'e2e_legacy_spin', name: 'E2E legacy spin', legacy_render_settings: { turntable: { enabled: true, frames: 24, fps: 12 }, thumbnail: true } };
  const bad = { name: 'E2E legacy bad', legacy_render_settings: { engine: 'povray' } };
  await page.getByTestId('legacy-import-text').fill(JSON.stringify([good, bad], null, 2));
  await page.getByTestId('legacy-import-submit').click();
  await page.getByTestId('legacy-import-failure').waitFor();
  check((await page.getByTestId('legacy-item-1-problems').locator('[data-pointer="/1/legacy_render_settings/engine"]').count()) === 1, 'the bad item has its problem');
  check((await text(page, 'legacy-item-1-problems')).includes('Legacy render settings › Engine'), 'the problem says where in words');
  check((await page.getByTestId('legacy-item-0-problems').count()) === 0, 'the good item has none');
  check((await api('GET', '/api/output-types/e2e_legacy_spin')).status === 404, 'nothing was imported');
  await page.getByTestId('legacy-import-text').fill(JSON.stringify([good], null, 2));
  await page.getByTestId('legacy-import-submit').click();
  await page.getByTestId('legacy-result-e2e_legacy_spin').waitFor();
  check((await page.getByTestId('legacy-result-kind-e2e_legacy_spin').getAttribute('title')) === 'turntable_video', 'mapped to a turntable');
  const overrides = await text(page, 'legacy-result-overrides-e2e_legacy_spin');
  check(overrides.includes('frames') && overrides.includes('24'), `the mapped overrides: ${overrides}`);
  check((await page.getByTestId('legacy-result-warnings-e2e_legacy_spin').locator('[data-pointer="/legacy_render_settings/thumbnail"]').count()) === 1, 'the warning shows');
  check((await text(page, 'legacy-result-warnings-e2e_legacy_spin')).includes('Legacy render settings › Thumbnail'), 'the warning says where in words');
  await shot(page, 'legacy-import.png');
  await page.getByTestId('legacy-import-done').click();
  await page.getByTestId('ot-row-e2e_legacy_spin').waitFor();
  check((await text(page, 'ot-rollout-cell-e2e_legacy_spin')) === 'legacy', 'imported on the legacy rollout');
});

scenario(11, 'access: an admin makes a token (shown once), signs a second browser in with it, revokes it; the audit log names who did what', async (page) => {
  await page.goto(base + '/settings/access');
  await page.getByTestId('tokens-table').waitFor();
  // The browser signed in with the start-up link: its session is the first token.
  check((await text(page, 'tokens-table')).includes('editor sign-in'), 'the sign-in token is listed');
  const roles = await page.locator('[data-testid="session-roles"]:visible').first().innerText();
  check(roles === 'admin', `the top bar says what the sign-in may do: ${roles}`);
  await page.getByTestId('tokens-new').click();
  await page.getByTestId('token-dialog').waitFor();
  await page.getByTestId('token-name').fill('E2E render farm');
  await page.getByTestId('token-role-viewer').uncheck();
  await page.getByTestId('token-role-operator').check();
  await page.getByTestId('token-days').fill('7');
  await page.getByTestId('token-create').click();
  await page.getByTestId('token-made').waitFor();
  const secret = (await text(page, 'token-secret')).trim();
  check(/^pft_[a-z2-7]{16}_[a-z2-7]{32}$/.test(secret), `the token is shown: ${secret}`);
  await shot(page, 'access-token-made.png');
  const made = (await api('GET', '/api/tokens')).body.tokens.find((t) => t.name === 'E2E render farm');
  check(made && made.roles.join() === 'operator' && made.expires_at && !('token' in made), 'stored with its role and expiry, never the secret');

  const who = await fetch(`${base}/api/auth/whoami`, { headers: { Authorization: `Bearer ${secret}` } });
  check(who.status === 200 && (await who.json()).name === 'E2E render farm', 'the new token works');

  await page.getByTestId(`token-revoke-${made.id}`).click();
  await until('the token shows as revoked', async () => (await text(page, `token-row-${made.id}`)).includes('revoked'));
  const gone = await fetch(`${base}/api/auth/whoami`, { headers: { Authorization: `Bearer ${secret}` } });
  check(gone.status === 401, 'a revoked token no longer works');
  await until('the audit log shows the revocation', async () => {
    await page.getByTestId('audit-page').getByRole('button', { name: 'Refresh' }).click();
    return (await text(page, 'audit-table')).includes(`DELETE /api/tokens/${made.id}`);
  });
  check((await text(page, 'audit-table')).includes('POST /api/tokens'), 'the creation is logged');
  await shot(page, 'access.png', { fullPage: true });
});
