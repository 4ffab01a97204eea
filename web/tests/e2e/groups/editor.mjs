// Browser scenarios, group "editor": the workflow editor. A starter edited,
// saved, reloaded and versioned; the palette, keyboard edits and a
// mixed-family import.
// Run by ../run.mjs (`node tests/e2e/run.mjs <prodflow> --group editor`).
import { api, check, clickEdge, clickNode, dragHandle, emptySpot, expectHttpStatus, openApp, text, until, viewFitted } from '../lib.mjs';

export const scenarios = [];
const scenario = (n, name, fn) => scenarios.push({ n, name, fn });

scenario(1, 'cad_file from the starter: refused connection, edit, save, reload', async (page) => {
  await openApp(page);
  await page.getByTestId('new-workflow').click();
  await page.getByTestId('new-workflow-dialog').waitFor();
  await page.getByTestId('family-cad_file').click();
  await page.getByTestId('starter-starter-cad-intake').click();
  await page.getByTestId('new-name').fill('E2E intake');
  check((await page.getByTestId('new-id').inputValue()) === 'e2e-intake', 'the id is derived from the name');
  await page.getByTestId('create-workflow').click();
  await page.getByTestId('node-glb').waitFor();
  check((await page.locator('.react-flow__node').count()) === 6, 'the starter has six nodes');
  const edgesBefore = await page.locator('.react-flow__edge').count();
  check(edgesBefore === 7, `the starter has seven edges, saw ${edgesBefore}`);
  check(await page.getByTestId('node-resolve').locator('.badge-entry').isVisible(), 'the entry node is marked');
  // The palette refuses a second entry node, saying why.
  const entryItem = page.getByTestId('palette-item-cad.resolve_step_path');
  check(await entryItem.isDisabled(), 'a second entry node cannot be added');
  check((await entryItem.innerText()).includes('already has its entry node'), 'the palette says why');

  // glb (glb) -> extract.step (step_file): refused while dragging, with the reason.
  let hovering = '';
  await dragHandle(page, 'handle-glb-out-glb', 'handle-extract-in-step', async () => {
    hovering = await until('the live reason', async () => {
      const t = await text(page, 'status-line');
      return t.includes('cannot connect glb → step_file') ? t : '';
    });
  });
  check(hovering.includes('cannot connect glb → step_file'), 'the reason shows while dragging');
  const after = await until('the refusal', async () => {
    const t = await text(page, 'status-line');
    return t.startsWith('Refused') ? t : '';
  });
  check(after.includes('cannot connect glb → step_file'), `status says why: ${after}`);
  check((await page.locator('.react-flow__edge').count()) === edgesBefore, 'no edge was added');

  // Edit a setting of the export_glb node.
  await clickNode(page, 'node-glb');
  await page.getByTestId('node-panel').waitFor();
  check((await page.getByTestId('field-param-linear_deflection').innerText()).includes('Default: 0.1'), 'the default is shown');
  await page.locator('#param_linear_deflection').fill('0.25');
  await page.getByTestId('overridden-param-linear_deflection').waitFor();
  // A policy override, in its own section.
  await page.locator('#policy_retries').fill('4');
  await page.getByTestId('overridden-policy-retries').waitFor();

  // Undo and redo from the keyboard, with the canvas focused.
  let blank = await emptySpot(page);
  await page.mouse.click(blank.x, blank.y);
  await page.keyboard.press('Control+z');
  await clickNode(page, 'node-glb');
  await until('undo of the retries override', async () => (await page.locator('#policy_retries').inputValue()) === '1');
  blank = await emptySpot(page);
  await page.mouse.click(blank.x, blank.y);
  await page.keyboard.press('Control+Shift+z');
  await clickNode(page, 'node-glb');
  await until('redo of the retries override', async () => (await page.locator('#policy_retries').inputValue()) === '4');

  await page.getByTestId('save').click();
  await until('saved as version 1', async () => (await text(page, 'status-line')).includes('Saved e2e-intake as version 1'));
  const stored = await api('GET', '/api/workflows/e2e-intake');
  check(stored.status === 200 && stored.body.nodes.find((n) => n.id === 'glb').params.linear_deflection === 0.25, 'the server stored the value');

  // A second save makes version 2 (PUT over version 1).
  await page.locator('#param_angular_deflection').fill('0.3');
  await page.getByTestId('save').click();
  await until('saved as version 2', async () => (await text(page, 'status-line')).includes('as version 2'));

  // Reload, open the workflow, see the saved values.
  await page.reload();
  await page.getByTestId('workflow-list').waitFor();
  await page.getByTestId('wf-e2e-intake').click();
  // Click the node once the canvas has fitted the graph (a click during the
  // fit may land beside it); click again until the node's panel opens.
  await page.getByTestId('node-glb').waitFor();
  await viewFitted(page, 'the reopened graph fitted');
  await until('the glb node selected after the reload', async () => {
    await page.getByTestId('node-glb').click();
    return (await page.locator('#param_linear_deflection').count()) > 0;
  });
  await until('the saved deflection', async () => (await page.locator('#param_linear_deflection').inputValue()) === '0.25');
  check((await page.locator('#param_angular_deflection').inputValue()) === '0.3', 'the second edit was saved');
  check((await page.locator('#policy_retries').inputValue()) === '4', 'the policy override was saved');
  check(await page.getByTestId('overridden-param-linear_deflection').isVisible(), 'the saved value is marked overridden');
  check((await text(page, 'doc-version')) === 'v2', 'the latest version is open');

  // Version history: v1 opens read-only, without the second edit.
  await page.getByTestId('wf-history-e2e-intake').click();
  await page.getByTestId('wf-e2e-intake-v1').click();
  await page.getByTestId('readonly-banner').waitFor();
  await clickNode(page, 'node-glb');
  await until('v1 values', async () => (await page.locator('#param_angular_deflection').inputValue()) === '0.5');
  check(await page.locator('#param_linear_deflection').isDisabled(), 'old versions are read-only');
  check(await page.getByTestId('save').isDisabled(), 'an old version cannot be saved');

  // Someone else saves meanwhile: the editor's save is refused with a clear message.
  await page.getByTestId('readonly-banner').getByRole('button', { name: 'Open latest' }).click();
  await until('v2 open', async () => (await text(page, 'doc-version')) === 'v2');
  const other = (await api('GET', '/api/workflows/e2e-intake')).body;
  other.name = 'Changed elsewhere';
  check((await api('PUT', '/api/workflows/e2e-intake', other)).status === 200, 'the concurrent save went through');
  await clickNode(page, 'node-glb');
  await page.locator('#param_linear_deflection').fill('0.5');
  expectHttpStatus(409);
  await page.getByTestId('save').click();
  await page.getByTestId('conflict-banner').waitFor();
  check((await text(page, 'conflict-banner')).includes('version 3, not 2'), 'the conflict names the versions');

  await page.getByTestId('conflict-banner').getByRole('button', { name: 'Open latest' }).click();
  await page.getByTestId('confirm-ok').click();
  await until('v3 open', async () => (await text(page, 'doc-version')) === 'v3');
  await clickNode(page, 'node-glb');
  await page.getByTestId('node-panel').waitFor();
});

scenario(2, 'palette keeps to the family; a mixed-family import is pinned to its node', async (page) => {
  await openApp(page);
  await page.getByTestId('new-workflow').click();
  await page.getByTestId('family-cad_file').click();
  await page.getByTestId('start-blank').click();
  await page.getByTestId('new-name').fill('E2E blank');
  await page.getByTestId('create-workflow').click();
  await page.getByTestId('node-resolve_step_path').waitFor();
  await page.getByTestId('palette').waitFor();
  check(await page.getByTestId('palette-item-cad.export_glb').isVisible(), 'cad.export_glb is offered');
  for (const step of ['order.resolve_line', 'render.blender_still', 'render.blender_turntable']) {
    check((await page.getByTestId(`palette-item-${step}`).count()) === 0, `${step} is not offered in a cad_file workflow`);
  }
  // Search narrows the palette; unavailable modules are marked.
  await page.getByTestId('palette-search').fill('bounding');
  await until('the search result', async () => (await page.locator('.palette-item').count()) === 1);
  check((await page.getByTestId('palette-item-cad.compute_bbox').innerText()).includes('Compute bounding box'), 'labels come from the registry');
  await page.getByTestId('palette-search').fill('');
  // Add a node by clicking, and connect it.
  await page.getByTestId('palette-item-cad.extract_objects').click();
  await page.getByTestId('node-extract_objects').waitFor();
  // The check that follows the edit finds the unconnected input first: the
  // problems strip it opens takes pane height, which would move a fit made before it.
  await until('the new node checked', async () => (await page.getByTestId('problem-summary').getAttribute('class')).includes('has-problems'));
  await page.getByRole('button', { name: 'Layout' }).click();
  await until('the layout done', async () => (await text(page, 'status-line')).includes('Laid out by topological depth'));
  await viewFitted(page, 'the laid-out graph fitted');
  await dragHandle(page, 'handle-resolve_step_path-out-step', 'handle-extract_objects-in-step');
  await until('the new edge', async () => (await page.locator('.react-flow__edge').count()) === 1);
  // Keyboard delete of a selected edge, then of a selected node; undo brings them back.
  await clickEdge(page, 0);
  await page.keyboard.press('Delete');
  await until('the edge deleted', async () => (await page.locator('.react-flow__edge').count()) === 0);
  await page.getByTestId('undo').click();
  await until('the edge restored', async () => (await page.locator('.react-flow__edge').count()) === 1);
  await clickNode(page, 'node-extract_objects');
  await page.keyboard.press('Delete');
  await until('the node deleted', async () => (await page.getByTestId('node-extract_objects').count()) === 0);
  check((await page.locator('.react-flow__edge').count()) === 0, 'its edge went with it');
  await clickNode(page, 'node-resolve_step_path');
  await page.keyboard.press('Delete');
  check((await page.getByTestId('node-resolve_step_path').count()) === 1, 'the only entry node cannot be deleted');
  await page.keyboard.press('Control+z');
  await until('node and edge restored', async () => (await page.getByTestId('node-extract_objects').count()) === 1 && (await page.locator('.react-flow__edge').count()) === 1);

  // Import a cad_file document holding an order_line node.
  const mixed = {
    schema: 'prodflow.workflow/v1',
    id: 'mixed-import',
    name: 'Mixed import',
    family: 'cad_file',
    nodes: [
      { id: 'resolve', step: 'cad.resolve_step_path' },
      { id: 'extract', step: 'cad.extract_objects' },
      { id: 'order', step: 'order.resolve_line' },
    ],
    edges: [{ from: { node: 'resolve', port: 'step' }, to: { node: 'extract', port: 'step' } }],
  };
  await page.getByTestId('import-open').click();
  await page.getByTestId('import-text').fill(JSON.stringify(mixed, null, 2));
  await page.getByTestId('import-submit').click();
  await page.getByTestId('confirm-ok').click(); // the blank workflow was never saved
  await page.getByTestId('node-order').waitFor();
  const pinned = await until('the problem pinned to node "order"', async () => {
    const t = await page.getByTestId('node-problems-order').innerText();
    return t.includes('belongs to family order_line') ? t : '';
  });
  check(pinned.includes('order.resolve_line'), `the node shows the server's message: ${pinned}`);
  check(await page.getByTestId('node-order').evaluate((el) => el.classList.contains('has-problem')), 'the node is marked');
  check((await page.getByTestId('node-problems-resolve').count()) === 0, 'other nodes are not blamed');
  // Imported without positions: laid out in columns by depth.
  const x = async (id) => (await page.getByTestId(`node-${id}`).boundingBox()).x;
  check((await x('extract')) > (await x('resolve')) + 100, 'auto-layout put extract right of resolve');
  // The problem list is clickable and selects the node.
  const list = await text(page, 'problem-list');
  check(list.includes('node order'), 'the problem list names the node');
  await page.getByTestId('problem-list').getByText('belongs to family order_line').click();
  await page.getByTestId('node-panel').waitFor();
  check((await page.locator('#node-id').inputValue()) === 'order', 'clicking the problem selected the node');
  check((await page.getByTestId('node-panel').innerText()).includes('not to this workflow’s family cad_file'), 'the panel explains');
  // Save is refused with the same problem.
  expectHttpStatus(422);
  await page.getByTestId('save').click();
  await until('save refused', async () => (await text(page, 'status-line')).startsWith('Not saved'));
  await page.locator('.react-flow__controls-fitview').click();
  // The controls' fit opens the graph as it opened: readable, fitted when it fits so.
  await viewFitted(page, 'the graph fitted readable by the controls');
});
