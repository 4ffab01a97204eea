// Browser scenarios, group "polling": the run view follows a run by polling
// when its event stream fails (a re-run that renders with Blender).
// Run by ../run.mjs (`node tests/e2e/run.mjs <prodflow> --group polling`).
import { join } from 'node:path';
import { api, base, check, dataDir, expectHttpStatus, nodeImageLoaded, prodflow, until } from '../lib.mjs';
import { transitions, watchRun } from './runs.mjs';

export const scenarios = [];
const scenario = (n, name, fn) => scenarios.push({ n, name, fn });

scenario(4, 'run view: follows a run by polling when its event stream fails', async (page) => {
  // A run that fails at once (no STEP file yet), opened with the event stream refused.
  const started = await api('POST', '/api/runs', { workflow: { id: 'starter-cad-intake' }, context: { step_path: 'polled.step' } });
  check(started.status === 202, `the run was accepted (${started.status})`);
  const id = started.body.id;
  await until('the run to fail', async () => (await api('GET', `/api/runs/${id}`)).body.status === 'failed');
  let refused = 0;
  expectHttpStatus(503);
  await page.route('**/api/runs/*/events', (route) => {
    refused++;
    return route.fulfill({ status: 503, contentType: 'application/problem+json', body: '{"title":"Unavailable","status":503}' });
  });
  await page.goto(`${base}/runs/${id}`);
  const view = page.getByTestId('run-view');
  await view.getByTestId('run-rerun').waitFor();

  prodflow(['cad', 'fixture', '-o', join(dataDir, 'polled.step'), '--bolts', '4']);
  await view.getByTestId('run-rerun').click();
  await until('the re-run to start', async () => (await view.getByTestId('run-status').getAttribute('data-status')) !== 'failed');
  const { runStatus, seen } = await watchRun(page, view);
  console.log(`       polled re-run ${id}: ${runStatus}; seen ${transitions(seen)}`);
  check(refused > 0, 'the page asked for the event stream');
  check(runStatus === 'succeeded', `the page saw the run succeed without its stream, not ${runStatus}`);
  check((await view.getByTestId('node-status-thumbnail').getAttribute('data-status')) === 'succeeded', 'the thumbnail node succeeded');
  await nodeImageLoaded(page, view, 'thumbnail', 'the thumbnail preview');
});
