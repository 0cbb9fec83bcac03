// Timed detections at scale in headless Chromium: loads a trail (default the 1,000,000-event
// generated one), then reports what the store worker spent on all detections together (every
// built-in rule, the Insights-style rate model and the behaviour model), and the time from the
// end of the load to the findings on screen. Writes bench-results/detect-1m.json.
//
//   node tests/e2e/bench/detect-1m.mjs [TRAIL_DIR]
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from '../lib/fixtures.mjs';
import { openBenchPage } from './common.mjs';

const dir = process.argv[2] ?? path.join(ROOT, 'bench-data/trail-1000000');
if (!fs.existsSync(dir)) {
  console.error(`${dir} is missing: node tests/e2e/bench/load-1m.mjs generates it`);
  process.exit(2);
}
const { page, problems, ts, close } = await openBenchPage();
const before = await ts.loadCount();
await page.setInputFiles('[data-testid=folder-input]', dir);
await ts.waitForLoad(before, 600_000);
const loaded = Date.now();
await page.locator('[data-testid=tab-findings]').click();
await page.locator('[data-testid=detect-time]').filter({ hasText: 'anomaly models' }).waitFor({ timeout: 600_000 });
const onScreen = Date.now() - loaded;
const text = (await page.locator('[data-testid=detect-time]').textContent()).trim();
const ms = (s) => (s.endsWith(' ms') ? Number(s.slice(0, -3).replace(/,/g, '')) : Number(s.slice(0, -2)) * 1000);
const m = text.match(/in ([\d.,]+ m?s) \(anomaly models: ([\d.,]+ m?s)\)/);
const result = {
  events: await ts.eventCount(),
  worker_text: text,
  rules_ms: m ? ms(m[1]) : null,
  anomaly_models_ms: m ? ms(m[2]) : null,
  all_detections_ms: m ? ms(m[1]) + ms(m[2]) : null,
  load_end_to_findings_on_screen_ms: onScreen,
  problems,
};
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench-results/detect-1m.json'), JSON.stringify(result, null, 2));
await close();
