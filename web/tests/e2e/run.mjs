#!/usr/bin/env node
// Browser tests for the workflow editor against the real server.
//
//   node tests/e2e/run.mjs <path-to-prodflow-binary> [--group NAME]...
//
// Starts `prodflow serve` on 127.0.0.1 (a free port) with a fresh data
// directory, the repo's share/ and the built editor (web/dist), drives Debian's
// Chromium through playwright-core, and fails on any console error.
// Screenshots go to web/test-output/. The last line is "N passed, N failed".
//
// The scenarios come in groups (groups/NAME.mjs); --group runs one group, or
// several on one server. CTest runs three processes side by side (see
// tests/CMakeLists.txt), each with its own server, data directory and browser,
// and about equally long: runs; orders with polling (these wait for Blender
// renders); editor with catalog and settings. Without --group, every group
// runs, one after the other, on one server.
//
// Nothing waits on time: see lib.mjs.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runScenarios } from './lib.mjs';

// name → [module, needs the run fixtures]. A group may export serverArgs
// (more `prodflow serve` arguments) and gated (its server's Blender can be
// held, see lib.mjs); such a group runs on a server of its own.
const GROUPS = {
  editor: ['./groups/editor.mjs', false],
  runs: ['./groups/runs.mjs', true],
  polling: ['./groups/polling.mjs', false],
  catalog: ['./groups/catalog.mjs', false],
  orders: ['./groups/orders.mjs', false],
  settings: ['./groups/settings.mjs', false],
  results: ['./groups/results.mjs', false],
  progress: ['./groups/progress.mjs', false],
  words: ['./groups/words.mjs', false],
  home: ['./groups/home.mjs', false],
  canvas: ['./groups/canvas.mjs', false],
};

const usage = `usage: node tests/e2e/run.mjs <path-to-prodflow-binary> [--group ${Object.keys(GROUPS).join('|')}]...`;
const args = process.argv.slice(2);
const binary = args[0] && !args[0].startsWith('--') ? resolve(args.shift()) : '';
const chosen = [];
while (args.length) {
  const a = args.shift();
  const name = a === '--group' ? args.shift() : a.startsWith('--group=') ? a.slice('--group='.length) : undefined;
  if (!name || !(name in GROUPS)) {
    console.error(`${a === '--group' || a.startsWith('--group=') ? `unknown group "${name ?? ''}"` : `unknown argument "${a}"`}\n${usage}`);
    process.exit(2);
  }
  if (!chosen.includes(name)) chosen.push(name);
}
if (!binary || !existsSync(binary)) {
  console.error(`${usage}${binary ? ` (${binary} does not exist)` : ''}`);
  process.exit(2);
}

const groups = chosen.length ? chosen : Object.keys(GROUPS);
const scenarios = [];
const outputTypes = {};
const serverArgs = [];
let gated = false;
for (const g of groups) {
  const m = await import(GROUPS[g][0]);
  scenarios.push(...m.scenarios);
  Object.assign(outputTypes, m.outputTypes);
  serverArgs.push(...(m.serverArgs ?? []));
  gated ||= !!m.gated;
}
scenarios.sort((a, b) => a.n - b.n);

await runScenarios({
  binary,
  label: groups.join('+'),
  scenarios,
  runFixtures: groups.some((g) => GROUPS[g][1]),
  outputTypes,
  serverArgs,
  gated,
});
