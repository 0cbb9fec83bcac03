// A case as an auditor keeps one: pin events from the detail (with the filter that found them),
// tag them and write notes, keep it across a reload, export it as one self-contained HTML file
// and as JSON, open the JSON again, and clear it only after asking.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { launch, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { DIST, fixtures, filesUnder } from './lib/fixtures.mjs';
import { TrailscopePage } from './lib/trailscope-page.mjs';

let server;
let browser;
let trailFiles;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: build the page first');
  server = await startServer({ root: DIST });
  browser = await launch();
  trailFiles = filesUnder(path.join(fixtures().dir, 'trail'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

test('events pinned to a case keep their tags, notes and evidence, across a reload and in both exports', async () => {
  const { page, problems } = await openPage(browser, server.url, { width: 1280, height: 900 });
  const ts = new TrailscopePage(page);
  await ts.upload(trailFiles);
  await ts.filter('eventSource:iam.amazonaws.com');
  const rows = page.locator('[data-testid=result-row]');
  const pinned = [];
  for (const i of [0, 1]) {
    await rows.nth(i).locator('[data-testid=cell-time]').click();
    const id = await rows.nth(i).getAttribute('data-event-id');
    await page.waitForFunction((e) => document.querySelector('[data-testid=record-json]')?.textContent.includes(e), id);
    const pin = page.locator('[data-testid=case-pin]');
    assert.equal(await pin.getAttribute('aria-pressed'), 'false');
    await pin.click();
    assert.equal(await pin.getAttribute('aria-pressed'), 'true');
    pinned.push({ id, file: await page.locator('[data-testid=record-file]').textContent() });
  }
  assert.equal(await page.locator('[data-testid=tab-case] .tab-badge').textContent(), '2');

  await page.click('[data-testid=tab-case]');
  const items = page.locator('[data-testid=case-item]');
  assert.deepEqual(await items.evaluateAll((r) => r.map((x) => x.dataset.eventId)), pinned.map((p) => p.id));
  assert.match(await items.first().textContent(), /found with eventSource:iam\.amazonaws\.com/);
  await page.fill('[data-testid=case-title]', 'IR-2024-017');
  await page.press('[data-testid=case-title]', 'Tab');
  await page.fill('[data-testid=case-analyst]', 'Dana Whit');
  await page.press('[data-testid=case-analyst]', 'Tab');
  await page.fill('[data-testid=case-notes]', 'Keys used from an unknown host.');
  await page.press('[data-testid=case-notes]', 'Tab');
  await items.first().locator('[data-testid=case-item-tags]').fill('#Persistence, iam');
  await items.first().locator('[data-testid=case-item-tags]').press('Tab');
  await items.first().locator('[data-testid=case-item-note]').fill('<b>first</b> change');
  await items.first().locator('[data-testid=case-item-note]').press('Tab');

  // A reload keeps the case (the events themselves must be dropped again; the case does not).
  await page.reload();
  await ts.ready();
  await page.click('[data-testid=tab-case]');
  assert.equal(await page.locator('[data-testid=case-title]').inputValue(), 'IR-2024-017');
  assert.equal(await items.count(), 2);
  assert.equal(await items.first().locator('[data-testid=case-item-tags]').inputValue(), 'persistence, iam');
  assert.equal(await items.first().locator('[data-testid=case-item-note]').inputValue(), '<b>first</b> change');

  // The HTML export: self-contained, escaped, with each event's source file and its hash.
  const [htmlDownload] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=case-export-html]')]);
  assert.equal(htmlDownload.suggestedFilename(), 'trailscope-case-IR-2024-017.html');
  const html = fs.readFileSync(await htmlDownload.path(), 'utf8');
  assert.ok(!/<script/i.test(html) && !/\ssrc=/.test(html), 'no script, nothing fetched');
  assert.match(html, /<h1 data-field="title">IR-2024-017<\/h1>/);
  assert.match(html, /Analyst <strong data-field="analyst">Dana Whit<\/strong>/);
  assert.match(html, /&lt;b&gt;first&lt;\/b&gt; change/);
  assert.match(html, /<span class="tag">persistence<\/span><span class="tag">iam<\/span>/);
  const byName = new Map(trailFiles.map((f) => [path.basename(f), f]));
  for (const p of pinned) {
    assert.ok(html.includes(`data-event-id="${p.id}"`), p.id);
    assert.ok(html.includes(`SHA-256 ${sha256(fs.readFileSync(byName.get(p.file)))}`), `${p.file}'s hash`);
  }

  // JSON out, clear (asked first), JSON back in.
  const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=case-export-json]')]);
  const jsonPath = await jsonDownload.path();
  const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  assert.equal(json.format, 'trailscope-case/1');
  assert.deepEqual(json.items.map((i) => i.event_id), pinned.map((p) => p.id));
  assert.ok(json.items.every((i) => JSON.parse(i.record).eventID === i.event_id), 'records kept exactly');
  await page.click('[data-testid=case-clear]');
  await page.click('[data-testid=case-clear-cancel]');
  assert.equal(await items.count(), 2, 'Keep keeps');
  await page.click('[data-testid=case-clear]');
  await page.click('[data-testid=case-clear-confirm]');
  await page.locator('[data-testid=case-empty]').waitFor();
  await page.setInputFiles('[data-testid=case-import]', { name: 'not-a-case.json', mimeType: 'application/json', buffer: Buffer.from('{"findings":[]}') });
  await page.locator('[data-testid=case-error]').waitFor();
  assert.match(await page.locator('[data-testid=case-error]').textContent(), /not-a-case\.json: not a Trailscope case/);
  await page.setInputFiles('[data-testid=case-import]', jsonPath);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=case-item]').length === 2);
  assert.equal(await page.locator('[data-testid=case-title]').inputValue(), 'IR-2024-017');
  // A verdict read from a file is a claim, not a proof: nothing opened from one reads as verified.
  assert.deepEqual(await items.evaluateAll((r) => r.map((x) => x.dataset.integrity)), ['not_checked', 'not_checked']);

  // "Show" finds the event again once the files are loaded.
  await ts.upload(trailFiles);
  await page.click('[data-testid=tab-case]');
  await items.nth(1).locator('[data-testid=case-item-open]').click();
  await ts.waitForCount(1);
  assert.equal(await rows.first().getAttribute('data-event-id'), pinned[1].id);
  assert.deepEqual(problems, []);
  await page.close();
});
