import fs from 'node:fs';
import { postgresUrl } from './support/db.js';
import { privateClusterUnavailable } from './resilience/pg-cluster.js';
import { simpleSamlPhpUnavailable } from './support/simplesamlphp.js';

/** Says once, at the start and again at the end of the run, which suites are skipped here and why. */
export default function setup(): () => void {
  const notes: string[] = [];
  if (!postgresUrl)
    notes.push(
      'PostgreSQL suites: TEST_DATABASE_URL is not set, so no PostgreSQL server is available (.ci/run starts one)',
    );
  // The same check and words as test/support/browser.ts, which cannot be loaded outside a test worker.
  if (!fs.existsSync('/usr/bin/chromium'))
    notes.push(
      "browser suites: Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)",
    );
  const ssp = simpleSamlPhpUnavailable();
  if (ssp) notes.push(`SimpleSAMLphp suite: ${ssp} (scripts/install-simplesamlphp.sh; .ci/run installs it)`);
  const cluster = privateClusterUnavailable();
  if (cluster) notes.push(`PostgreSQL restart suite: ${cluster}`);
  const say = () => {
    for (const n of notes) console.warn(`\n  skipped here: ${n}`);
  };
  say();
  return say;
}
