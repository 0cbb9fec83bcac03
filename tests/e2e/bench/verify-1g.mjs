// Timed verification of a generated signed trail (about 1 GB of log JSON) in headless Chromium:
// the folder is picked as a user would, every log file is hashed in the parser workers, then the
// store worker checks the digest chain. Compare with `trailscope verify` on the same files and
// with `zcat FILES | sha256sum`, the floor (see the README).
//
//   node tests/e2e/bench/verify-1g.mjs [TRAIL_DIR] [--load-events]
//
// By default the page runs in verify-only mode (log files hashed, events not read); with
// `--load-events` it loads every event too and verifies after the load.
import fs from 'node:fs';
import path from 'node:path';

import { ROOT, signedTrail } from '../lib/fixtures.mjs';
import { openBenchPage } from './common.mjs';

const args = process.argv.slice(2);
const loadEvents = args.includes('--load-events');
const dir = args.find((a) => !a.startsWith('--')) ?? path.join(ROOT, 'bench-data/signed-1g');
if (!fs.existsSync(dir)) {
  console.error(`generating a signed trail of about 1 GB of JSON into ${dir} ...`);
  fs.mkdirSync(dir, { recursive: true });
  signedTrail({ hours: 60, logsPerHour: 12, eventsPerLog: 1000 }, dir);
}

const { page, problems, ts, close } = await openBenchPage();
await page.evaluate(() => {
  window.__bench = { longTasks: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longTasks.push([Math.round(e.startTime), Math.round(e.duration)]);
  }).observe({ type: 'longtask' });
  const state = document.querySelector('[data-testid=load-state]');
  new MutationObserver(() => {
    if (state.dataset.state === 'loading' && !window.__bench.start) window.__bench.start = performance.now();
  }).observe(state, { attributes: true });
  new MutationObserver(() => {
    if (document.querySelector('[data-testid=verify-summary]') && !window.__bench.end) window.__bench.end = performance.now();
  }).observe(document.body, { childList: true, subtree: true });
});
// The trail's own key list is given as the trusted keys, as a user would give AWS's.
await ts.trustKeys([path.join(dir, 'public-keys.json')]);
if (!loadEvents) await page.locator('[data-testid=verify-only]').check();
await page.setInputFiles('[data-testid=folder-input]', dir);
const summary = await ts.verifySummary({ timeout: 600_000 });
const bench = await page.evaluate(() => window.__bench);
const note = page.locator('[data-testid=load-note]');
const textBytes = Number(await note.getAttribute('data-text-bytes'));
const workerMillis = Number(await note.getAttribute('data-elapsed-ms'));
const seconds = (bench.end - bench.start) / 1000;
const result = {
  mode: loadEvents ? 'load events, then verify' : 'verify only',
  summary,
  decompressed_bytes: textBytes,
  seconds_from_load_start_to_report: Number(seconds.toFixed(2)),
  worker_load_seconds: Number((workerMillis / 1000).toFixed(2)),
  mb_per_second: Number((textBytes / 1e6 / seconds).toFixed(1)),
  digests_per_second: Number(((summary.digestsValid + summary.digestsInvalid + summary.digestsUnverifiable) / seconds).toFixed(1)),
  long_tasks_over_50ms: bench.longTasks.map(([at, ms]) => ({ at_seconds_from_load_start: Number(((at - bench.start) / 1000).toFixed(2)), ms })),
  console_problems: problems,
};
console.log(JSON.stringify(result, null, 2));
if (summary.overall !== 'intact') {
  console.error(`the generated trail should verify, but the page says ${summary.overall}`);
  process.exitCode = 1;
}
fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, `bench-results/browser-verify-${loadEvents ? 'load' : 'hash-only'}.json`), JSON.stringify(result, null, 2));
await close();
