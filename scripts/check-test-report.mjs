// Reads vitest's JSON report and fails if any test failed or was skipped (CI must run every suite).
import fs from 'node:fs';

const file = process.argv[2] ?? '.vitest-report.json';
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const skipped = [];
for (const suite of report.testResults) {
  for (const test of suite.assertionResults) {
    if (test.status === 'skipped' || test.status === 'pending' || test.status === 'todo')
      skipped.push(`${suite.name}: ${test.fullName}`);
  }
}
const label = process.argv[3] ?? 'vitest';
console.log(
  `${label}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped.length} skipped`,
);
if (skipped.length) {
  console.error('Skipped in CI, which must run everything:\n' + skipped.map((s) => '  - ' + s).join('\n'));
  process.exit(1);
}
if (report.numFailedTests > 0 || report.numTotalTests === 0) process.exit(1);
