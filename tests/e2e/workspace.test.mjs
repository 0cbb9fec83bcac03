// The workspace kept in the browser's private file system: ticked once, a later visit offers to
// restore the events, the view and the files list without the files; restored events are never
// shown as verified; deleting asks first; a second tab and events loaded before keeping began are
// explained.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { launch } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { DIST, fixtures, filesUnder } from './lib/fixtures.mjs';
import { openIn } from './lib/trailscope-page.mjs';

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

const open = (context, url = server.url) => openIn(context, url);

const bar = '[data-testid=workspace-bar]';

async function keep(page) {
  await page.click('[data-testid=workspace-keep]');
  await page.locator(`${bar}[data-keeping=true]`).waitFor({ state: 'attached' });
}

async function fileNames(page) {
  return page.locator('[data-testid=file-row] td:first-child').allTextContents();
}

test('a kept workspace comes back in a new tab without the files, with its view, never as verified', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const first = await open(context);
  await keep(first.page);
  await first.ts.upload(trailFiles);
  const events = await first.ts.eventCount();
  assert.ok(events > 0);
  await first.page.locator(`${bar}[data-kept-events="${events}"]`).waitFor({ state: 'attached' });
  assert.match(await first.page.locator("[data-testid=workspace-status]").textContent(), new RegExp(`${events.toLocaleString("en-US")} events kept`));
  const files = await fileNames(first.page);
  await first.ts.filter('eventSource:iam.amazonaws.com');
  const filtered = await first.ts.resultCount();
  const row = first.page.locator('[data-testid=result-row]').first();
  const eventId = await row.getAttribute('data-event-id');
  await row.locator('[data-testid=cell-time]').click();
  await first.page.waitForFunction((e) => document.querySelector('[data-testid=record-json]')?.textContent.includes(e), eventId);
  const json = await first.page.locator('[data-testid=record-json]').textContent();
  assert.deepEqual(first.problems, []);
  // Closing the tab releases the file; a new tab at the bare address offers the restore.
  await first.page.close();

  const second = await open(context);
  assert.equal(await second.page.evaluate(() => location.hash), '');
  const banner = second.page.locator('[data-testid=workspace-restore-banner]');
  await banner.waitFor();
  assert.match(await banner.textContent(), new RegExp(`${events.toLocaleString('en-US')} events from ${files.length} files`));
  const started = Date.now();
  await second.page.click('[data-testid=workspace-restore]');
  await second.ts.waitForLoad(0, 60_000);
  const tookMs = Date.now() - started;
  assert.equal(await second.ts.eventCount(), events);
  assert.deepEqual(await fileNames(second.page), files);
  // The view came back with it: the filter, its count and the open event.
  assert.equal(await second.page.locator('[data-testid=filter-input]').inputValue(), 'eventSource:iam.amazonaws.com');
  await second.ts.waitForCount(filtered);
  await second.page.waitForFunction((e) => document.querySelector('[data-testid=record-json]')?.textContent.includes(e), eventId);
  assert.equal(await second.page.locator('[data-testid=record-json]').textContent(), json);
  assert.match(await second.page.locator('[data-testid=workspace-live]').textContent(), /Restored .* events from this browser in/);
  console.log(`restored ${events} events in ${tookMs} ms (click to rows)`);

  // Restored events are not evidence: verifying is refused, saying why.
  await second.page.locator('[data-testid=workspace-restored]').waitFor();
  await second.page.click('[data-testid=tab-integrity]');
  await second.page.click('[data-testid=verify-run]');
  const refused = second.page.locator('[data-testid=verify-error]');
  await refused.waitFor();
  assert.match(await refused.textContent(), /restored from the workspace kept in this browser.*cannot be proven/);
  assert.equal(await second.page.locator('[data-testid=verify-summary]').count(), 0);

  // Deleting asks first; "Keep it" keeps it.
  await second.page.click('[data-testid=tab-events]');
  // The event's side sheet lies over the top of the page: closed first.
  await second.page.keyboard.press('Escape');
  await second.page.locator('[data-testid=record-panel]').waitFor({ state: 'detached' });
  await second.page.click('[data-testid=workspace-clear]');
  await second.page.click('[data-testid=workspace-clear-cancel]');
  assert.equal(await second.page.locator('[data-testid=workspace-confirm]').count(), 0);
  assert.equal(await second.page.locator(`${bar}`).getAttribute('data-kept-events'), String(events));
  await second.page.click('[data-testid=workspace-clear]');
  await second.page.click('[data-testid=workspace-clear-confirm]');
  await second.page.locator(`${bar}[data-kept-events="0"][data-keeping=true]`).waitFor({ state: 'attached' });
  // What is on the page stays.
  assert.equal(await second.ts.eventCount(), events);
  assert.deepEqual(second.problems, []);
  await second.page.close();

  const third = await open(context);
  await third.page.locator(`${bar}[data-keeping=true]`).waitFor({ state: 'attached' });
  assert.equal(await third.page.locator('[data-testid=workspace-restore-banner]').count(), 0);
  // Unticking asks too, then stops keeping.
  await third.page.click('[data-testid=workspace-keep]');
  assert.ok(await third.page.locator('[data-testid=workspace-keep]').isChecked());
  await third.page.click('[data-testid=workspace-clear-confirm]');
  await third.page.locator(`${bar}[data-keeping=false]`).waitFor({ state: 'attached' });
  await third.page.close();
  await context.close();
});

test('a second tab, events loaded before keeping began, and dropping files instead of restoring are explained', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const first = await open(context);
  await first.ts.upload(trailFiles.slice(0, 2));
  const early = await first.ts.eventCount();
  await keep(first.page);
  // Events already loaded are not in a workspace that starts now, and nothing joins them there
  // (a restore would differ from the page): the page says so at once and after the next load.
  const notKept = first.page.locator('[data-testid=workspace-not-kept]');
  await notKept.waitFor();
  assert.match(await notKept.textContent(), new RegExp(`The ${early.toLocaleString('en-US')} events? on the page were loaded before keeping began`));
  await first.ts.upload(trailFiles.slice(2));
  const all = await first.ts.eventCount();
  await first.page.waitForFunction((n) => document.querySelector('[data-testid=workspace-not-kept]')?.textContent.includes(n), all.toLocaleString('en-US'));
  assert.equal(await first.page.locator(bar).getAttribute('data-kept-events'), '0');

  // Another tab cannot hold the same workspace: it says so rather than losing anything.
  const second = await open(context);
  const problem = second.page.locator('[data-testid=workspace-problem]');
  await problem.waitFor();
  assert.match(await problem.textContent(), /another tab of this page keeps the workspace open/);
  await second.page.close();

  // Cleared, the page keeps what comes next.
  await first.page.click('[data-testid=clear-all]');
  await first.page.locator('[data-testid=workspace-not-kept]').waitFor({ state: 'detached' });
  await first.ts.upload(trailFiles);
  await first.page.locator(`${bar}[data-kept-events="${all}"]`).waitFor({ state: 'attached' });
  assert.deepEqual(first.problems, []);
  await first.page.close();

  // Dropping files instead of restoring starts the workspace over with them.
  const third = await open(context);
  await third.page.locator('[data-testid=workspace-restore-banner]').waitFor();
  await third.ts.upload(trailFiles.slice(0, 1));
  const now = await third.ts.eventCount();
  await third.page.locator(`${bar}[data-kept-events="${now}"]`).waitFor({ state: 'attached' });
  assert.equal(await third.page.locator('[data-testid=workspace-restore-banner]').count(), 0);
  assert.deepEqual(third.problems, []);
  await context.close();
});
