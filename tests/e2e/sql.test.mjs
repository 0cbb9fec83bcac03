// The SQL tab, driven as a user would: the engine's module is fetched only when the tab first
// opens; a Lake query pasted verbatim answers with the CLI's rows; errors point at their place;
// a header sorts; the answer downloads as CSV, JSON and Parquet; a row opens its event; the query
// lives in the link; a runaway query is cancelled and the engine answers again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { launch, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { DIST, ROOT, fixtures, filesUnder } from './lib/fixtures.mjs';
import { TrailscopePage } from './lib/trailscope-page.mjs';

const CLI = process.env.TRAILSCOPE_CLI ?? path.join(ROOT, 'target/release/trailscope');
const SHOTS = path.join(ROOT, 'tests/e2e/results');

let server;
let browser;
let trailDir;
let trailFiles;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: build the page first');
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: run scripts/test.sh, which builds it`);
  fs.mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ root: DIST });
  browser = await launch();
  trailDir = path.join(fixtures().dir, 'trail');
  trailFiles = filesUnder(trailDir);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

function cli(args) {
  return execFileSync(CLI, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
}

/** Runs the editor's query and waits for its answer or its error. */
async function run(page, sql) {
  await page.fill('[data-testid=sql-editor]', sql);
  const before = await page.evaluate(() => performance.now());
  await page.click('[data-testid=sql-run]');
  await page.waitForFunction(() => {
    const running = document.querySelector('[data-testid=sql-cancel]:not([hidden])');
    return !running && (document.querySelector('[data-testid=sql-summary]') || document.querySelector('[data-testid=sql-error]'));
  }, null, { timeout: 60_000 });
  return before;
}

/** Waits until no query runs and the header shows `order` (a sort's answer is on screen). */
async function sortedBy(page, order) {
  await page.waitForFunction((order) => !document.querySelector('[data-testid=sql-cancel]:not([hidden])')
    && document.querySelector(`th[aria-sort=${order}]`)
    && document.querySelector('[data-testid=sql-summary]'), order, { timeout: 60_000 });
}

async function answerRows(page) {
  return page.$$eval('[data-testid=sql-result] tbody tr:not(.sql-spacer)', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].filter((td) => !td.querySelector('button')).map((td) => td.textContent)));
}

test('the SQL tab answers Lake queries as the CLI does, and its engine loads only when opened', async () => {
  const { page, problems } = await openPage(browser, server.url);
  const requested = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  const ts = new TrailscopePage(page);
  await ts.ready();
  await ts.upload(trailFiles);
  assert.ok(!requested.some((p) => p.includes('sql-worker')), `the SQL module was fetched before the tab opened: ${requested}`);

  await page.click('[data-testid=tab-sql]');
  await page.waitForFunction(() => /ready to query/.test(document.querySelector('[data-testid=sql-status]')?.textContent ?? ''), null, { timeout: 120_000 });
  assert.ok(requested.some((p) => p.endsWith('trailscope-sql-worker_bg.wasm')), 'the SQL module was not fetched on opening the tab');
  const events = await ts.eventCount();
  assert.match(await page.textContent('[data-testid=sql-status]'), new RegExp(`^${events.toLocaleString('en-US')} events ready`));

  // The schema and the samples come from the engine; a sample runs.
  assert.ok((await page.$$('[data-testid=sql-column]')).length > 40);
  await page.click('[data-testid=sql-sample]');
  assert.match(await page.inputValue('[data-testid=sql-editor]'), /FROM \$EDS_ID/);

  // A Lake query, pasted verbatim, against the CLI's answer on the same files.
  const sql = "SELECT eventName, count(*) AS calls FROM $EDS_ID WHERE useridentity.type = 'IAMUser' GROUP BY 1 ORDER BY 2 DESC, 1";
  await run(page, sql);
  const expected = cli(['sql', '--format', 'csv', '--query', sql, trailDir]).trim().split('\n').slice(1).map((l) => l.split(','));
  const shown = await answerRows(page);
  assert.deepEqual(shown, expected);
  assert.equal(Number(await page.getAttribute('[data-testid=sql-summary]', 'data-total-rows')), expected.length);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(SHOTS, 'sql-tab.png'), fullPage: true });
  // Its chart: bars of calls by eventName, described in text.
  assert.match(await page.getAttribute('[data-testid=sql-chart]', 'aria-label'), /Bar chart of calls by eventName/);

  // A header sorts (ascending, then descending) by running the query again, sorted.
  const sortButtons = await page.$$('[data-testid=sql-sort]');
  await sortButtons[0].click();
  await sortedBy(page, 'ascending');
  const ascending = (await answerRows(page)).map((r) => r[0]);
  assert.deepEqual(ascending, [...ascending].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  await (await page.$$('[data-testid=sql-sort]'))[0].click();
  await sortedBy(page, 'descending');
  assert.deepEqual((await answerRows(page)).map((r) => r[0]), [...ascending].reverse());

  // Downloads: CSV equals the CLI's CSV; JSON parses; Parquet starts and ends with its magic.
  for (const [testid, check] of [
    ['sql-download-csv', (b) => assert.deepEqual(b.toString('utf8').trim().split('\n').slice(1).map((l) => l.split(',')), expected)],
    ['sql-download-json', (b) => assert.equal(JSON.parse(b.toString('utf8')).length, expected.length)],
    ['sql-download-parquet', (b) => { assert.equal(b.subarray(0, 4).toString(), 'PAR1'); assert.equal(b.subarray(-4).toString(), 'PAR1'); }],
  ]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
    check(fs.readFileSync(await download.path()));
  }

  // An error names the problem and points at it.
  await run(page, 'SELECT eventName,\n  count(*) FROM events GROUP BY nosuchcolumn');
  const error = await page.textContent('[data-testid=sql-error]');
  assert.match(error, /nosuchcolumn/i);
  assert.equal(await page.getAttribute('[data-testid=sql-error]', 'data-line'), '2');
  await run(page, "SELECT no_such_function(eventName) FROM events");
  assert.match(await page.textContent('[data-testid=sql-error]'), /no_such_function/);
  // Only reads: a statement that would change something is refused.
  await run(page, 'DROP TABLE events');
  assert.ok(await page.$('[data-testid=sql-error]'));

  // The query is in the link: a reload reopens the tab with it.
  await run(page, sql);
  const link = page.url();
  assert.match(link, /tab=sql/);
  assert.match(decodeURIComponent(link), /useridentity\.type = 'IAMUser'/);

  // A row with an eventID opens that event in the Events view.
  await run(page, 'SELECT eventID, eventName FROM $EDS_ID ORDER BY eventTime, eventID LIMIT 3');
  assert.equal((await answerRows(page)).length, 3);
  const firstId = (await answerRows(page))[0][0];
  await page.click('[data-testid=sql-open-event]');
  await page.waitForFunction((id) => document.querySelector('[data-testid=record-json]')?.textContent.includes(id), firstId, { timeout: 30_000 });

  assert.deepEqual(problems, []);
});

test('records the SQL worker keeps outside its WebAssembly memory answer as the CLI does', async () => {
  // With ?records-in-wasm-mib=0 both workers keep every record block in their JS heap (a
  // large trail's go there past 512 MiB); eventJson reads each row's original record back.
  const { page, problems } = await openPage(browser, `${server.url}?records-in-wasm-mib=0`);
  const ts = new TrailscopePage(page);
  await ts.ready();
  await ts.upload(trailFiles);
  await page.click('[data-testid=tab-sql]');
  await page.waitForFunction(() => /ready to query/.test(document.querySelector('[data-testid=sql-status]')?.textContent ?? ''), null, { timeout: 120_000 });
  const outside = Number(await page.getAttribute('[data-testid=sql-status]', 'data-records-outside-wasm-bytes'));
  assert.ok(outside > 0, `${outside} bytes of records outside the SQL worker's WebAssembly memory`);
  const sql = "SELECT eventID, json_extract_scalar(eventJson, '$.sourceIPAddress') AS ip, "
    + "json_extract_scalar(eventJson, '$.userIdentity.arn') AS arn FROM $EDS_ID ORDER BY eventID";
  await run(page, sql);
  const expected = cli(['sql', '--format', 'csv', '--query', sql, trailDir]).trim().split('\n').slice(1);
  assert.ok(expected.length > 100, `${expected.length} rows`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=sql-download-csv]')]);
  assert.deepEqual(fs.readFileSync(await download.path(), 'utf8').trim().split('\n').slice(1), expected);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a runaway query is cancelled, and the engine answers the next one', async () => {
  const { page, problems } = await openPage(browser, server.url);
  const ts = new TrailscopePage(page);
  await ts.ready();
  await ts.upload(trailFiles);
  await page.click('[data-testid=tab-sql]');
  await page.waitForFunction(() => /ready to query/.test(document.querySelector('[data-testid=sql-status]')?.textContent ?? ''), null, { timeout: 120_000 });
  await page.fill('[data-testid=sql-editor]', 'SELECT count(*) FROM events a, events b, events c WHERE a.eventID <> b.eventID');
  await page.click('[data-testid=sql-run]');
  await page.waitForSelector('[data-testid=sql-cancel]');
  await page.click('[data-testid=sql-cancel]');
  await page.waitForFunction(() => /ready to query/.test(document.querySelector('[data-testid=sql-status]')?.textContent ?? ''), null, { timeout: 120_000 });
  await run(page, 'SELECT count(*) AS n FROM events');
  assert.deepEqual(await answerRows(page), [[String(await ts.eventCount())]]);
  assert.deepEqual(problems.filter((p) => !/terminat/i.test(p)), []);
});

test('the filtered events download as one Parquet file, and an answer opens its events as a set', async () => {
  const { page, problems } = await openPage(browser, server.url);
  const ts = new TrailscopePage(page);
  await ts.ready();
  await ts.upload(trailFiles);
  // The busiest API of the trail, as the CLI counts it.
  const [name, calls] = cli(['sql', '--format', 'csv', '--query',
    'SELECT eventName, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1', trailDir]).trim().split('\n')[1].split(',');
  await ts.filter(`eventName:${name}`);
  const selected = await ts.resultCount();
  assert.equal(selected, Number(calls));

  // "Parquet" in the Events view, before the SQL tab was ever opened: the engine starts for it.
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.click('[data-testid=export-parquet]'),
  ]);
  // Named after the filter and the time it was made.
  assert.match(download.suggestedFilename(), new RegExp(`^trailscope-eventName-${name}-\\d{8}T\\d{6}Z\\.parquet$`));
  const file = path.join(fs.mkdtempSync(path.join(ROOT, 'target/tmp-e2e-')), 'events.parquet');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.copyFileSync(await download.path(), file);
  // The CLI reads it back as an export: exactly the filtered events, every one of them.
  const back = cli(['sql', '--format', 'csv', '--query',
    'SELECT eventName, count(*), count(DISTINCT eventID) FROM events GROUP BY 1', file]).trim().split('\n');
  assert.deepEqual(back.slice(1), [`${name},${selected},${selected}`]);
  const idsFromFile = cli(['sql', '--format', 'csv', '--query', 'SELECT eventID FROM events ORDER BY 1', file]).trim().split('\n').slice(1);
  const idsFromTrail = cli(['sql', '--format', 'csv', '--query',
    `SELECT eventID FROM events WHERE eventName = '${name}' ORDER BY 1`, trailDir]).trim().split('\n').slice(1);
  assert.deepEqual(idsFromFile, idsFromTrail);

  // Its manifest: the file's own size and hash, the filter, and the source files its events came
  // from with theirs (drafted by the store worker, completed with what the SQL worker wrote).
  const [manifestDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.click('[data-testid=export-manifest]'),
  ]);
  assert.equal(manifestDownload.suggestedFilename(), `${download.suggestedFilename()}.manifest.json`);
  const manifest = JSON.parse(fs.readFileSync(await manifestDownload.path(), 'utf8'));
  const parquetBytes = fs.readFileSync(file);
  const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
  assert.equal(manifest.manifest, 'trailscope-export-manifest/1');
  assert.equal(manifest.format, 'parquet');
  assert.equal(manifest.filter, `eventName:${name}`);
  assert.equal(manifest.order, 'as loaded');
  assert.equal(manifest.events, selected);
  assert.deepEqual(manifest.outputs, [{ name: download.suggestedFilename(), bytes: parquetBytes.length, sha256: sha256(parquetBytes) }]);
  assert.equal(manifest.sources.reduce((n, s) => n + s.events, 0), selected);
  const onDisk = new Map(trailFiles.map((f) => [path.basename(f), f]));
  for (const source of manifest.sources) {
    assert.equal(source.sha256, sha256(fs.readFileSync(onDisk.get(source.path))), source.path);
  }
  fs.rmSync(path.dirname(file), { recursive: true, force: true });

  // An answer with eventIDs opens exactly those events in the Events view.
  await page.click('[data-testid=tab-sql]');
  await page.waitForFunction(() => /ready to query/.test(document.querySelector('[data-testid=sql-status]')?.textContent ?? ''), null, { timeout: 120_000 });
  await run(page, `SELECT eventID, eventTime FROM $EDS_ID WHERE eventName <> '${name}' ORDER BY eventTime DESC LIMIT 7`);
  const ids = (await answerRows(page)).map((r) => r[0]);
  assert.equal(ids.length, 7);
  assert.match(await page.textContent('[data-testid=sql-open-events]'), /Open these 7 events/);
  await page.click('[data-testid=sql-open-events]');
  await ts.waitForCount(7);
  const shownIds = await page.$$eval('[data-testid=result-row]', (rows) => rows.length);
  assert.equal(shownIds, 7);
  assert.match(await page.inputValue('[data-testid=filter-input]'), new RegExp(`eventID:${ids[0]}`));
  assert.deepEqual(problems, []);
});
