// Timed queries over 1,000,000 loaded events in headless Chromium: each filter applied through
// the filter bar, as a user would, with the worker's own time (count, all facets, timeline,
// first rows) and the page's round trip (Enter to the rows on screen). Also the detection run
// (all built-in rules and the anomaly model), the first filters' round trips while it runs, and
// the store's memory per event.
//
//   node tests/e2e/bench/query-1m.mjs [TRAIL_DIR]
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from '../lib/fixtures.mjs';
import { openBenchPage, trailDir } from './common.mjs';

const dir = trailDir(process.argv[2]);
const FILTERS = [
  'eventSource:s3.amazonaws.com readOnly:false awsRegion:us-east-1',
  'errorCode:AccessDenied*',
  'user:Admin/* error:* -region:eu-west-1',
  'eventName:AssumeRole',
  'userIdentity.type:IAMUser readOnly:false',
  'ip:10.0.0.0/8',
  '',
];
const ROUNDS = 5;

const { page, problems, ts, close } = await openBenchPage();
const before = await ts.loadCount();
await page.setInputFiles('[data-testid=folder-input]', dir);
await ts.waitForLoad(before, 600_000);
const events = await ts.eventCount();
await ts.resultCount();

const worker = [];
const roundTrip = [];
const perFilter = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const filter of FILTERS) {
    const started = Date.now();
    await ts.filter(filter);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=result-row]').length > 0 || document.querySelector('[data-testid=no-results]'));
    const trip = Date.now() - started;
    const ms = Number((await page.locator('[data-testid=query-time]').textContent()).replace(/[^0-9.]/g, ''));
    worker.push(ms);
    roundTrip.push(trip);
    (perFilter[filter || '(none)'] ??= []).push(ms);
  }
}
// The first round starts as soon as the first rows are on screen, which is when the detection
// run starts: its filters are answered between the anomaly models' steps.
const firstRound = roundTrip.slice(0, FILTERS.length);
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

// Free text (a substring of the original records): one event's id and one address taken from
// the loaded events, and names found in many records, each timed in the worker and from the
// press of Enter to the rows on screen.
await ts.filter('');
const first = page.locator('[data-testid=result-row]').first();
await first.waitFor();
const someId = await first.getAttribute('data-event-id');
const someIp = (await first.locator('[data-testid=cell-source-ip]').textContent()).trim();
const FREE_TEXT = [`"${someId}"`, `"${someIp}"`, 'deploy-bot', 'AccessDenied', 'terraform'];
const freeText = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const text of FREE_TEXT) {
    const started = Date.now();
    await ts.filter(text);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=result-row]').length > 0 || document.querySelector('[data-testid=no-results]'));
    const trip = Date.now() - started;
    const ms = Number((await page.locator('[data-testid=query-time]').textContent()).replace(/[^0-9.]/g, ''));
    const matched = await ts.resultCount();
    (freeText[text] ??= { matched, worker_ms: [], round_trip_ms: [] });
    freeText[text].worker_ms.push(ms);
    freeText[text].round_trip_ms.push(trip);
  }
}
const freeTextSummary = Object.fromEntries(Object.entries(freeText).map(([t, r]) => [t, {
  matched: r.matched, worker_ms_median: pct(r.worker_ms, 0.5), round_trip_ms_median: pct(r.round_trip_ms, 0.5), worker_ms_each: r.worker_ms,
}]));
await ts.filter('');
await page.locator('[data-testid=tab-findings]').click();
// The anomaly models may still be running at millions of events: wait for their figure.
await page.waitForFunction(() => (document.querySelector('[data-testid=detect-time]')?.textContent ?? '').trim().length > 0, null, { timeout: 600_000 });
const detect = (await page.locator('[data-testid=detect-time]').textContent()).trim();
const note = (await page.locator('[data-testid=load-note]').textContent()).trim();
const result = {
  events,
  queries: worker.length,
  worker_ms: { median: pct(worker, 0.5), p95: pct(worker, 0.95), max: Math.max(...worker) },
  page_round_trip_ms: { median: pct(roundTrip, 0.5), p95: pct(roundTrip, 0.95) },
  first_round_trip_ms_while_detecting: firstRound,
  worker_ms_median_per_filter: Object.fromEntries(Object.entries(perFilter).map(([f, xs]) => [f, pct(xs, 0.5)])),
  free_text: freeTextSummary,
  detection: detect,
  memory_note: note,
  console_problems: problems,
};
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench-results/browser-query-1m.json'), JSON.stringify(result, null, 2));
await close();
