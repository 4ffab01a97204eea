// Browser scenarios, group "catalog": output types. The list, the wizard step
// by step, the wizard and the editor together, forms that follow the served
// schema.
// Run by ../run.mjs (`node tests/e2e/run.mjs <prodflow> --group catalog`).
import { api, base, check, expectHttpStatus, openApp, shot, text, until } from '../lib.mjs';

export const scenarios = [];
const scenario = (n, name, fn) => scenarios.push({ n, name, fn });

const DEMO_TYPES = {
  studio_still: { rollout: 'legacy', kind: 'still_image' },
  studio_still_v2: { rollout: 'shadow', kind: 'still_image' },
  turntable_360: { rollout: 'graph', kind: 'turntable_video' },
  production_blend: { rollout: 'graph', kind: 'production_blend' },
  glb_model: { rollout: 'graph', kind: 'glb_model' },
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

scenario(5, 'output types: the list, a legacy type beside its mapping, the switch to shadow', async (page) => {
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
  const graphTypes = Object.values(DEMO_TYPES).filter((t) => t.rollout === 'graph').length;
  await until('only graph rows', async () => (await page.locator('[data-testid^="ot-row-"]').count()) === graphTypes);
  await page.getByTestId('ot-rollout-all').click();

  // The legacy settings beside the compat adapter's mapping.
  await page.getByTestId('ot-legacy-studio_still').click();
  const panel = page.getByTestId('legacy-panel-studio_still');
  await panel.getByTestId('legacy-mapping-studio_still').waitFor();
  // (innerText follows the headers' text-transform, hence the lower case)
  check((await text(page, 'legacy-settings-studio_still')).toLowerCase().includes('transparent_bg'), 'the legacy settings keep their old names');
  const mapping = (await text(page, 'legacy-mapping-studio_still')).toLowerCase();
  check(mapping.includes('transparent') && !mapping.includes('transparent_bg'), 'the mapping shows the invocation parameter');
  await shot(page, 'output-types-list.png');

  // Switching to shadow goes through the wizard's workflow step.
  await page.getByTestId('switch-studio_still-shadow').click();
  await openWizardStep(page, 'workflow');
  check(new URL(page.url()).pathname === '/output-types/studio_still/edit', 'the wizard edits studio_still');
  check(await page.getByTestId('field-ot-rollout').getByLabel('shadow').isChecked(), 'shadow is chosen');
  await page.getByTestId('wf-choice-starter-order-still').click();
  await until('the check to pass', async () => (await text(page, 'wizard-check')) === 'This step is complete.');
  check((await text(page, 'wizard-legacy-mapping')).includes('studio_white'), 'the mapping shows beside the legacy settings');
  await shot(page, 'output-type-switch.png');
});

scenario(6, 'output-type wizard: a graph turntable step by step, with a pinned problem', async (page) => {
  await page.goto(base + '/output-types');
  await page.getByTestId('ot-new').click();
  await openWizardStep(page, 'family');
  check(await page.getByTestId('field-ot-family').getByLabel('Order Rendering').isChecked(), 'the family starts at the schema default');
  check((await page.getByTestId('wizard-step-review').isDisabled()), 'later steps are closed');
  await wizardNext(page);

  await openWizardStep(page, 'workflow');
  check(await page.getByTestId('field-ot-rollout').getByLabel('legacy').isChecked(), 'without a workflow the rollout is legacy');
  await page.getByTestId('wf-choice-starter-order-turntable').click();
  await until('the rollout to follow the workflow', () => page.getByTestId('field-ot-rollout').getByLabel('graph').isChecked());
  await wizardNext(page);

  await openWizardStep(page, 'artifact_kind');
  await page.getByTestId('kind-choice-turntable_video').waitFor();
  check((await page.getByTestId('kind-choices').locator('.choice').count()) === 1, 'only the kind the workflow delivers is offered');
  await until('the only kind to be chosen', () => page.getByTestId('kind-choice-turntable_video').locator('input').isChecked());
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
  // Next on a step with a problem shows them all and stays.
  await page.getByTestId('wizard-next').click();
  await until('Next to show every problem', async () => (await page.getByTestId('wizard-page-overrides').getAttribute('data-problems')) === 'all');
  check((await page.getByTestId('wizard').getAttribute('data-step')) === 'overrides', 'Next stays while the step has a problem');
  await shot(page, 'wizard-overrides-problem.png');
  await page.locator('#ov_frames').fill('12');
  await page.getByTestId('overridden-ov-frames').waitFor();
  await until('the problem gone', async () => !(await frames.innerText()).includes('at least 2'));
  await wizardNext(page);

  await openWizardStep(page, 'commercial');
  // A fresh page names no problem before the user touched a field, though the draft has some.
  await until('the commercial step checked', async () => (await text(page, 'wizard-check')) === 'Fill in this step, then Next.');
  const page6 = page.getByTestId('wizard-page-commercial');
  check((await page6.locator('.field-problems, .error-detail, [data-testid="step-problems"]').count()) === 0, 'no problem shows on a fresh page');
  await shot(page, 'wizard-commercial-fresh.png');
  await page.getByTestId('wizard-next').click();
  await until('Next to show the problems', async () => (await page6.locator('.field-problems, .error-detail, [data-testid="step-problems"]').count()) > 0);
  check((await page.getByTestId('wizard').getAttribute('data-step')) === 'commercial', 'Next stays while the step has a problem');
  await shot(page, 'wizard-commercial-next.png');
  await page.locator('#ot_name').fill('E2E Turntable');
  check((await page.locator('#ot_key').inputValue()) === 'e2e_turntable', 'the key follows the name');
  await page.locator('#ot_pricing_tier').selectOption({ index: 1 });
  await page.getByTestId('field-ot-categories').getByLabel('Machinery').check();
  await page.getByTestId('field-ot-categories').getByLabel('All categories', { exact: true }).uncheck();
  // The screenshot shows the step once the server has checked it (not "Checking…").
  await until('the commercial step checked', () => page.getByTestId('wizard-next').isEnabled());
  await shot(page, 'wizard-commercial.png');
  await wizardNext(page);

  await openWizardStep(page, 'review');
  await page.getByTestId('review-ok').waitFor();
  check((await text(page, 'review-json')).includes('"frames": 12'), 'the review shows the whole document');
  await shot(page, 'wizard-review.png');
  await page.getByTestId('wizard-save').click();
  await page.getByTestId('ot-row-e2e_turntable').waitFor();
  check((await text(page, 'ot-rollout-cell-e2e_turntable')) === 'graph', 'listed as graph');
  check((await page.getByTestId('ot-kind-e2e_turntable').getAttribute('title')) === 'turntable_video', 'listed as a turntable');
  const stored = (await api('GET', '/api/output-types/e2e_turntable')).body;
  check(stored.overrides.frames === 12 && JSON.stringify(stored.categories) === '["machinery"]' && stored.workflow.id === 'starter-order-turntable', `stored: ${JSON.stringify(stored)}`);

  // An edit sends the revision it started from: a save over someone else's newer one is refused, in words.
  await page.goto(`${base}/output-types/e2e_turntable/edit?step=review`);
  await page.getByTestId('review-ok').waitFor();
  const meanwhile = await api('PUT', '/api/output-types/e2e_turntable', { ...stored, description: 'Changed meanwhile' });
  check(meanwhile.status === 200, `someone else saved (${meanwhile.status})`);
  expectHttpStatus(409);
  await page.getByTestId('wizard-save').click();
  const refused = await until('the refusal', async () => (await page.getByTestId('wizard-save-error').count()) && text(page, 'wizard-save-error'));
  check(refused.includes('Changed by someone else'), `the conflict is said in words: ${refused}`);
  check((await api('GET', '/api/output-types/e2e_turntable')).body.description === 'Changed meanwhile', 'their save stays');
});

scenario(7, 'output-type wizard: "create one" goes to the editor and comes back with the new workflow', async (page) => {
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

scenario(8, 'the editor follows the backend: a served schema and a new category change the forms', async (page) => {
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
  await shot(page, 'wizard-follows-backend.png');
});
