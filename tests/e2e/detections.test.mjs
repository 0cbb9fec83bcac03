// Detections as an analyst meets them: on a generated week with planted attacks, the Anomalies
// view opens with the planted exfiltration, privilege escalation and root bucket-policy change
// (and nothing else above them), renders a page of cards at a time without blocking the page,
// and a card opens its events; in Findings, rules can be turned off and run alone, and the
// counts agree with the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { launch, mainThreadSlowdown, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { DIST, ROOT, attackScenario, filesUnder } from './lib/fixtures.mjs';
import { TrailscopePage } from './lib/trailscope-page.mjs';

const CLI = process.env.TRAILSCOPE_CLI ?? path.join(ROOT, 'target/release/trailscope');
const SHOTS = path.join(ROOT, 'tests/e2e/results');
// The longest main-thread task allowed while the anomaly views open and page, scaled by the
// machine's speed (mainThreadSlowdown). Here no task reached 50 ms (the long-task threshold);
// CI once saw a single 67 ms task, with the page idle otherwise (a collection or the system
// preempting the main thread, which the calibration does not see), so the budget leaves room
// for one such pause and still fails a view that renders its cards in one task.
const LONG_TASK_BUDGET_MS = 80;
const PLANTED = [
  'arn:aws:iam::111122223333:user/carol',
  'arn:aws:iam::111122223333:user/dave',
  'arn:aws:iam::111122223333:root',
];

let server;
let browser;
let dir;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: build the page first');
  fs.mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ root: DIST });
  browser = await launch();
  dir = attackScenario();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the anomalies view opens with the planted attacks, ranked first, and a card opens its events', async () => {
  const { page, problems } = await openPage(browser, server.url);
  const ts = new TrailscopePage(page);
  await ts.upload(filesUnder(dir), { timeout: 120_000 });
  // Detection has finished when the tab shows its count.
  await page.locator('[data-testid=tab-anomalies] .tab-badge').waitFor({ timeout: 60_000 });
  // Let the replies that follow a load (events, facets, timeline) land first.
  await page.waitForTimeout(1000);
  const machine = await mainThreadSlowdown(page);
  // Long tasks on the main thread while the view opens.
  await page.evaluate(() => {
    window.__long = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); })
      .observe({ type: 'longtask', buffered: false });
  });
  await page.locator('[data-testid=tab-anomalies]').click();
  const cards = page.locator('[data-testid=anomaly-list] > article');
  await cards.first().waitFor({ timeout: 60_000 });
  const top = await cards.evaluateAll((list) => list.slice(0, 3).map((c) => ({
    entity: c.dataset.entity ?? '', kind: c.dataset.kind ?? '', text: c.textContent,
  })));
  const about = (card, who) => card.entity === who || card.text.includes(who);
  for (const who of PLANTED) {
    assert.ok(top.some((c) => about(c, who)), `${who} is in the top three: ${JSON.stringify(top.map((c) => c.entity))}`);
  }
  // No card of the periodic failing process or the nightly backup anywhere.
  const all = await cards.evaluateAll((list) => list.map((c) => c.textContent));
  assert.ok(!all.some((t) => t.includes('log-shipper')), 'periodic process raised a card');
  assert.ok(!all.some((t) => t.includes('backup-role')), 'nightly backup raised a card');
  const longest = Math.max(0, ...(await page.evaluate(() => window.__long)));
  const budget = LONG_TASK_BUDGET_MS * machine.factor;
  console.log(`anomalies view: ${all.length} cards, longest main-thread task while opening ${longest.toFixed(0)} ms (budget ${budget.toFixed(0)} ms: this machine's calibration ${machine.ms.toFixed(1)} ms)`);
  assert.ok(longest <= budget, `a ${longest} ms task blocked the page while the view opened (budget ${budget.toFixed(0)} ms)`);

  // The exfiltration card names the volume and opens its events.
  const exfil = page.locator(`[data-testid=behaviour-row][data-entity="${PLANTED[0]}"]`);
  assert.match(await exfil.locator('[data-testid=behaviour-volumes]').textContent(), /GetObject\s*1,200/);
  await page.screenshot({ path: path.join(SHOTS, 'anomalies-ranked.png'), fullPage: false });
  await exfil.locator('[data-testid=anomaly-open]').click();
  await page.locator('[data-testid=tab-events].active').waitFor();
  const filter = await page.locator('[data-testid=filter-input]').inputValue();
  assert.match(filter, /userIdentity\.arn:/);
  assert.match(filter, /time:2024-03-06T14:00:00Z\.\.2024-03-06T14:59:59\.999Z/);
  const opened = await ts.resultCount();
  assert.ok(opened >= 1500, `${opened} events opened (1,200 reads and 300 decrypts at least)`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('rules can be turned off and run alone, and the counts are the CLI\'s', async () => {
  const { page } = await openPage(browser, server.url);
  const ts = new TrailscopePage(page);
  await ts.upload(filesUnder(dir), { timeout: 120_000 });
  await page.locator('[data-testid=tab-findings]').click();
  const row = (rule) => page.locator(`[data-testid=finding-row][data-rule="${rule}"]`);
  await row('cis-4.8').waitFor({ timeout: 60_000 });
  const cli = JSON.parse(execFileSync(CLI, ['detect', '--json', '--exclude', 'cis-4.1', dir], { encoding: 'utf8', maxBuffer: 256 << 20 }));
  // Turn cis-4.1 off: it is gone, it shows among the turned-off rules, the rest is unchanged.
  await row('cis-4.1').locator('[data-testid=finding-exclude]').click();
  await row('cis-4.1').waitFor({ state: 'detached' });
  assert.match(await page.locator('[data-testid=rules-excluded]').textContent(), /cis-4\.1/);
  const rows = await page.locator('[data-testid=finding-row]').evaluateAll((r) => r.map((x) => ({ rule: x.dataset.rule, events: Number(x.dataset.events) })));
  const byRule = new Map(cli.findings.map((f) => [f.rule, f.events]));
  for (const r of rows) assert.equal(r.events, byRule.get(r.rule) ?? 0, r.rule);
  // Each finding says when and who, as the CLI does: first and last seen, the top principals.
  const spreads = await page.locator('[data-testid=finding-row]').evaluateAll((r) => r.map((x) => {
    const s = x.querySelector('[data-testid=finding-spread]');
    return { rule: x.dataset.rule, first: s?.dataset.firstSeen, last: s?.dataset.lastSeen,
      principals: s?.querySelector('[data-testid=finding-principals]')?.textContent ?? '' };
  }));
  const matched = spreads.filter((s) => (byRule.get(s.rule) ?? 0) > 0);
  assert.ok(matched.length > 0);
  for (const s of matched) {
    const f = cli.findings.find((x) => x.rule === s.rule);
    assert.equal(s.first, f.first_seen, s.rule);
    assert.equal(s.last, f.last_seen, s.rule);
    if (f.top_principals.length > 0) {
      assert.ok(s.principals.includes(`${f.top_principals[0].value} (${f.top_principals[0].events})`), `${s.rule}: ${s.principals}`);
    }
  }
  // What it finds and what to do: folded under the title, the CLI's texts, opened by a click.
  const about = row('cis-4.8').locator('[data-testid=finding-about]');
  assert.equal(await about.evaluate((d) => d.open), false, 'folded at first');
  await about.locator('summary').click();
  const f48 = cli.findings.find((x) => x.rule === 'cis-4.8');
  assert.ok(f48.remediation.length > 40, 'detect --json carries the remediation');
  assert.equal(await about.locator('[data-testid=finding-description]').textContent(), f48.description);
  assert.equal(await about.locator('[data-testid=finding-remediation]').textContent(), `What to do: ${f48.remediation}`);
  assert.ok(await about.locator('a[href^="https://"]').count() > 0, 'references are links');
  // Run only two rules (an alias works).
  await page.locator('[data-testid=rules-only]').fill('cis-v6-5.3 cis-4.8');
  await page.locator('[data-testid=rules-only]').press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=finding-row]').length === 2);
  // An unknown id is reported, not silently ignored.
  await page.locator('[data-testid=rules-only]').fill('cis-9.9');
  await page.locator('[data-testid=rules-only]').press('Enter');
  await page.locator('[data-testid=rule-errors]').waitFor();
  assert.match(await page.locator('[data-testid=rule-errors]').textContent(), /cis-9\.9/);
  // Turn cis-4.1 back on.
  await page.locator('[data-testid=rules-only]').fill('');
  await page.locator('[data-testid=rules-only]').press('Enter');
  await page.locator('[data-testid=rule-back-on]').click();
  await row('cis-4.1').waitFor();
  await page.close();
});

test('many anomalies render a page of cards at a time, without blocking the page', async () => {
  // 25 APIs, each steady for nine hours and then bursting once: 25 cards.
  const tmp = fs.mkdtempSync(path.join(path.dirname(dir), 'trailscope-many-'));
  const start = Date.parse('2024-03-01T00:00:00Z');
  const records = [];
  let n = 0;
  for (let api = 0; api < 25; api++) {
    for (let m = 0; m < 540; m++) {
      const calls = m >= 500 + api && m < 505 + api ? 30 : 1;
      for (let i = 0; i < calls; i++) {
        records.push({
          eventVersion: '1.09', eventID: `e-${n++}`,
          eventTime: new Date(start + m * 60_000 + i * 1000).toISOString().replace('.000', ''),
          eventSource: 'ec2.amazonaws.com', eventName: `CreateThing${api}`, awsRegion: 'us-east-1',
          readOnly: false, managementEvent: true, eventType: 'AwsApiCall', sourceIPAddress: '198.51.100.7',
          userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/ci', accountId: '111122223333' },
        });
      }
    }
  }
  const file = path.join(tmp, 'many.json');
  fs.writeFileSync(file, JSON.stringify({ Records: records }));
  const { page } = await openPage(browser, server.url);
  const ts = new TrailscopePage(page);
  await ts.upload([file]);
  await page.locator('[data-testid=tab-anomalies] .tab-badge').waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('[data-testid=tab-anomalies] .tab-badge').textContent(), '25');
  await page.waitForTimeout(1000);
  const machine = await mainThreadSlowdown(page);
  await page.evaluate(() => {
    window.__long = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); })
      .observe({ type: 'longtask', buffered: false });
  });
  await page.locator('[data-testid=tab-anomalies]').click();
  const cards = page.locator('[data-testid=anomaly-list] > article');
  await cards.first().waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=anomaly-list] > article').length === 10);
  await page.waitForTimeout(300);
  assert.equal(await cards.count(), 10);
  await page.locator('[data-testid=anomalies-more]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=anomaly-list] > article').length === 20);
  // A mark on the overview far down the list renders the cards up to it and scrolls there.
  await page.locator('[data-testid=anomaly-overview] rect.mark').nth(24).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=anomaly-list] > article').length === 25);
  // ...and the list is scrolled to that card once it exists.
  await page.waitForFunction(() => {
    const card = document.getElementById('anomaly-24');
    const r = card?.getBoundingClientRect();
    return r && r.top >= 0 && r.top < window.innerHeight;
  });
  const longest = Math.max(0, ...(await page.evaluate(() => window.__long)));
  const budget = LONG_TASK_BUDGET_MS * machine.factor;
  console.log(`25 anomalies: longest main-thread task while opening and paging ${longest.toFixed(0)} ms (budget ${budget.toFixed(0)} ms: this machine's calibration ${machine.ms.toFixed(1)} ms)`);
  assert.ok(longest <= budget, `a ${longest} ms task blocked the page (budget ${budget.toFixed(0)} ms)`);
  await page.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});
