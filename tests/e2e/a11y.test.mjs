// Keyboard and accessibility: the page used with the keyboard alone (load files, filter, open an
// event, close it, export), and an axe-core scan of every view with zero serious or critical
// violations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { launch, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { DIST, ROOT, fixtures, filesUnder, signedTrail } from './lib/fixtures.mjs';
import { TrailscopePage, openIn } from './lib/trailscope-page.mjs';

const AXE = path.join(ROOT, 'tests/e2e/node_modules/axe-core/axe.min.js');

let server;
let browser;
let trailFiles;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: build the page first');
  assert.ok(fs.existsSync(AXE), `${AXE} is missing: run scripts/ensure-tools.sh test`);
  server = await startServer({ root: DIST });
  browser = await launch();
  trailFiles = filesUnder(path.join(fixtures().dir, 'trail'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Presses Tab (Shift+Tab with `back`) until the focused element matches `selector`. */
async function tabTo(page, selector, { limit = 60, back = false } = {}) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i + 1;
  }
  const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120));
  assert.fail(`${selector} was not reached with ${limit} presses of Tab (focus on ${at})`);
}

/**
 * Loads `files` through "Choose files", reached with Tab and opened with Space, as a button is.
 * The listener goes on before the first Tab: Playwright turns on Chromium's file chooser
 * interception asynchronously when a listener is added, and a Space that overtakes it opens a
 * native dialog that never becomes an event (a CI run timed out here once). The Tabs give it time.
 */
async function chooseFilesByKeyboard(page, ts, files, { back = false } = {}) {
  const choosers = [];
  const onChooser = (c) => choosers.push(c);
  page.on('filechooser', onChooser);
  await tabTo(page, '[data-testid=file-input]', { back });
  await page.keyboard.press('Space');
  const deadline = Date.now() + 20_000;
  while (choosers.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  page.off('filechooser', onChooser);
  const focused = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 160));
  assert.equal(choosers.length, 1, `Space on "Choose files" opened ${choosers.length} file choosers (focus on ${focused})`);
  const loadsBefore = await ts.loadCount();
  await choosers[0].setFiles(files);
  await ts.waitForLoad(loadsBefore, 60_000);
}

test('the page is usable with the keyboard alone: load, filter, open an event, close it, export', async () => {
  const { page, problems } = await openPage(browser, server.url, { width: 1280, height: 720 });
  const ts = new TrailscopePage(page);
  await ts.ready();

  await chooseFilesByKeyboard(page, ts, trailFiles);
  const all = await ts.resultCount();
  assert.ok(all > 10, `${all} events`);

  // `/` goes to the filter from anywhere; Enter applies it.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'filter-input');
  const generation = await page.locator('[data-testid=query-time]').getAttribute('data-generation');
  await page.keyboard.type('readOnly:false');
  await page.keyboard.press('Enter');
  await page.waitForFunction((g) => document.querySelector('[data-testid=query-time]')?.dataset.generation !== g, generation);
  const writes = await ts.resultCount();
  assert.ok(writes > 0 && writes < all, `${writes} of ${all}`);

  // The table: the skip link passes the facets' many buttons; arrows move the row, Enter opens
  // the event.
  await tabTo(page, '[data-testid=skip-to-table]');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'event-table');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const second = page.locator('[data-testid=result-row].cursor');
  assert.equal(await second.getAttribute('data-index'), '1');
  const eventId = await second.getAttribute('data-event-id');
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => document.querySelector('[data-testid=record-json]')?.textContent.includes(id), eventId);
  // End goes to the last row, scrolling it into view.
  await page.locator('[data-testid=event-table]').focus();
  await page.keyboard.press('End');
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-row].cursor')?.dataset.index === String(n - 1), writes);

  // Escape closes the detail, and the keyboard is back on the table.
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('[data-testid=record-json]'));
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'event-table');

  // The column chooser (just before the table) opens with Enter and closes with Escape, focus
  // back on its button.
  await tabTo(page, '[data-testid=column-chooser-toggle]', { back: true });
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=column-chooser]').waitFor();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('[data-testid=column-chooser]'));
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'column-chooser-toggle');

  // Export by keyboard: the filtered events as CSV.
  await tabTo(page, '[data-testid=export-csv]');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert.equal(csv.length, writes + 1, 'a header and one line per filtered event');
  assert.deepEqual(problems, []);
});

test('the workspace and the resources facet by keyboard alone: keep, filter on a resource, restore, clear', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const { page, ts, problems } = await openIn(context, server.url);
  const bar = '[data-testid=workspace-bar]';

  // Keeping is a checkbox: Space ticks it.
  await tabTo(page, '[data-testid=workspace-keep]');
  await page.keyboard.press('Space');
  await page.locator(`${bar}[data-keeping=true]`).waitFor({ state: 'attached' });
  await chooseFilesByKeyboard(page, ts, trailFiles, { back: true });
  const events = await ts.eventCount();
  await page.locator(`${bar}[data-kept-events="${events}"]`).waitFor({ state: 'attached' });

  // The resources facet closes the facets column, just before the table: from the table (past
  // the skip link), Shift+Tab reaches its count button, then its most common value; Enter on each.
  await page.locator('[data-testid=resources-facet-count]').waitFor();
  await tabTo(page, '[data-testid=skip-to-table]');
  await page.keyboard.press('Enter');
  await tabTo(page, '[data-testid=resources-facet-count]', { back: true });
  await page.keyboard.press('Enter');
  const values = page.locator('[data-testid=resources-facet] [data-testid=facet][data-field=resource] [data-testid=facet-value]');
  await values.first().waitFor();
  const listed = await values.evaluateAll((els) => els.map((e) => [e.dataset.value, Number(e.dataset.count)]));
  const [resource, n] = listed[0];
  assert.equal(n, Math.max(...listed.map(([, count]) => count)), `the most common value first: ${JSON.stringify(listed)}`);
  await page.locator('[data-testid=event-table]').focus();
  await tabTo(page, `[data-testid=resources-facet] [data-testid=facet-value][data-value=${JSON.stringify(resource)}] button`, { back: true });
  await page.keyboard.press('Enter');
  await ts.waitForCount(n);
  const filter = await page.locator('[data-testid=filter-input]').inputValue();
  assert.match(filter, /^resource:/);
  await page.close();

  // A new tab offers the restore; Tab reaches it and Enter restores the events and the filter.
  const { page: second, ts: restored, problems: secondProblems } = await openIn(context, server.url);
  await second.locator('[data-testid=workspace-restore-banner]').waitFor();
  await tabTo(second, '[data-testid=workspace-restore]');
  await second.keyboard.press('Enter');
  await restored.waitForLoad(0, 60_000);
  assert.equal(await restored.eventCount(), events);
  assert.equal(await second.locator('[data-testid=filter-input]').inputValue(), filter);
  await restored.waitForCount(n);

  // Deleting asks first, and the question is answered by keyboard: "Keep it", then "Delete".
  await tabTo(second, '[data-testid=workspace-clear]');
  await second.keyboard.press('Enter');
  await second.locator('[data-testid=workspace-confirm]').waitFor();
  await tabTo(second, '[data-testid=workspace-clear-cancel]');
  await second.keyboard.press('Enter');
  await second.locator('[data-testid=workspace-confirm]').waitFor({ state: 'detached' });
  assert.equal(await second.locator(bar).getAttribute('data-kept-events'), String(events));
  await tabTo(second, '[data-testid=workspace-clear]', { back: true });
  await second.keyboard.press('Enter');
  await tabTo(second, '[data-testid=workspace-clear-confirm]');
  await second.keyboard.press('Enter');
  await second.locator(`${bar}[data-kept-events="0"][data-keeping=true]`).waitFor({ state: 'attached' });
  assert.deepEqual([...problems, ...secondProblems], []);
  await context.close();
});

/** axe-core's serious and critical violations on the page as it is now. */
async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  return result;
}

test('axe-core finds no serious or critical violation on any view', async () => {
  // axe is injected as a script: the page's strict policy would refuse it, so this page
  // bypasses its CSP (csp.test.mjs checks the policy itself).
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  await page.goto(server.url);
  const ts = new TrailscopePage(page);
  await ts.ready();
  const found = {};
  found['start'] = await violations(page);

  const signed = signedTrail({ hours: 2, logsPerHour: 2, eventsPerLog: 10 });
  await ts.trustKeys([path.join(signed, 'public-keys.json')]);
  await ts.upload([...trailFiles, ...filesUnder(signed).filter((f) => !f.endsWith('public-keys.json'))]);
  // Events with an event open.
  await page.locator('[data-testid=result-row] [data-testid=cell-time]').first().click();
  await page.locator('[data-testid=record-json]').waitFor();
  found['events'] = await violations(page);
  await page.click('[data-testid=case-pin]');
  for (const tab of ['findings', 'anomalies', 'integrity', 'case']) {
    await page.click(`[data-testid=tab-${tab}]`);
    await page.waitForTimeout(300);
    found[tab] = await violations(page);
  }
  await page.click('[data-testid=tab-sql]');
  await page.waitForFunction(() => /ready to query/.test(document.querySelector('[data-testid=sql-status]')?.textContent ?? ''), null, { timeout: 120_000 });
  await page.fill('[data-testid=sql-editor]', 'SELECT eventName, count(*) AS calls FROM events GROUP BY 1 ORDER BY 2 DESC');
  await page.click('[data-testid=sql-run]');
  await page.locator('[data-testid=sql-summary]').waitFor({ timeout: 60_000 });
  found['sql'] = await violations(page);
  const bad = Object.entries(found).filter(([, v]) => v.length > 0);
  assert.deepEqual(bad, [], JSON.stringify(Object.fromEntries(bad), null, 2));
  await page.close();
});
