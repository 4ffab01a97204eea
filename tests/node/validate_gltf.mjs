// Runs the Khronos glTF validator on each GLB named on the command line and
// exits non-zero when any reports an error.
import { readFileSync } from 'node:fs';
import validator from 'gltf-validator';

let failed = 0;
for (const path of process.argv.slice(2)) {
  const report = await validator.validateBytes(new Uint8Array(readFileSync(path)), { maxIssues: 50 });
  const { numErrors, numWarnings } = report.issues;
  console.log(`${path}: ${numErrors} errors, ${numWarnings} warnings`);
  if (numErrors > 0) {
    failed++;
    for (const m of report.issues.messages.filter((m) => m.severity === 0)) console.log(`  ${m.code} ${m.pointer ?? ''}: ${m.message}`);
  }
}
process.exit(failed ? 1 : 0);
