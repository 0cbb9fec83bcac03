// The investigation view, the findings and the anomaly charts, driven as a user would: type
// filters, click facets and cells, drag the timeline, reopen a link, export, open a finding and
// an anomaly window. Counts are checked against the CLI on the same files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launch, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { DIST, ROOT, fixtures, filesUnder } from './lib/fixtures.mjs';
import { TrailscopePage } from './lib/trailscope-page.mjs';

const CLI = process.env.TRAILSCOPE_CLI ?? path.join(ROOT, 'target/release/trailscope');
const SHOTS = path.join(ROOT, 'tests/e2e/results');

let server;
let browser;
let trailFiles;
let trailDir;

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

async function open(url = server.url) {
  const opened = await openPage(browser, url);
  const ts = new TrailscopePage(opened.page);
  await ts.ready();
  return { ...opened, ts };
}

function cli(args) {
  return execFileSync(CLI, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
}

test('typed filters, facets, cells and the timeline narrow the events, as the CLI counts them', async () => {
  const { page, ts, problems } = await open();
  await ts.upload(trailFiles);
  const all = await ts.resultCount();
  assert.equal(all, await ts.eventCount());

  // A typed filter: the page's count is the CLI's.
  await ts.filter('eventSource:s3.amazonaws.com -readOnly:true');
  const writes = await ts.resultCount();
  const expected = cli(['query', '--filter', 'eventSource:s3.amazonaws.com -readOnly:true', '--format', 'ndjson', trailDir])
    .split('\n').filter(Boolean).length;
  assert.equal(writes, expected);
  assert.ok(writes > 0 && writes < all, `${writes} of ${all}`);
  const sources = await page.locator('[data-testid=cell-event-source]').allTextContents();
  assert.ok(sources.every((s) => s === 's3.amazonaws.com'), sources.join(','));

  // A facet value adds its term, and its count is what the filter then selects.
  await ts.filter('');
  const facet = page.locator('[data-testid=facet][data-field=eventName] [data-testid=facet-value]').first();
  const [name, count] = [await facet.getAttribute('data-value'), Number(await facet.getAttribute('data-count'))];
  await facet.click();
  await ts.waitForCount(count);
  assert.match(await page.locator('[data-testid=filter-input]').inputValue(), new RegExp(`eventName:${name}`));
  // Shift-click on a cell excludes its value.
  const region = page.locator('[data-testid=cell-region] .value').first();
  const regionName = await region.textContent();
  await region.click({ modifiers: ['Shift'] });
  await page.waitForFunction((r) => document.querySelector('[data-testid=filter-input]').value.includes(`-awsRegion:${r}`), regionName);
  const regions = await page.locator('[data-testid=cell-region]').allTextContents();
  assert.ok(!regions.includes(regionName), `${regionName} excluded`);

  // Dragging across the timeline sets a time range.
  await ts.filter('');
  const chart = page.locator('[data-testid=timeline-chart]');
  const box = await chart.boundingBox();
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelector('[data-testid=filter-input]').value.startsWith('time:'));
  const ranged = await ts.resultCount();
  assert.ok(ranged > 0 && ranged < all, `${ranged} of ${all} in the dragged range`);
  assert.match(await page.locator('[data-testid=query-time]').textContent(), /\d+ ms in the worker/);
  await page.screenshot({ path: path.join(SHOTS, 'investigate.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('free text answers through the index as the CLI reads the records', async () => {
  const { page, ts, problems } = await open();
  await ts.upload(trailFiles);
  const events = await ts.eventCount();
  // The index is built in steps after the load; each answer says how far it got.
  const indexed = () => page.locator('[data-testid=query-time]').getAttribute('data-text-indexed').then(Number);
  const deadline = Date.now() + 30_000;
  for (let asked = 0; asked === 0 || (await indexed()) < events; asked += 1) {
    assert.ok(Date.now() < deadline, `the index covers ${await indexed()} of ${events} events after 30 s`);
    if (asked > 0) await page.waitForTimeout(200);
    await ts.filter(asked % 2 ? 'amazonaws' : 'AccessDenied');
  }
  assert.equal(await page.locator('[data-testid=text-index-progress]').count(), 0);

  // Needles of each kind the index answers differently, and those it leaves to the records.
  const records = cli(['query', '--format', 'ndjson', trailDir]).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const address = records.map((r) => r.sourceIPAddress).find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a ?? ''));
  const id = records[Math.floor(records.length / 2)].eventID;
  assert.ok(address && id, 'the fixture has addresses and ids');
  const needles = [
    'AccessDenied', 'accessdenied', `"${address}"`, `"${address.split('.').slice(1).join('.')}"`,
    id.slice(4, 20).toUpperCase(), 'amazonaws', 'us-east', 'Get', '"arn:aws:iam"', 'no-such-needle-anywhere',
  ];
  for (const needle of needles) {
    await ts.filter(needle);
    const expected = cli(['query', `--filter=${needle}`, '--format', 'ndjson', trailDir]).split('\n').filter(Boolean).length;
    assert.equal(await ts.resultCount(), expected, `${needle}: the page's count is the CLI's`);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('a bad filter points at the offending term and keeps the last result', async () => {
  const { page, ts } = await open();
  await ts.upload(trailFiles);
  const all = await ts.resultCount();
  await page.locator('[data-testid=filter-input]').fill('eventName:GetObject evntSource:s3');
  await page.locator('[data-testid=filter-input]').press('Enter');
  const error = page.locator('[data-testid=filter-error]');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-start'), String('eventName:GetObject '.length));
  assert.match(await error.textContent(), /evntSource/);
  assert.equal(await ts.resultCount(), all);
  await page.close();
});

test('the query language: connectives read as meant or refused, a value missing its wildcard is suggested', async () => {
  const { page, ts, problems } = await open();
  await ts.upload(trailFiles);
  const count = (filter) => cli(['query', `--filter=${filter}`, '--format', 'ndjson', trailDir]).split('\n').filter(Boolean).length;
  const [a, b] = (await page.locator('[data-testid=facet][data-field=eventName] [data-testid=facet-value]').evaluateAll(
    (els) => els.map((e) => e.dataset.value))).slice(0, 2);
  const both = count(`eventName:${a} eventName:${b}`);
  for (const filter of [`eventName:(${a} OR ${b})`, `eventName:${a},${b}`, `eventName:${a} OR eventName:${b}`]) {
    await ts.filter(filter);
    assert.equal(await ts.resultCount(), both, filter);
  }
  await ts.filter(`NOT eventName:${a} AND readOnly:true`);
  assert.equal(await ts.resultCount(), count(`-eventName:${a} readOnly:true`));
  // OR across two fields cannot be meant here: an error pointing at it, not a text search.
  await page.locator('[data-testid=filter-input]').fill(`eventName:${a} OR readOnly:true`);
  await page.locator('[data-testid=filter-input]').press('Enter');
  const error = page.locator('[data-testid=filter-error]');
  await error.waitFor();
  assert.match(await error.textContent(), /OR joins values of one field/);
  assert.equal(await error.getAttribute('data-start'), String(`eventName:${a} `.length));

  // A value written without its wildcard: nothing matches, and the prefix is offered.
  const start = a.slice(0, 3);
  await ts.filter(`eventName:${start}`);
  assert.equal(await ts.resultCount(), 0);
  const suggestion = page.locator('[data-testid=filter-suggestion]');
  assert.match(await suggestion.textContent(), new RegExp(`eventName:${start}\\* would match`));
  await page.click('[data-testid=filter-suggestion-apply]');
  await ts.waitForCount(count(`eventName:${start}*`));
  assert.equal(await page.locator('[data-testid=filter-suggestion]').count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the timeline: axis, scale, legend, log scale, local time and a range by keyboard', async () => {
  // A browser in India (UTC+05:30, no daylight saving), so local time is unmistakable.
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: 'Asia/Kolkata' });
  await page.goto(server.url);
  const ts = new TrailscopePage(page);
  await ts.ready();
  await ts.upload(trailFiles);
  const all = await ts.resultCount();
  const ticks = await page.locator('[data-testid=timeline-tick]').allTextContents();
  assert.ok(ticks.length >= 2 && ticks.length <= 6, ticks.join(' | '));
  const most = Math.max(...(await page.locator('[data-testid=timeline-bar]').evaluateAll((bars) => bars.map((b) => Number(b.dataset.count)))));
  assert.equal(Number((await page.textContent('[data-testid=timeline-y-max]')).replace(/,/g, '')), most);
  assert.match(await page.textContent('[data-testid=timeline-legend]'), /Read.*Write/);
  await page.click('[data-testid=split-errors]');
  assert.match(await page.textContent('[data-testid=timeline-legend]'), /No error.*Error/);

  // Log scale: the smallest bar grows against the largest.
  const smallest = async () => page.locator('[data-testid=timeline-bar]').evaluateAll((bars) => {
    const nonEmpty = bars.filter((b) => Number(b.dataset.count) > 0);
    const low = nonEmpty.reduce((a, b) => (Number(a.dataset.count) <= Number(b.dataset.count) ? a : b));
    return [...low.querySelectorAll('rect')].reduce((h, r) => h + Number(r.getAttribute('height')), 0);
  });
  const linear = await smallest();
  await page.check('[data-testid=timeline-log]');
  assert.ok(await smallest() > linear, 'the log scale raises small bars');

  // Local time: the range is shown in the browser's zone.
  const utc = await page.textContent('[data-testid=timeline-range]');
  await page.check('[data-testid=timeline-local]');
  const local = await page.textContent('[data-testid=timeline-range]');
  assert.match(local, /UTC\+05:30/);
  assert.notEqual(local, utc);

  // A range by keyboard: focus the chart, move, stretch with Shift, Enter filters on it.
  await page.locator('[data-testid=timeline-chart]').focus();
  await page.keyboard.press('ArrowRight');
  for (let i = 0; i < 4; i++) await page.keyboard.press('Shift+ArrowRight');
  await page.locator('[data-testid=timeline-key-range]').waitFor();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=filter-input]').value.startsWith('time:'));
  const ranged = await ts.resultCount();
  assert.ok(ranged < all, `${ranged} of ${all} in the keyboard's range`);
  await page.close();
});

test("a facet's long tail: show more, and search its values under the filter", async () => {
  const { page, ts, problems } = await open();
  await ts.upload(trailFiles);
  const records = cli(['query', '--format', 'ndjson', trailDir]).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const at = (record, field) => field.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), record);
  // A facet of a CloudTrail path (not an alias such as user) with more values than it lists.
  const fields = await page.locator('[data-testid=facet]:has([data-testid=facet-more])').evaluateAll(
    (els) => els.map((e) => e.dataset.field));
  const field = fields.find((f) => records.some((r) => typeof at(r, f) === 'string'));
  assert.ok(field, `a facet with a long tail among ${fields}`);
  const facet = page.locator(`[data-testid=facet][data-field="${field}"]`);
  const listed = await facet.locator('[data-testid=facet-value]').count();
  const present = records.map((r) => at(r, field)).filter((v) => typeof v === 'string' && v !== '');
  assert.ok(new Set(present).size > listed, `${field}: ${new Set(present).size} values, ${listed} listed`);
  await facet.locator('[data-testid=facet-more]').click();
  await page.waitForFunction(([f, n]) => document.querySelectorAll(`[data-testid=facet][data-field="${f}"] [data-testid=facet-value]`).length > n, [field, listed]);
  // The counts add up: listed values plus "other values" are every event with a value.
  const values = await facet.locator('[data-testid=facet-value]').evaluateAll((els) => els.map((e) => [e.dataset.value, Number(e.dataset.count)]));
  const other = await facet.locator('[data-testid=facet-other]').count()
    ? Number((await facet.locator('[data-testid=facet-other]').textContent()).replace(/[^0-9]/g, '')) : 0;
  assert.equal(values.reduce((s, [, n]) => s + n, 0) + other, present.length);
  // Search: only values containing the text, each with its count.
  const needle = values[values.length - 1][0].slice(-3);
  await facet.locator('[data-testid=facet-search]').fill(needle);
  await page.waitForFunction(([f, t]) => {
    const vs = [...document.querySelectorAll(`[data-testid=facet][data-field="${f}"] [data-testid=facet-value]`)];
    return vs.length > 0 && vs.every((v) => v.dataset.value.toLowerCase().includes(t.toLowerCase()));
  }, [field, needle]);
  const found = facet.locator('[data-testid=facet-value]').first();
  const [value, n] = [await found.getAttribute('data-value'), Number(await found.getAttribute('data-count'))];
  assert.equal(n, present.filter((v) => v.toLowerCase() === value.toLowerCase()).length, `${field}:${value}`);
  await found.locator('button').click();
  await ts.waitForCount(n);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the resources facet lists what the events acted on, and a value filters on it', async () => {
  const { page, ts, problems } = await open();
  await ts.upload(trailFiles);
  const box = page.locator('[data-testid=resources-facet]');
  await box.locator('[data-testid=resources-facet-count]').click();
  const values = box.locator('[data-testid=facet][data-field=resource] [data-testid=facet-value]');
  await values.first().waitFor();
  const listed = await values.evaluateAll((els) => els.map((e) => [e.dataset.value, Number(e.dataset.count)]));
  assert.ok(listed.length > 0 && listed.length <= 10, JSON.stringify(listed));
  for (let i = 1; i < listed.length; i++) assert.ok(listed[i - 1][1] >= listed[i][1], 'most common first');
  // Clicking the value filters on it, and the CLI counts the same events for that filter.
  const [value, n] = listed[0];
  await values.first().locator('button').click();
  await ts.waitForCount(n);
  const term = await page.locator('[data-testid=filter-input]').inputValue();
  assert.match(term, /^resource:/);
  assert.ok(term.includes(value), `${term} names ${value}`);
  const byCli = cli(['query', '--filter', term, '--format', 'ndjson', trailDir]).split('\n').filter(Boolean).length;
  assert.equal(byCli, n, `${term}: the CLI finds ${byCli}, the facet says ${n}`);
  // A new filter makes the count stale: the box offers to count again.
  await box.locator('[data-testid=resources-facet-count]').waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});

test('nothing stale or unmarked on screen: empty results, excluded values, views, names', async () => {
  const { page, ts, problems } = await open();
  await ts.upload(trailFiles);
  const rows = page.locator('[data-testid=result-row]');
  await rows.first().waitFor();
  // A filter that matches nothing leaves no row of the last result under "0 of N".
  await ts.filter('eventName:NoSuchEventAnywhere');
  await ts.waitForCount(0);
  await page.locator('[data-testid=no-results]').waitFor();
  assert.equal(await rows.count(), 0);
  await ts.filter('');
  await rows.first().waitFor();

  // Shift-click excludes a value: it stays listed (with its count), marked as excluded; the
  // same click again takes the exclusion away.
  const value = page.locator('[data-testid=facet][data-field=eventName] [data-testid=facet-value]').first();
  const name = await value.getAttribute('data-value');
  const all = await ts.resultCount();
  const excluded = Number(await value.getAttribute('data-count'));
  await value.locator('button').click({ modifiers: ['Shift'] });
  await ts.waitForCount(all - excluded);
  const marked = page.locator(`[data-testid=facet][data-field=eventName] [data-testid=facet-value][data-value="${name}"]`);
  await page.waitForFunction((n) => document.querySelector(`[data-testid=facet][data-field=eventName] [data-testid=facet-value][data-value="${n}"]`)?.dataset.use === 'excluded', name);
  assert.equal(await marked.locator('button').getAttribute('aria-pressed'), 'true');
  await marked.locator('button').click({ modifiers: ['Shift'] });
  await ts.waitForCount(all);
  assert.equal(await page.locator('[data-testid=filter-input]').inputValue(), '');
  // Keyboard: the values are buttons; Enter selects one.
  await page.locator('[data-testid=facet][data-field=eventName] [data-testid=facet-value] button').first().focus();
  await page.keyboard.press('Enter');
  await ts.waitForCount(Number(await page.locator('[data-testid=facet][data-field=eventName] [data-testid=facet-value]').first().getAttribute('data-count')));
  await page.waitForFunction(() => document.querySelector('[data-testid=facet][data-field=eventName] [data-testid=facet-value][data-use=selected]'));

  // A view's button is marked while its filter is the one applied, and only then.
  const preset = page.locator('[data-testid=saved-view]').first();
  await preset.click();
  await page.waitForFunction(() => document.querySelector('[data-testid=saved-view]')?.getAttribute('aria-pressed') === 'true');
  await ts.filter('readOnly:false');
  assert.equal(await preset.getAttribute('aria-pressed'), 'false');
  // Saving a view names it in the page (no browser prompt).
  page.on('dialog', (d) => { problems.push(`unexpected dialog: ${d.message()}`); d.dismiss(); });
  await page.locator('[data-testid=save-view]').click();
  await page.locator('[data-testid=save-view-name]').fill('Writes');
  await page.locator('[data-testid=save-view-confirm]').click();
  const saved = page.locator('[data-testid=user-view]', { hasText: 'Writes' });
  await saved.waitFor();
  assert.equal(await saved.getAttribute('aria-pressed'), 'true');
  await ts.filter('');
  assert.equal(await saved.getAttribute('aria-pressed'), 'false');
  await saved.click();
  await page.waitForFunction(() => document.querySelector('[data-testid=filter-input]')?.value === 'readOnly:false');

  assert.deepEqual(problems, []);
  await page.close();
});

test('the URL reopens the same view once the same files are loaded', async () => {
  const { page, ts } = await open();
  await ts.upload(trailFiles);
  await ts.filter('readOnly:false');
  const count = await ts.resultCount();
  // The time cell opens the event; the other cells filter on their value.
  await page.locator('[data-testid=result-row] [data-testid=cell-time]').first().click();
  const id = JSON.parse(await page.locator('[data-testid=record-json]').textContent()).eventID;
  await page.locator('[data-testid=column-chooser-toggle]').click();
  await page.locator('[data-testid=column-account]').check();
  const url = page.url();
  assert.match(url, /#q=readOnly%3Afalse/);
  assert.match(url, /event=/);
  await page.close();

  const again = await open(url);
  await again.ts.upload(trailFiles);
  assert.equal(await again.page.locator('[data-testid=filter-input]').inputValue(), 'readOnly:false');
  assert.equal(await again.ts.resultCount(), count);
  await again.page.locator('[data-testid=record-panel]').waitFor();
  assert.equal(JSON.parse(await again.page.locator('[data-testid=record-json]').textContent()).eventID, id);
  assert.ok(await again.page.locator('[data-testid=cell-account]').count() > 0, 'the chosen column is back');
  await again.page.close();
});

test('the filtered events export as the console CSV, JSON and NDJSON', async () => {
  const { page, ts } = await open();
  await ts.upload(trailFiles);
  await ts.filter('eventSource:iam.amazonaws.com');
  const count = await ts.resultCount();
  const download = async (testid) => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid=${testid}]`).click()]);
    return fs.readFileSync(await d.path(), 'utf8');
  };
  const csv = await download('export-csv');
  const lines = csv.trimEnd().split('\n');
  assert.equal(lines[0], 'User name,AWS access key,Event time,Event source,Event name,AWS region,Source IP address,User agent,Error code,Resources,Request ID,Event ID,Read-only,Event type,Recipient Account Id,Event category');
  assert.equal(lines.length, count + 1);
  const json = JSON.parse(await download('export-json'));
  assert.equal(json.Records.length, count);
  assert.ok(json.Records.every((r) => r.eventSource === 'iam.amazonaws.com'));
  const [nd] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export-ndjson]').click()]);
  const ndBytes = fs.readFileSync(await nd.path());
  const ndjson = ndBytes.toString('utf8').trimEnd().split('\n');
  assert.equal(ndjson.length, count);

  // The manifest of the last export: the filter, the output's own hash, and every source file
  // its events came from with that file's hash as stored.
  const manifest = JSON.parse(await download('export-manifest'));
  const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
  assert.equal(manifest.manifest, 'trailscope-export-manifest/1');
  assert.equal(manifest.made_in, 'page');
  assert.equal(manifest.filter, 'eventSource:iam.amazonaws.com');
  assert.equal(manifest.order, 'newest first');
  assert.equal(manifest.format, 'ndjson');
  assert.equal(manifest.events, count);
  assert.deepEqual(manifest.outputs, [{ name: nd.suggestedFilename(), bytes: ndBytes.length, sha256: sha256(ndBytes) }]);
  assert.equal(manifest.files_loaded, trailFiles.length);
  const onDisk = new Map(trailFiles.map((f) => [path.basename(f), f]));
  assert.equal(onDisk.size, trailFiles.length, 'file names are unique');
  assert.ok(manifest.sources.length > 0);
  assert.equal(manifest.sources.reduce((n, s) => n + s.events, 0), count);
  for (const source of manifest.sources) {
    const file = onDisk.get(source.path);
    assert.ok(file, source.path);
    assert.equal(source.sha256, sha256(fs.readFileSync(file)), source.path);
    assert.equal(source.bytes, fs.statSync(file).size, source.path);
    // No trusted key was given, so nothing can read as verified.
    assert.ok(['unverified', 'not_covered', 'not_checked'].includes(source.integrity), `${source.path}: ${source.integrity}`);
  }
  const byVerdict = manifest.integrity;
  assert.equal(byVerdict.verified, 0);
  assert.equal(byVerdict.failed + byVerdict.unverified + byVerdict.not_covered + byVerdict.not_checked, count);
  await page.close();
});

test('findings list the rules with their hits, and a finding opens its events', async () => {
  const { page, ts } = await open();
  await ts.upload(trailFiles);
  await page.locator('[data-testid=tab-findings]').click();
  await page.locator('[data-testid=finding-row]').first().waitFor();
  const rows = await page.locator('[data-testid=finding-row]').evaluateAll((r) => r.map((x) => ({ rule: x.dataset.rule, events: Number(x.dataset.events) })));
  const cliFindings = JSON.parse(cli(['detect', '--json', trailDir])).findings;
  const byRule = new Map(cliFindings.map((f) => [f.rule, f.events]));
  assert.ok(rows.length > 0);
  for (const row of rows) assert.equal(row.events, byRule.get(row.rule) ?? 0, row.rule);
  const first = rows[0];
  await page.locator(`[data-testid=finding-row][data-rule="${first.rule}"] [data-testid=finding-open]`).click();
  await page.locator('[data-testid=tab-events].active').waitFor();
  assert.equal(await page.locator('[data-testid=filter-input]').inputValue(), `finding:${first.rule}`);
  await ts.waitForCount(first.events);
  await page.close();
});

test('a burst of calls shows as an anomaly chart whose window opens its events', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-burst-'));
  const start = Date.parse('2024-03-01T00:00:00Z');
  const records = [];
  let n = 0;
  const call = (minute, i) => records.push({
    eventVersion: '1.09', eventID: `evt-${n++}`, eventTime: new Date(start + minute * 60_000 + i * 1000).toISOString().replace('.000', ''),
    eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', awsRegion: 'us-east-1', readOnly: false,
    managementEvent: true, eventCategory: 'Management', eventType: 'AwsApiCall', sourceIPAddress: '198.51.100.7',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/ci', accountId: '111122223333' },
    recipientAccountId: '111122223333', userAgent: 'aws-cli/2.15',
  });
  // Six hours of history (the model's minimum evidence) before a five-minute burst.
  for (let m = 0; m < 540; m++) {
    const calls = m >= 500 && m < 505 ? 40 : 2;
    for (let i = 0; i < calls; i++) call(m, i % 60);
  }
  fs.writeFileSync(path.join(dir, 'burst.json'), JSON.stringify({ Records: records }));

  const { page, ts } = await open();
  await ts.upload([path.join(dir, 'burst.json')]);
  await page.locator('[data-testid=tab-anomalies]').click();
  const row = page.locator('[data-testid=anomaly-row][data-direction=burst]').first();
  await row.waitFor();
  await row.locator('[data-testid=anomaly-chart]').waitFor();
  const title = await row.locator('h3').textContent();
  assert.match(title, /Burst of ec2\.amazonaws\.com RunInstances in us-east-1/);
  await row.locator('[data-testid=anomaly-chart] rect.window').click();
  await page.locator('[data-testid=tab-events].active').waitFor();
  const filter = await page.locator('[data-testid=filter-input]').inputValue();
  assert.match(filter, /time:2024-03-01T08:2\d:00Z\.\.2024-03-01T08:2\d:59\.999Z/);
  const inWindow = await ts.resultCount();
  assert.ok(inWindow >= 150 && inWindow <= 220, `${inWindow} events in the window`);
  await page.locator('[data-testid=tab-anomalies]').click();
  await page.screenshot({ path: path.join(SHOTS, 'anomalies.png'), fullPage: true });
  await page.close();
});
