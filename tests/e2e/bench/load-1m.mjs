// Timed load of a generated trail (default 1,000,000 events in about 10,000 gzip S3 log files,
// about 1.4 GB of JSON) in headless Chromium, picked as a folder the way a user would.
// Reports the load time, main-thread long tasks and the tab's memory; writes bench-results/.
//
//   node tests/e2e/bench/load-1m.mjs [TRAIL_DIR] [EVENTS]
import fs from 'node:fs';
import path from 'node:path';

import { launch, openPage } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { DIST, ROOT, trail } from '../lib/fixtures.mjs';
import { TrailscopePage } from '../lib/trailscope-page.mjs';

const events = Number(process.argv[3] ?? 1_000_000);
const dir = process.argv[2] ?? path.join(ROOT, `bench-data/trail-${events}`);
if (!fs.existsSync(dir)) {
  console.error(`generating ${events} events into ${dir} ...`);
  fs.mkdirSync(dir, { recursive: true });
  trail(events, dir, 6);
}

/** Resident memory (KiB) of the renderer processes below `rootPid` (this script: Chromium is its child). */
function rendererMemory(rootPid) {
  const children = new Map();
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(pid));
    } catch { /* the process ended */ }
  }
  const all = [];
  const walk = (pid) => { for (const c of children.get(pid) ?? []) { all.push(c); walk(c); } };
  walk(rootPid);
  let rss = 0;
  let peak = 0;
  for (const pid of all) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      rss += Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
      peak += Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
    } catch { /* the process ended */ }
  }
  return { rss, peak };
}

const server = await startServer({ root: DIST });
const browser = await launch();
const { page, problems } = await openPage(browser, server.url);
const ts = new TrailscopePage(page);
await ts.ready();
await page.evaluate(() => {
  window.__bench = { longTasks: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longTasks.push([Math.round(e.startTime), Math.round(e.duration)]);
  }).observe({ type: 'longtask' });
  const state = document.querySelector('[data-testid=load-state]');
  new MutationObserver(() => {
    if (state.dataset.state === 'loading' && !window.__bench.start) window.__bench.start = performance.now();
    if (state.dataset.state === 'idle' && window.__bench.start && !window.__bench.end) window.__bench.end = performance.now();
  }).observe(state, { attributes: true });
});
const before = await ts.loadCount();
const picked = Date.now();
await page.setInputFiles('[data-testid=folder-input]', dir);
const pickedMillis = Date.now() - picked;
let peakRss = 0;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, rendererMemory(process.pid).rss); }, 250);
await ts.waitForLoad(before, 600_000);
clearInterval(sampler);
const bench = await page.evaluate(() => window.__bench);
const memory = rendererMemory(process.pid);
const result = {
  events: await ts.eventCount(),
  files: (await ts.page.locator('[data-testid=file-count]').textContent()).trim(),
  load_seconds: Number(((bench.end - bench.start) / 1000).toFixed(2)),
  file_selection_seconds: Number((pickedMillis / 1000).toFixed(2)),
  worker_note: (await page.locator('[data-testid=load-note]').textContent()).trim(),
  long_tasks_over_50ms: bench.longTasks.map(([at, ms]) => ({ at_seconds_from_load_start: Number(((at - bench.start) / 1000).toFixed(2)), ms })),
  tab_rss_mib_after_load: Math.round(memory.rss / 1024),
  tab_rss_mib_peak_sampled: Math.round(Math.max(peakRss, memory.rss) / 1024),
  console_problems: problems,
  cores: (await import('node:os')).cpus().length,
};
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, `bench-results/browser-load-${events}.json`), JSON.stringify(result, null, 2));
await browser.close();
await server.close();
