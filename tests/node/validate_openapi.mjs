// Validates the OpenAPI document a real `prodflow serve` publishes, with
// swagger-parser, an independent OpenAPI implementation.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';

const bin = process.argv[2];
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'prodflow-openapi-'));
const portFile = join(dir, 'port');
const server = spawn(bin, ['serve', '--port', '0', '--port-file', portFile, '--data-dir', join(dir, 'data'),
  '--share-dir', join(root, 'share'), '--threads', '1'], { stdio: ['ignore', 'inherit', 'pipe'] });

// The server prints its sign-in link once it listens (and has written the
// port file): reading stderr up to that line waits on the state, not a clock.
const listening = await new Promise((resolve) => {
  let seen = false;
  createInterface({ input: server.stderr }).on('line', (line) => {
    process.stderr.write(`${line}\n`);
    if (!seen && line.includes('#login=')) resolve((seen = true));
  }).on('close', () => resolve(seen));
});

let failed = 0;
try {
  if (!listening) throw new Error('the server did not start');
  const port = readFileSync(portFile, 'utf8').trim();
  const res = await fetch(`http://127.0.0.1:${port}/api/openapi.json`);
  const doc = await res.json();
  const api = await SwaggerParser.validate(structuredClone(doc));
  const paths = Object.keys(api.paths);
  console.log(`openapi ${api.openapi}: valid, ${paths.length} paths`);
  // Every operation answers something other than 404 for its own path.
  for (const path of paths) {
    const concrete = path.replace('{id}', 'starter-x').replace('{version}', '1');
    for (const method of Object.keys(api.paths[path]).filter((m) => m !== 'parameters')) {
      const r = await fetch(`http://127.0.0.1:${port}${concrete}`, {
        method: method.toUpperCase(),
        headers: { 'content-type': 'application/json' },
        body: ['post', 'put'].includes(method) ? '{}' : undefined,
      });
      const known = r.status !== 405 && !(r.status === 404 && !path.includes('{'));
      if (!known) { failed++; console.error(`${method.toUpperCase()} ${path}: ${r.status}`); }
    }
  }
} catch (e) {
  failed++;
  console.error(e);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${failed ? 0 : 1} passed, ${failed ? 1 : 0} failed`);
process.exit(failed ? 1 : 0);
