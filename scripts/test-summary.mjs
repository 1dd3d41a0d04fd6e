// Adds up the Rust (cargo test) and JS (one or more vitest JSON reports) results and prints the last
// line of `npm test`: `tests: N passed, M failed`. Exits non-zero if anything failed or
// if no test ran at all.
import { readFileSync } from 'node:fs';

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
const passed = rustPassed + jsPassed;
const failed = rustFailed + jsFailed;
console.log(`\nRust: ${rustPassed} passed, ${rustFailed} failed; JS: ${jsPassed} passed, ${jsFailed} failed`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
