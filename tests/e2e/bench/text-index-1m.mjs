// When free text becomes fast after a load: the store worker builds its free-text index in
// steps once the load is done. This loads a folder in headless Chromium, then runs a cheap
// filter every half second and reads how many rows the index covers (the query time's
// `data-text-indexed`) until it covers every event; then times free text for one address (taken
// from the first row) and a few words, median of 5 in the worker.
//
//   node tests/e2e/bench/text-index-1m.mjs [TRAIL_DIR]
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from '../lib/fixtures.mjs';
import { openBenchPage, trailDir } from './common.mjs';

const dir = trailDir(process.argv[2]);
const { page, problems, ts, close } = await openBenchPage();
const before = await ts.loadCount();
await page.setInputFiles('[data-testid=folder-input]', dir);
await ts.waitForLoad(before, 600_000);
const loaded = Date.now();
const events = await ts.eventCount();
const first = page.locator('[data-testid=result-row]').first();
await first.waitFor();
const address = (await first.locator('[data-testid=cell-source-ip]').textContent()).trim();

const progress = [];
let indexed = 0;
while (indexed < events && Date.now() - loaded < 300_000) {
  await ts.filter(progress.length % 2 ? 'readOnly:true' : 'readOnly:false');
  indexed = Number(await page.locator('[data-testid=query-time]').getAttribute('data-text-indexed'));
  progress.push({ after_load_ms: Date.now() - loaded, indexed });
  await page.waitForTimeout(500);
}
const done = progress.find((p) => p.indexed >= events);
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const freeText = {};
for (let round = 0; round < 5; round++) {
  for (const text of [`"${address}"`, 'AccessDenied', 'deploy-bot', 'terraform']) {
    const started = Date.now();
    await ts.filter(text);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=result-row]').length > 0 || document.querySelector('[data-testid=no-results]'));
    const trip = Date.now() - started;
    const ms = Number((await page.locator('[data-testid=query-time]').textContent()).replace(/[^0-9.]/g, ''));
    (freeText[text] ??= { matched: await ts.resultCount(), worker_ms: [], round_trip_ms: [] });
    freeText[text].worker_ms.push(ms);
    freeText[text].round_trip_ms.push(trip);
  }
}
const result = {
  events,
  index_done_ms_after_load: done ? done.after_load_ms : null,
  progress_shown: await page.locator('[data-testid=text-index-progress]').count(),
  free_text: Object.fromEntries(Object.entries(freeText).map(([t, r]) => [t, {
    matched: r.matched, worker_ms_median: pct(r.worker_ms, 0.5), round_trip_ms_median: pct(r.round_trip_ms, 0.5), worker_ms_each: r.worker_ms,
  }])),
  progress,
  console_problems: problems,
};
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench-results/browser-text-index-1m.json'), JSON.stringify(result, null, 2));
await close();
