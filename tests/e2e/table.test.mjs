// The events table and the filter box as an investigator uses them: sort by a column's header,
// add any field as a column and export the CSV with the table's columns, complete field names,
// values (with counts) and past filters as one types, read the syntax sheet, and take a
// condition out of the filter by its chip. Every count and order is checked against the CLI on
// the same files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { launch, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { DIST, ROOT, fixtures, filesUnder } from './lib/fixtures.mjs';
import { TrailscopePage } from './lib/trailscope-page.mjs';

const CLI = process.env.TRAILSCOPE_CLI ?? path.join(ROOT, 'target/release/trailscope');

let server;
let browser;
let trailDir;
let trailFiles;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: build the page first');
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: run scripts/test.sh, which builds it`);
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

/** The eventIDs the CLI lists for `args` (NDJSON), in its order. */
function cliIds(args) {
  return cli(['query', '--format', 'ndjson', ...args, trailDir]).trim().split('\n').filter(Boolean)
    .map((line) => JSON.parse(line).eventID);
}

async function loaded() {
  const { page, problems } = await openPage(browser, server.url, { width: 1440, height: 900 });
  const ts = new TrailscopePage(page);
  await ts.ready();
  await ts.upload(trailFiles);
  return { page, ts, problems };
}

/** The eventIDs of the first `n` rows on screen, in order. */
async function shownIds(page, n) {
  await page.waitForFunction((want) => document.querySelectorAll('[data-testid=result-row]').length >= want, n);
  return page.evaluate((want) => [...document.querySelectorAll('[data-testid=result-row]')]
    .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
    .slice(0, want)
    .map((r) => r.dataset.eventId), n);
}

/** Runs `action` and waits for the next query's answer. */
async function nextQuery(page, action) {
  const before = await page.locator('[data-testid=query-time]').getAttribute('data-generation');
  await action();
  await page.waitForFunction((b) => document.querySelector('[data-testid=query-time]')?.dataset.generation !== b, before);
}

test('a column header sorts the table as the CLI sorts, both ways, and time sorts again', async () => {
  const { page, problems } = await loaded();
  const header = page.locator('[data-testid=sort-user]');
  await nextQuery(page, () => header.click());
  assert.equal(await page.locator('[role=columnheader]:has([data-testid=sort-user])').getAttribute('aria-sort'), 'ascending');
  assert.deepEqual(await shownIds(page, 15), cliIds(['--sort', 'user']).slice(0, 15));
  await nextQuery(page, () => header.click());
  assert.equal(await page.locator('[role=columnheader]:has([data-testid=sort-user])').getAttribute('aria-sort'), 'descending');
  assert.deepEqual(await shownIds(page, 15), cliIds(['--sort', '-user']).slice(0, 15));
  // The sort is in the link.
  assert.match(page.url(), /sort=-user/);
  // A filter keeps the sort; the rows are the filter's, in the column's order.
  await nextQuery(page, () => page.locator('[data-testid=filter-input]').fill('readOnly:false').then(() => page.locator('[data-testid=filter-input]').press('Enter')));
  assert.deepEqual(await shownIds(page, 10), cliIds(['--sort', '-user', '--filter', 'readOnly:false']).slice(0, 10));
  // The time header goes back to time, newest first.
  await nextQuery(page, () => page.locator('[data-testid=sort-time]').click());
  assert.equal(await page.locator('[role=columnheader]:has([data-testid=sort-user])').getAttribute('aria-sort'), 'none');
  assert.deepEqual(await shownIds(page, 10), cliIds(['--order', 'newest', '--filter', 'readOnly:false']).slice(0, 10));
  assert.deepEqual(problems, []);
  await page.close();
});

test('any field becomes a column; the CSV can follow the table\'s columns', async () => {
  const { page, problems } = await loaded();
  await page.click('[data-testid=column-chooser-toggle]');
  // A path that is not one is refused with the reason.
  await page.fill('[data-testid=column-path-input]', 'requestParamters.bucketName');
  await page.click('[data-testid=column-path-add]');
  assert.match(await page.locator('[data-testid=column-path-error]').textContent(), /requestParamters\.bucketName/);
  await page.fill('[data-testid=column-path-input]', 'requestParameters.bucketName');
  await nextQuery(page, () => page.click('[data-testid=column-path-add]'));
  await page.click('[data-testid=column-resources]');
  await page.click('[data-testid=column-event-id]');
  await page.click('[data-testid=column-chooser-toggle]');
  await nextQuery(page, () => page.locator('[data-testid=filter-input]').fill('eventName:GetObject').then(() => page.locator('[data-testid=filter-input]').press('Enter')));
  const total = await new TrailscopePage(page).resultCount();
  assert.ok(total > 0, 'the fixtures have GetObject events');
  // Each row's cells equal the CLI's for the same columns.
  const expected = new Map(cli(['query', '--filter', 'eventName:GetObject', '--columns',
    'event-id,path:requestParameters.bucketName,resources', trailDir]).trim().split('\n').slice(1)
    .map((line) => {
      // Cells: the ID, the bucket, then the resources (quoted: they hold ", ").
      const [id, bucket, ...rest] = line.split(',');
      return [id, { bucket, resources: rest.join(',').replace(/^"|"$/g, '') }];
    }));
  await page.waitForFunction(() => document.querySelector('[data-testid=result-row] [data-testid=cell-path]')?.textContent.trim() !== '—');
  const rows = await page.evaluate(() => [...document.querySelectorAll('[data-testid=result-row]')].slice(0, 8).map((r) => ({
    id: r.dataset.eventId,
    bucket: r.querySelector('[data-testid=cell-path]').textContent.trim(),
    resources: r.querySelector('[data-testid=cell-resources]').textContent.trim(),
  })));
  assert.ok(rows.length > 0);
  for (const row of rows) {
    assert.deepEqual({ bucket: row.bucket, resources: row.resources }, expected.get(row.id), row.id);
  }
  // A click on one of the resources filters on it: `resource:` finds the event.
  await nextQuery(page, () => page.locator('[data-testid=result-row] [data-testid=cell-resources] .value').first().click());
  const filter = await page.locator('[data-testid=filter-input]').inputValue();
  assert.match(filter, /resource:/);
  assert.equal(await new TrailscopePage(page).resultCount(), cliIds(['--filter', filter]).length);
  // The CSV with the table's columns: the titles in the table's order, a line per event.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv-columns]')]);
  // Named after the filter and the time.
  assert.match(download.suggestedFilename(), /^trailscope-eventName-GetObject-resource-.*-\d{8}T\d{6}Z\.csv$/);
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
  const titles = await page.evaluate(() => [...document.querySelectorAll('.grid-head [role=columnheader]')].map((h) => h.textContent.replace(/[▲▼]/g, '').trim()));
  assert.equal(csv[0], titles.join(','));
  const shown = await new TrailscopePage(page).resultCount();
  assert.equal(csv.length, shown + 1);
  assert.deepEqual(problems, []);
  await page.close();
});

test('columns resize by their edge and move by dragging or Alt+arrows; rows and the CSV follow', async () => {
  const { page, problems } = await loaded();
  const headers = () => page.evaluate(() => [...document.querySelectorAll('.grid-head [role=columnheader]')].map((h) => h.dataset.columnId));
  const width = (selector) => page.locator(selector).first().evaluate((e) => Math.round(e.getBoundingClientRect().width));
  const userHeader = '[role=columnheader][data-column-id=user]';
  assert.deepEqual((await headers()).slice(0, 5), ['time', 'event-name', 'event-source', 'user', 'source-ip']);

  // Dragging the edge widens the column by as much, in the header and in every row.
  const before = await width(userHeader);
  const handle = await page.locator('[data-testid=col-resize-user]').boundingBox();
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle.x + handle.width / 2 + 60, handle.y + handle.height / 2, { steps: 5 });
  await page.mouse.move(handle.x + handle.width / 2 + 110, handle.y + handle.height / 2, { steps: 5 });
  await page.mouse.up();
  const after = await width(userHeader);
  assert.ok(Math.abs(after - (before + 110)) <= 2, `${before} + 110 -> ${after}`);
  assert.equal(await width('[data-testid=result-row] [data-testid=cell-user]'), after, 'rows keep the header\'s width');
  assert.deepEqual((await headers()).slice(0, 5), ['time', 'event-name', 'event-source', 'user', 'source-ip'], 'a resize moves nothing');
  // The keyboard: ← and → on the focused edge, 16 px a press.
  await page.locator('[data-testid=col-resize-user]').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.ok(Math.abs(await width(userHeader) - (after + 32)) <= 2);
  assert.equal(await page.locator('[data-testid=col-resize-user]').getAttribute('aria-valuenow'), String(await width(userHeader)));

  // Dragging a header onto another puts it in that one's place.
  await page.locator('[role=columnheader][data-column-id=source-ip]').dragTo(page.locator('[role=columnheader][data-column-id=event-name]'));
  assert.deepEqual((await headers()).slice(0, 5), ['time', 'source-ip', 'event-name', 'event-source', 'user']);
  assert.deepEqual(await page.locator('[data-testid=result-row]').first().evaluate((r) => [...r.querySelectorAll('[role=gridcell]')].slice(0, 2).map((c) => c.dataset.testid)), ['cell-time', 'cell-source-ip']);
  // Alt+← on a header moves it one place left; focus stays on it.
  await page.locator('[data-testid=sort-user]').focus();
  await page.keyboard.press('Alt+ArrowLeft');
  await page.waitForFunction(() => [...document.querySelectorAll('.grid-head [role=columnheader]')].map((h) => h.dataset.columnId).indexOf('user') === 3);
  assert.deepEqual((await headers()).slice(0, 5), ['time', 'source-ip', 'event-name', 'user', 'event-source']);
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'sort-user');
  // The order is in the link, and the CSV with the table's columns follows it.
  assert.match(decodeURIComponent(page.url()), /cols=time,source-ip,event-name,user,event-source/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv-columns]')]);
  const header = fs.readFileSync(await download.path(), 'utf8').split('\n')[0];
  assert.ok(header.startsWith('Time (UTC),Source IP,Event name,User,Event source'), header);
  // Widths are this browser's layout preference: they survive a reload.
  const kept = await width(userHeader);
  await page.reload();
  const again = new TrailscopePage(page);
  await again.ready();
  await again.upload(trailFiles);
  await page.locator(userHeader).waitFor();
  assert.ok(Math.abs(await width(userHeader) - kept) <= 2, `${kept} kept across a reload`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the filter box completes names, values with counts and past filters; chips take conditions out', async () => {
  const { page, problems } = await loaded();
  const input = page.locator('[data-testid=filter-input]');
  const options = page.locator('[data-testid=filter-autocomplete-option]');
  await input.click();
  await input.pressSequentially('eventNa');
  await options.first().waitFor();
  assert.equal(await input.getAttribute('aria-expanded'), 'true');
  const names = await options.evaluateAll((os) => os.map((o) => o.dataset.value));
  assert.ok(names.includes('eventName:'), names.join(' '));
  // Keyboard: down to the name, Enter takes it, and the values follow with their counts.
  const nameAt = names.indexOf('eventName:');
  for (let i = 0; i <= nameAt; i++) await input.press('ArrowDown');
  await input.press('Enter');
  assert.equal(await input.inputValue(), 'eventName:');
  await page.waitForFunction(() => document.querySelector('[data-testid=filter-autocomplete-option][data-kind=value]'));
  const values = await page.evaluate(() => [...document.querySelectorAll('[data-testid=filter-autocomplete-option]')]
    .map((o) => ({ value: o.dataset.value, count: Number(o.textContent.replace(o.dataset.value, '').replace(/[^0-9]/g, '')) })));
  assert.ok(values.length >= 2, JSON.stringify(values));
  // The most frequent first; each count is the CLI's.
  assert.ok(values[0].count >= values[1].count);
  assert.equal(values[0].count, cliIds(['--filter', `eventName:${values[0].value}`]).length);
  // Typing narrows the values.
  const stem = values[0].value.slice(0, 4);
  await input.pressSequentially(stem);
  await page.waitForFunction((s) => {
    const os = [...document.querySelectorAll('[data-testid=filter-autocomplete-option][data-kind=value]')];
    return os.length > 0 && os.every((o) => o.dataset.value.toLowerCase().includes(s.toLowerCase()));
  }, stem);
  await page.locator(`[data-testid=filter-autocomplete-option][data-value="${values[0].value}"]`).click();
  assert.equal(await input.inputValue(), `eventName:${values[0].value} `);
  // Fixed values: readOnly offers true and false.
  await input.pressSequentially('-readOnly:');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=filter-autocomplete-option]')].map((o) => o.dataset.value).join() === 'true,false');
  await input.press('ArrowDown');
  await input.press('Enter');
  const typed = await input.inputValue();
  assert.equal(typed, `eventName:${values[0].value} -readOnly:true `);
  await nextQuery(page, () => input.press('Enter'));
  const count = await new TrailscopePage(page).resultCount();
  assert.equal(count, cliIds(['--filter', typed]).length);

  // Chips: one per condition, the exclusion marked; removing one keeps the other.
  const chips = page.locator('[data-testid=filter-chip]');
  assert.equal(await chips.count(), 2);
  assert.equal(await chips.nth(1).getAttribute('data-excluded'), 'true');
  await nextQuery(page, () => page.locator('[data-testid=filter-chip-remove]').first().click());
  assert.equal(await input.inputValue(), '-readOnly:true');
  assert.equal(await new TrailscopePage(page).resultCount(), cliIds(['--filter', '-readOnly:true']).length);

  // History: an empty box and ↓ list the filters applied before, newest first.
  await input.fill('');
  await input.press('ArrowDown');
  await options.first().waitFor();
  const past = await options.evaluateAll((os) => os.map((o) => [o.dataset.kind, o.dataset.value]));
  assert.deepEqual(past[0], ['past', typed.trim()]);
  // Escape closes the list, and leaves the box focused.
  await input.press('Escape');
  assert.equal(await input.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'filter-input');
  await nextQuery(page, async () => {
    await input.press('ArrowDown');
    await input.press('ArrowDown');
    await input.press('Enter');
  });
  assert.equal(await input.inputValue(), typed.trim());
  assert.equal(await new TrailscopePage(page).resultCount(), count);

  // The syntax sheet is one click away.
  await page.click('[data-testid=filter-help-toggle]');
  const sheet = await page.locator('[data-testid=filter-help]').textContent();
  for (const example of ['eventName:(A OR B)', 'ip:10.0.0.0/8', 'requestParameters.bucketName', 'resource:']) {
    assert.ok(sheet.includes(example), example);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('after a load at 1280x720 the table\'s first rows show above the fold', async () => {
  const { page, problems } = await openPage(browser, server.url, { width: 1280, height: 720 });
  const ts = new TrailscopePage(page);
  await ts.ready();
  await ts.upload(trailFiles);
  await page.locator('[data-testid=result-row]').nth(1).waitFor();
  const second = await page.locator('[data-testid=result-row][data-index="1"]').boundingBox();
  assert.ok(second.y + second.height <= 720, `the second row ends at ${second.y + second.height}px`);
  assert.deepEqual(problems, []);
  await page.close();
});
