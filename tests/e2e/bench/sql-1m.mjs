// SQL over 1,000,000 loaded events in headless Chromium: the SQL module's first load (from the
// click on the SQL tab to "ready", which includes fetching and compiling the module and handing
// the events over), then the query run through the editor, from the press of Run to
// the rows on screen, several times (median), and a query that reads the records.
//
//   node tests/e2e/bench/sql-1m.mjs [TRAIL_DIR]
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from '../lib/fixtures.mjs';
import { openBenchPage, trailDir } from './common.mjs';

const dir = trailDir(process.argv[2]);
const QUERIES = {
  group_by_event_name: 'SELECT eventName, count(*) FROM $EDS_ID GROUP BY 1 ORDER BY 2 DESC',
  records_bucket_reads: "SELECT element_at(requestParameters, 'bucketName') AS bucket, count(*) FROM $EDS_ID WHERE eventName = 'GetObject' GROUP BY 1 ORDER BY 2 DESC",
};
const ROUNDS = 5;

const { page, problems, ts, close } = await openBenchPage();
const before = await ts.loadCount();
await page.setInputFiles('[data-testid=folder-input]', dir);
await ts.waitForLoad(before, 600_000);
const events = await ts.eventCount();

const opened = Date.now();
await page.click('[data-testid=tab-sql]');
await page.waitForFunction(() => /ready to query/.test(document.querySelector('[data-testid=sql-status]')?.textContent ?? ''), null, { timeout: 600_000 });
const readyMs = Date.now() - opened;
const status = (await page.textContent('[data-testid=sql-status]')).trim();

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const results = {};
for (const [name, sql] of Object.entries(QUERIES)) {
  const onScreen = [];
  const engine = [];
  for (let round = 0; round < ROUNDS; round++) {
    await page.fill('[data-testid=sql-editor]', sql);
    // Run → rows on screen, timed in the page: from the click's dispatch to the frame after
    // the answer's rows are in the table.
    const ms = await page.evaluate(async () => {
      const started = performance.now();
      const previous = document.querySelector('[data-testid=sql-summary]');
      document.querySelector('[data-testid=sql-run]').click();
      await new Promise((resolve) => {
        const check = () => {
          // The summary is drawn anew with each answer, after its rows are in the table.
          const summary = document.querySelector('[data-testid=sql-summary]');
          if (summary && summary !== previous) requestAnimationFrame(() => resolve());
          else if (document.querySelector('[data-testid=sql-error]')) resolve();
          else setTimeout(check, 1);
        };
        check();
      });
      return performance.now() - started;
    });
    if (await page.$('[data-testid=sql-error]')) throw new Error(`${name}: ${await page.textContent('[data-testid=sql-error]')}`);
    onScreen.push(ms);
    engine.push(Number(await page.getAttribute('[data-testid=sql-summary]', 'data-engine-millis')));
  }
  results[name] = { run_to_rows_ms: onScreen.map(Math.round), median_ms: Math.round(median(onScreen)), engine_median_ms: Math.round(median(engine)) };
}
const result = { events, sql_tab_ready_ms: readyMs, status, queries: results, console_problems: problems };
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench-results/browser-sql-1m.json'), JSON.stringify(result, null, 2));
await close();
