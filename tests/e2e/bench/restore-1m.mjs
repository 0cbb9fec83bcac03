// Timed restore of a kept workspace of a generated trail (default 1,000,000 events): loads the
// trail once with "Keep this workspace" ticked, closes the tab, opens a new one at the bare
// address and times "Restore workspace" from the click until the first rows are on screen, and
// the load with keeping on against the README's load figure. Writes bench-results/.
//
//   node tests/e2e/bench/restore-1m.mjs [TRAIL_DIR] [EVENTS]
import fs from 'node:fs';
import path from 'node:path';

import { launch } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { DIST, ROOT } from '../lib/fixtures.mjs';
import { openIn } from '../lib/trailscope-page.mjs';
import { trailDir } from './common.mjs';

const events = Number(process.argv[3] ?? 1_000_000);
const dir = trailDir(process.argv[2], events);

const server = await startServer({ root: DIST });
const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });

const open = () => openIn(context, server.url);

const first = await open();
await first.page.click('[data-testid=workspace-keep]');
await first.page.locator('[data-testid=workspace-bar][data-keeping=true]').waitFor({ state: 'attached' });
const loadStarted = Date.now();
await first.page.setInputFiles('[data-testid=folder-input]', dir);
await first.ts.waitForLoad(0, 900_000);
const loadSeconds = (Date.now() - loadStarted) / 1000;
const loaded = await first.ts.eventCount();
await first.page.locator(`[data-testid=workspace-bar][data-kept-events="${loaded}"]`).waitFor({ state: 'attached', timeout: 60_000 });
const keptText = (await first.page.locator('[data-testid=workspace-status]').textContent()).trim();
if (first.problems.length) throw new Error(`problems while keeping: ${first.problems.join('; ')}`);
await first.page.close();

const runs = [];
for (let i = 0; i < 3; i++) {
  const tab = await open();
  await tab.page.locator('[data-testid=workspace-restore]').waitFor({ timeout: 60_000 });
  const started = Date.now();
  await tab.page.click('[data-testid=workspace-restore]');
  await tab.ts.waitForLoad(0, 120_000);
  await tab.page.locator('[data-testid=result-row]').first().waitFor();
  const seconds = (Date.now() - started) / 1000;
  const restored = await tab.ts.eventCount();
  if (restored !== loaded) throw new Error(`restored ${restored} events of ${loaded}`);
  const inWorker = (await tab.page.locator('[data-testid=workspace-live]').textContent()).trim();
  runs.push({ seconds: Number(seconds.toFixed(2)), worker: inWorker });
  if (tab.problems.length) throw new Error(`problems while restoring: ${tab.problems.join('; ')}`);
  await tab.page.close();
}
const result = {
  events: loaded,
  load_seconds_while_keeping: Number(loadSeconds.toFixed(2)),
  kept: keptText,
  restore_to_first_rows_seconds: runs.map((r) => r.seconds),
  restore_messages: runs.map((r) => r.worker),
};
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, `bench-results/restore-${events}.json`), JSON.stringify(result, null, 2));
await browser.close();
await server.close();
