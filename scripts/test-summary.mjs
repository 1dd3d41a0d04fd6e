// Adds up the Rust (cargo test) and JS (one or more vitest JSON reports) results and prints the last
// line of `npm test`: `tests: N passed, M failed`. Exits non-zero if anything failed or
// if no test ran at all.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

const [cargoLog, ...vitestReports] = process.argv.slice(2);
let rustPassed = 0;
let rustFailed = 0;
for (const match of readFileSync(cargoLog, 'utf8').matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
  rustPassed += Number(match[1]);
  rustFailed += Number(match[2]);
}
let jsPassed = 0;
let jsFailed = 0;
for (const report of vitestReports) {
  const vitest = JSON.parse(readFileSync(report, 'utf8'));
  jsPassed += vitest.numPassedTests;
  jsFailed += vitest.numFailedTests;
}
// Per report, then the runtime matrix (one JSON line per runtime or browser run, appended by
// the tests to $COSINEKIT_RUNTIME_MATRIX) when there is one.
for (const report of vitestReports) {
  const vitest = JSON.parse(readFileSync(report, 'utf8'));
  console.log(`  ${basename(report, '.json')}: ${vitest.numPassedTests} passed, ${vitest.numFailedTests} failed, ${vitest.numPendingTests ?? 0} skipped`);
}
const matrix = process.env.COSINEKIT_RUNTIME_MATRIX;
if (matrix && existsSync(matrix)) {
  console.log('\nruntime matrix (runtime: variant picked by init())');
  for (const line of readFileSync(matrix, 'utf8').split('\n').filter(Boolean)) {
    const entry = JSON.parse(line);
    console.log(`  ${entry.runtime}: ${entry.variant}${entry.where ? ` (${entry.where})` : ''}`);
  }
}
const passed = rustPassed + jsPassed;
const failed = rustFailed + jsFailed;
console.log(`\nRust: ${rustPassed} passed, ${rustFailed} failed; JS: ${jsPassed} passed, ${jsFailed} failed`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
