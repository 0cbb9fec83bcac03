// The built page, served from a sub-path, driven in Chromium as a user would: pick files and
// folders, drop files, read the counts, cancel, open an event.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { launch, mainThreadSlowdown, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { DIST, ROOT, fixtures, trail, filesUnder, hasShared, SHARED } from './lib/fixtures.mjs';
import { TrailscopePage } from './lib/trailscope-page.mjs';

let server;
let browser;
let fx;
const SHOTS = path.join(ROOT, 'tests/e2e/results');

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: build the page first');
  fs.mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ root: DIST });
  browser = await launch();
  fx = fixtures();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function open() {
  const opened = await openPage(browser, server.url);
  const ts = new TrailscopePage(opened.page);
  await ts.ready();
  return { ...opened, ts };
}

test('the page starts clean from a sub-path and never leaves its host', async () => {
  const { page, problems, foreignRequests, ts } = await open();
  assert.equal(await page.title(), 'Trailscope: CloudTrail in your browser');
  await page.locator('[data-testid=drop-zone]').waitFor();
  await ts.upload(filesUnder(path.join(fx.dir, 'trail')));
  assert.deepEqual(problems, []);
  assert.deepEqual(foreignRequests, []);
  assert.ok(server.requests.every((p) => p.startsWith('/tools/trailscope/')), server.requests.join(' '));
  await page.close();
});

test('every fixture reads as its manifest says, and broken files fail alone', async () => {
  const { page, problems, ts } = await open();
  await ts.upload(filesUnder(fx.dir));
  assert.equal(await ts.eventCount(), fx.manifest.unique_events);
  assert.equal(await ts.duplicateCount(), fx.manifest.duplicates);
  const rows = await ts.fileRows();
  assert.equal(rows.length, fx.manifest.files.length);
  for (const expected of fx.manifest.files) {
    // Picked files are named by file name; archive entries by archive name and entry path.
    const name = expected.path.includes('.zip/')
      ? expected.path.slice(expected.path.lastIndexOf('/', expected.path.indexOf('.zip/')) + 1)
      : path.basename(expected.path);
    const row = rows.find((r) => r.path === name);
    assert.ok(row, `${name} is not listed: ${rows.map((r) => r.path).join(', ')}`);
    assert.equal(row.kind, expected.kind, name);
    assert.equal(row.events, expected.events, name);
    assert.equal(row.status, expected.status, name);
    if (expected.status === 'failed' || expected.status === 'not_cloudtrail') assert.ok(row.text.includes(expected.error_contains), `${name}: ${row.text}`);
  }
  // Failed files are listed first, so they are never below the fold.
  const failed = fx.manifest.files.filter((f) => f.status === 'failed').length;
  assert.ok(rows.slice(0, failed).every((r) => r.status === 'failed'));
  assert.match(await page.locator('[data-testid=failed-count]').textContent(), new RegExp(`${failed} failed`));
  await page.screenshot({ path: path.join(SHOTS, 'fixtures.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a picked folder keeps its paths', async () => {
  const { page, ts } = await open();
  await ts.uploadFolder(path.join(fx.dir, 'trail'));
  const rows = await ts.fileRows();
  assert.equal(rows.length, 4);
  assert.ok(rows.every((r) => r.path.startsWith('trail/AWSLogs/123456789012/')), rows.map((r) => r.path).join(', '));
  assert.equal(await ts.eventCount(), 150);
  await page.close();
});

test('dropped files load like picked ones', async () => {
  const { page, ts } = await open();
  const log = filesUnder(path.join(fx.dir, 'trail')).find((p) => p.includes('Fixture00000001'));
  const bytes = [...fs.readFileSync(log)];
  const before = await ts.loadCount();
  const transfer = await page.evaluateHandle(({ bytes, name }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], name));
    return dt;
  }, { bytes, name: path.basename(log) });
  await page.dispatchEvent('[data-testid=drop-zone]', 'drop', { dataTransfer: transfer });
  await ts.waitForLoad(before, 30_000);
  assert.equal(await ts.eventCount(), 60);
  await page.close();
});

test('the virtualized table scrolls through every event and opens the original record', async () => {
  const { page, ts } = await open();
  await ts.upload(filesUnder(path.join(fx.dir, 'trail')));
  const first = await ts.eventRows();
  assert.ok(first.length > 10 && first.length < 150, `${first.length} rows in the page, not all 150`);
  const times = first.map((r) => r.time);
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  // Scroll to the end: the last rows arrive from the worker.
  await page.locator('[data-testid=event-table]').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.locator('[data-testid=result-row][data-index="149"]').waitFor();
  await page.locator('[data-testid=result-row][data-index="149"] [data-testid=cell-time]').click();
  const json = await page.locator('[data-testid=record-json]').textContent();
  const record = JSON.parse(json);
  assert.ok(record.eventID && record.eventName);
  // Pinned for comparison, an event's column is titled by what it is, not by a store row.
  await page.locator('[data-testid=compare-pin]').click();
  await page.locator('[data-testid=event-table]').evaluate((el) => { el.scrollTop = 0; });
  await page.locator('[data-testid=result-row][data-index="0"] [data-testid=cell-time]').click();
  await page.locator('[data-testid=compare-pin]').click();
  const titles = await page.locator('[data-testid=compare-title]').allTextContents();
  const other = JSON.parse(await page.locator('[data-testid=record-json]').textContent());
  assert.deepEqual(titles, [
    `${record.eventName} at ${record.eventTime}`,
    `${other.eventName} at ${other.eventTime}`,
  ]);
  await page.close();
});

test('a long load shows progress, keeps the page responsive, and can be cancelled', async () => {
  const big = trail(150_000);
  const files = filesUnder(big);
  const { page, ts, problems } = await open();
  const before = await ts.loadCount();
  const machine = await mainThreadSlowdown(page);
  await page.setInputFiles('[data-testid=file-input]', files);
  // Observed from here on: Chromium's own handling of a 1,500-file selection (building the
  // FileList) is one long task of its own that no page code runs in. Long animation frames
  // attribute time to the scripts that ran in them. A script of the page over 50 ms (a long
  // task) is reported; one over 150 ms (scaled by the machine's speed: mainThreadSlowdown) fails.
  // The entries time the wall clock, and on a 2-core machine with the parsers and the store worker
  // busy the system preempts the main thread: the same handlers measured 53 to 81 ms here and
  // 104 ms on CI. 100 ms is the most an input
  // may wait to feel instant (RAIL); the half more is for the preemption, which the calibration
  // (taken before the load, on an idle machine) does not see.
  await page.evaluate(() => {
    window.__longScripts = [];
    window.__longFrames = [];
    new PerformanceObserver((list) => {
      for (const frame of list.getEntries()) {
        const scripts = frame.scripts.map((s) => `${s.invoker}@${Math.round(s.startTime)}:${Math.round(s.duration)}`).join(' ');
        const layout = Math.round(frame.startTime + frame.duration - frame.styleAndLayoutStart);
        window.__longFrames.push(`${Math.round(frame.duration)}ms (layout+paint ${layout}; ${scripts})`);
        for (const s of frame.scripts) {
          if (s.duration > 50) window.__longScripts.push({ ms: Math.round(s.duration), invoker: s.invoker });
        }
      }
    }).observe({ type: 'long-animation-frame', buffered: false });
  });
  await page.locator('[data-testid=load-progress]').waitFor();
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-testid=progress-text]')?.textContent ?? '';
    const m = t.match(/([\d,]+) events so far/);
    return m && Number(m[1].replace(/,/g, '')) > 20_000;
  }, null, { timeout: 60_000 });
  // The page answers while the worker works.
  const started = Date.now();
  await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  assert.ok(Date.now() - started < 200 * machine.factor, 'the main thread is free');
  await page.click('[data-testid=cancel-load]');
  await ts.waitForLoad(before, 60_000);
  const note = await page.locator('[data-testid=load-note]').textContent();
  assert.match(note, /Loading was cancelled/);
  // Where the workers' time went, stage by stage (the benchmarks read the same attributes).
  assert.match(note, /Where the time went \(on each worker's clock, parsers summed\): parsers [\d.]+ m?s parsing, [^;]+; store [\d.]+ m?s merging/);
  const stages = await page.locator('[data-testid=load-stages]').evaluate((e) => ({ ...e.dataset }));
  assert.ok(Number(stages.parsingMs) > 0 && Number(stages.mergingMs) > 0, JSON.stringify(stages));
  const events = await ts.eventCount();
  assert.ok(events > 0 && events < 150_000, `${events} events kept`);
  // Frames also include the browser's own work (building the FileList of a big selection,
  // style, layout, paint), which no page code controls: reported, not asserted.
  const frames = await page.evaluate(() => window.__longFrames);
  if (frames.length) console.log(`long animation frames: ${frames.join(', ')}`);
  const longScripts = (await page.evaluate(() => window.__longScripts)).map((s) => ({ ...s, text: `${s.ms} ms in ${s.invoker}` }));
  if (longScripts.length) console.log(`main-thread scripts over 50 ms: ${longScripts.map((s) => s.text).join(', ')}`);
  const budget = 150 * machine.factor;
  console.log(`main-thread budget ${budget.toFixed(0)} ms (this machine's calibration ${machine.ms.toFixed(1)} ms)`);
  const tooLong = longScripts.filter((s) => s.ms > budget).map((s) => s.text);
  assert.deepEqual(tooLong, [], `main-thread scripts over ${budget.toFixed(0)} ms: ${tooLong}`);
  assert.deepEqual(problems, []);
  await page.close();
  fs.rmSync(big, { recursive: true, force: true });
});

/** A plain (uncompressed) log file of `count` distinct events, well past the size at which files stream. */
function bigLog(file, count, prefix, { truncate = false } = {}) {
  const out = fs.openSync(file, 'w');
  fs.writeSync(out, '{"Records":[');
  for (let i = 0; i < count; i++) {
    const key = `reports/${prefix}/${String(i).padStart(9, '0')}/${'x'.repeat(80)}.csv`;
    fs.writeSync(out, `${i ? ',' : ''}{"eventVersion":"1.08","eventTime":"2024-05-0${1 + (i % 9)}T12:00:00Z",` +
      `"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1",` +
      `"sourceIPAddress":"10.0.0.${i % 250}","eventID":"${prefix}-${i}","requestParameters":{"bucketName":"b","key":"${key}"}}`);
  }
  if (!truncate) fs.writeSync(out, ']}');
  fs.closeSync(out);
  assert.ok(fs.statSync(file).size > 16 << 20, 'past the streaming size');
}

test('a large file streams into the store whole, and a broken one leaves no event behind', async () => {
  const dir = fs.mkdtempSync(path.join(ROOT, 'tests/e2e/results/big-'));
  const good = path.join(dir, 'big.json');
  const broken = path.join(dir, 'big-truncated.json');
  bigLog(good, 120_000, 'good');
  bigLog(broken, 120_000, 'broken', { truncate: true });
  const { page, ts, problems } = await open();
  // Small files load beside them, from other parsers, while the large files are open.
  await ts.upload([good, broken, ...filesUnder(path.join(fx.dir, 'trail'))]);
  assert.equal(await ts.eventCount(), 120_000 + 150);
  const rows = await ts.fileRows();
  const bad = rows.find((r) => r.path === 'big-truncated.json');
  assert.equal(bad.status, 'failed', bad.text);
  assert.equal(bad.events, 0);
  assert.equal(rows.find((r) => r.path === 'big.json').events, 120_000);
  await ts.filter('eventID:good-119999');
  await ts.waitForCount(1);
  await ts.filter('eventID:broken-1');
  await ts.waitForCount(0);
  assert.deepEqual(problems, []);
  await page.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a full tab says how many events it holds, lists the files it refused and points to the CLI', async () => {
  const dir = fs.mkdtempSync(path.join(ROOT, 'tests/e2e/results/full-'));
  const big = path.join(dir, 'big.json');
  bigLog(big, 120_000, 'late');
  const small = path.join(dir, 'small.json');
  fs.writeFileSync(small, JSON.stringify({ Records: [{ eventVersion: '1.08', eventID: 'late-small', eventTime: '2024-05-01T00:00:00Z', eventName: 'GetObject', eventSource: 's3.amazonaws.com' }] }));
  const trailFiles = filesUnder(path.join(fx.dir, 'trail'));
  const { page, ts, problems } = await open();
  await ts.upload(trailFiles);
  assert.equal(await ts.eventCount(), 150);
  assert.equal(await page.locator('[data-testid=tab-full]').count(), 0);
  // A ceiling of 1 MiB of store (a host can set one in the address): the 150 events fit, the
  // large file's first chunk passes it, and the file is taken out again whole.
  await page.evaluate(() => history.replaceState(null, '', `?tab-memory-mib=1${location.hash}`));
  await ts.upload([big]);
  const banner = page.locator('[data-testid=tab-full]');
  await banner.waitFor();
  const text = await banner.textContent();
  assert.match(text, /This tab is full: it holds 150 events and did not load 1 more file /);
  assert.match(text, /trailscope export --format parquet --out DIR FILES\.\.\. then trailscope sql DIR/);
  assert.equal(await banner.getAttribute('role'), 'alert');
  assert.equal(await ts.eventCount(), 150, 'no event of the refused file is counted');
  // Once full, the tab stays full until cleared: the next file is refused too.
  await ts.upload([small]);
  await page.locator('[data-testid=tab-full][data-files-refused="1"]').waitFor();
  assert.equal(await ts.eventCount(), 150);
  const rows = await ts.fileRows();
  for (const name of ['big.json', 'small.json']) {
    const row = rows.find((r) => r.path === name);
    assert.equal(row.status, 'failed', row.text);
    assert.equal(row.events, 0);
    assert.match(row.text, /not loaded: this tab is full\. It stopped taking events at 150 events/);
  }
  await ts.filter('eventID:late-1');
  await ts.waitForCount(0);
  await page.screenshot({ path: path.join(SHOTS, 'tab-full.png') });
  // Cleared, the tab has room again (the check counts the store, not the memory it once took).
  await page.click('[data-testid=clear-all]');
  await ts.upload(trailFiles);
  assert.equal(await ts.eventCount(), 150);
  assert.equal(await page.locator('[data-testid=tab-full]').count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('records kept outside WebAssembly memory read back the same: free text and the original record', async () => {
  const trailFiles = filesUnder(path.join(fx.dir, 'trail'));
  const { page, ts, problems } = await open();
  const note = page.locator('[data-testid=load-note]');
  const openFirstRecord = async () => {
    await page.locator('[data-testid=result-row][data-index="0"] [data-testid=cell-time]').click();
    const shown = JSON.parse(await page.locator('[data-testid=record-json]').textContent());
    await page.click('[data-testid=record-close]');
    return shown;
  };
  const countsOf = async (needles) => {
    const counts = [];
    for (const needle of needles) {
      await ts.filter(`"${needle}"`);
      counts.push(await ts.resultCount());
    }
    await ts.filter('');
    return counts;
  };
  await ts.upload(trailFiles);
  assert.equal(await note.getAttribute('data-records-outside-wasm-bytes'), '0');
  const record = await openFirstRecord();
  const needles = [record.eventID, record.eventName, record.sourceIPAddress, 'amazonaws.com', 'no record holds this'];
  const inside = await countsOf(needles);
  assert.ok(inside[0] === 1 && inside[2] > 0 && inside[3] > 0 && inside[4] === 0, `${inside}`);

  // Every record block kept in the browser's memory outside the WebAssembly memory (a large
  // trail's records go there past 512 MiB): the same answers.
  await page.click('[data-testid=clear-all]');
  await page.evaluate(() => history.replaceState(null, '', `?records-in-wasm-mib=0${location.hash}`));
  await ts.upload(trailFiles);
  assert.equal(await ts.eventCount(), 150);
  const outside = Number(await note.getAttribute('data-records-outside-wasm-bytes'));
  assert.ok(outside > 0, `${outside} bytes of records outside`);
  assert.match(await note.textContent(), /of compressed records \([0-9.]+ [kKM]?B of them outside WebAssembly memory\)/);
  assert.deepEqual(await countsOf(needles), inside);
  await ts.filter(`eventID:${record.eventID}`);
  await ts.waitForCount(1);
  assert.deepEqual(await openFirstRecord(), record);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the shared datasets load in the page', { skip: !hasShared && 'no ../shared/datasets' }, async () => {
  const { page, ts, problems } = await open();
  await ts.uploadFolder(path.join(SHARED, 'invictus-sigma-aws'));
  assert.equal(await ts.eventCount(), 2900);
  const rows = await ts.fileRows();
  assert.equal(rows.filter((r) => r.status === 'loaded').length, 55);
  // Its SOURCE.md is a helper file: listed as not CloudTrail, not as a failure.
  assert.equal(rows.filter((r) => r.status === 'failed').length, 0);
  assert.equal(rows.filter((r) => r.status === 'not_cloudtrail').length, 1);
  await page.screenshot({ path: path.join(SHOTS, 'invictus.png') });
  assert.deepEqual(problems, []);
  await page.close();
});
