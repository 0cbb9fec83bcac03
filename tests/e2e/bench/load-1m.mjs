// Timed load of a generated trail (default 1,000,000 events in about 10,000 gzip S3 log files,
// about 1.4 GB of JSON) in headless Chromium, picked as a folder the way a user would.
// Reports the load time, where the workers' time went (per stage), main-thread long tasks and
// the tab's memory; writes bench-results/.
//
//   node tests/e2e/bench/load-1m.mjs [TRAIL_DIR] [EVENTS]
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from '../lib/fixtures.mjs';
import { openBenchPage, trailDir } from './common.mjs';

const events = Number(process.argv[3] ?? 1_000_000);
const dir = trailDir(process.argv[2], events);

/**
 * Self time per function and thread from a Chromium trace's CPU profile samples: the twelve
 * functions that took the most of each thread that was busy for over a second.
 */
function topFunctions(trace) {
  const events = trace.traceEvents ?? trace;
  const threadNames = new Map();
  for (const e of events) if (e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
  const threads = new Map();
  for (const e of events) {
    if (e.name !== 'ProfileChunk') continue;
    const key = `${e.pid}:${e.tid}`;
    if (!threads.has(key)) threads.set(key, { nodes: new Map(), self: new Map(), total: 0 });
    const t = threads.get(key);
    const data = e.args?.data ?? {};
    for (const n of data.cpuProfile?.nodes ?? []) t.nodes.set(n.id, n.callFrame?.functionName || '(anonymous)');
    const samples = data.cpuProfile?.samples ?? [];
    const deltas = data.timeDeltas ?? [];
    samples.forEach((id, i) => {
      const us = deltas[i + 1] ?? deltas[i] ?? 0;
      const name = t.nodes.get(id) ?? `node ${id}`;
      if (name === '(idle)' || name === '(program)') return;
      t.self.set(name, (t.self.get(name) ?? 0) + us);
      t.total += us;
    });
  }
  const out = {};
  for (const [key, t] of threads) {
    if (t.total < 1e6) continue;
    const top = [...t.self].sort((a, b) => b[1] - a[1]).slice(0, 12)
      .map(([name, us]) => `${(us / 1000).toFixed(0)} ms ${name}`);
    out[`${threadNames.get(key) ?? key} (${(t.total / 1e6).toFixed(1)} s busy)`] = top;
  }
  return out;
}

/** Every process below `rootPid` (this script: Chromium is its child), from `/proc`. */
function descendants(rootPid) {
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
  return all;
}

/**
 * CPU seconds so far of every thread of Chromium's processes below `rootPid`, by process type and
 * thread name (`/proc/PID/task/TID/stat`, in clock ticks of 1/100 s): the workers' real CPU time,
 * where the page's own stage figures are time on each worker's clock, waiting for a core included.
 */
function threadCpu(rootPid) {
  const all = descendants(rootPid);
  const threads = new Map();
  for (const pid of all) {
    try {
      const type = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').match(/--type=([a-z-]+)/)?.[1] ?? 'browser';
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        threads.set(`${pid}/${tid}`, { name: `${type}: ${name}`, ticks: Number(fields[11]) + Number(fields[12]) });
      }
    } catch { /* the process ended */ }
  }
  return threads;
}

/**
 * CPU seconds spent between two `threadCpu` readings, summed by thread name, busiest first; the
 * workers (all named DedicatedWorker) one by one.
 */
function cpuBetween(before, after) {
  const byName = new Map();
  let worker = 0;
  for (const [key, t] of [...after].sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }))) {
    const spent = (t.ticks - (before.get(key)?.ticks ?? 0)) / 100;
    const name = t.name.endsWith('DedicatedWorker') ? `${t.name} ${++worker}` : t.name;
    if (spent > 0) byName.set(name, (byName.get(name) ?? 0) + spent);
  }
  return Object.fromEntries([...byName].sort((a, b) => b[1] - a[1]).filter(([, s]) => s >= 0.1)
    .map(([name, s]) => [name, Number(s.toFixed(2))]));
}

/** Resident memory (KiB) of the renderer processes below `rootPid` (this script: Chromium is its child). */
function rendererMemory(rootPid) {
  const all = descendants(rootPid);
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

const { browser, page, problems, ts, close } = await openBenchPage();
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
// PROFILE=1: also sample every thread's CPU (V8's profiler, wasm functions by name) and print
// the functions that took the most time in each worker.
const profiling = process.env.PROFILE === '1';
if (profiling) await browser.startTracing(page, { categories: ['disabled-by-default-v8.cpu_profiler'] });
const cpuBefore = threadCpu(process.pid);
const picked = Date.now();
await page.setInputFiles('[data-testid=folder-input]', dir);
const pickedMillis = Date.now() - picked;
const cpuAfterPicking = threadCpu(process.pid);
let peakRss = 0;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, rendererMemory(process.pid).rss); }, 250);
await ts.waitForLoad(before, 600_000);
clearInterval(sampler);
const cpuAtEnd = threadCpu(process.pid);
const cpuPicking = cpuBetween(cpuBefore, cpuAfterPicking);
const cpuSeconds = cpuBetween(cpuAfterPicking, cpuAtEnd);
const bench = await page.evaluate(() => window.__bench);
const profile = profiling ? topFunctions(JSON.parse(await browser.stopTracing())) : undefined;
const memory = rendererMemory(process.pid);
const result = {
  events: await ts.eventCount(),
  files: (await ts.page.locator('[data-testid=file-count]').textContent()).trim(),
  load_seconds: Number(((bench.end - bench.start) / 1000).toFixed(2)),
  file_selection_seconds: Number((pickedMillis / 1000).toFixed(2)),
  worker_note: (await page.locator('[data-testid=load-note]').textContent()).trim(),
  // Where the workers' time went (milliseconds of each worker's thread; parsers summed).
  stages_ms: await page.locator('[data-testid=load-stages]').evaluate((e) => Object.fromEntries(
    Object.entries(e.dataset).filter(([k]) => k.endsWith('Ms')).map(([k, v]) => [k.replace(/Ms$/, ''), Number(v)]))),
  cpu_seconds_by_thread: cpuSeconds,
  cpu_seconds_by_thread_picking_files: cpuPicking,
  long_tasks_over_50ms: bench.longTasks.map(([at, ms]) => ({ at_seconds_from_load_start: Number(((at - bench.start) / 1000).toFixed(2)), ms })),
  tab_rss_mib_after_load: Math.round(memory.rss / 1024),
  tab_rss_mib_peak_sampled: Math.round(Math.max(peakRss, memory.rss) / 1024),
  console_problems: problems,
  cpu_profile: profile,
  cores: (await import('node:os')).cpus().length,
};
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, `bench-results/browser-load-${events}.json`), JSON.stringify(result, null, 2));
await close();
