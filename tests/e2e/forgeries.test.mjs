// Every forged trail of the adversarial generator (`trailscope-gen forgeries`) through the page,
// as a user would check it: the genuine keys given as trusted, the whole evidence folder
// dropped (planted key lists and sidecars included), in normal and in verify-only mode.
// Nothing forged may ever read as verified, and no forged trail may read as intact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launch, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { DIST, ROOT } from './lib/fixtures.mjs';
import { TrailscopePage } from './lib/trailscope-page.mjs';

const GEN = process.env.TRAILSCOPE_GEN ?? path.join(ROOT, 'target/release/trailscope-gen');
const SHOTS = path.join(ROOT, 'tests/e2e/results');

let server;
let browser;
let casesDir;
let cases;

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ root: DIST });
  browser = await launch();
  casesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-forgeries-'));
  execFileSync(GEN, ['forgeries', casesDir], { stdio: ['ignore', 'ignore', 'inherit'] });
  cases = fs.readdirSync(casesDir).sort().map((name) => {
    const dir = path.join(casesDir, name);
    const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
    // The page takes a sidecar among the dropped files: put the user's beside the bucket.
    const evidence = path.join(dir, 'evidence');
    if (fs.existsSync(path.join(dir, 'signatures.json'))) {
      fs.copyFileSync(path.join(dir, 'signatures.json'), path.join(evidence, 'user-signatures.json'));
    }
    return { name, dir, evidence, expected };
  });
  assert.ok(cases.length >= 15, `${cases.length} cases`);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function check(c, verifyOnly) {
  const { page, problems } = await openPage(browser, server.url);
  const ts = new TrailscopePage(page);
  await ts.trustKeys([path.join(c.dir, 'trusted-keys.json')]);
  if (verifyOnly) await page.locator('[data-testid=verify-only]').check();
  await ts.uploadFolder(c.evidence);
  const summary = await ts.verifySummary();
  const label = `${c.name}${verifyOnly ? ' (verify-only)' : ''}`;
  assert.notEqual(summary.overall, 'intact', label);
  assert.notEqual(summary.verdict, 'intact', label);
  const headline = await page.locator('[data-testid=verify-headline]').textContent();
  assert.doesNotMatch(headline, /^Intact/, label);
  const banner = await page.locator('[data-testid=integrity-banner]').getAttribute('data-overall');
  assert.notEqual(banner, 'intact', label);
  const rows = await ts.verifyRows();
  for (const key of c.expected.not_valid) {
    const matching = rows.filter((r) => r.uri.endsWith(`/${key}`));
    assert.ok(matching.every((r) => r.status !== 'valid'), `${label}: ${key} reads valid`);
  }
  for (const { key, verdict } of c.expected.verdicts) {
    const row = rows.find((r) => r.uri.endsWith(`/${key}`));
    assert.ok(row, `${label}: no row for ${key}`);
    assert.equal(row.verdict, verdict, `${label}: ${key}`);
  }
  const kinds = await page.locator('[data-testid=verify-finding]').evaluateAll((f) => f.map((x) => x.dataset.kind));
  // A shadow copy needs the events read; verify-only mode hashes log files instead.
  const findings = verifyOnly ? c.expected.findings.filter((k) => k !== 'event_conflict') : c.expected.findings;
  for (const kind of findings) assert.ok(kinds.includes(kind), `${label}: no ${kind} in ${kinds.join(',')}`);
  if (!verifyOnly) {
    await page.locator('[data-testid=tab-events]').click();
    for (const id of c.expected.forged_event_ids) {
      await ts.filter(`eventID:"${id}" integrity:verified`);
      assert.equal(await ts.resultCount(), 0, `${label}: forged event ${id} reads as verified`);
    }
  }
  assert.deepEqual(problems, [], label);
  return page;
}

test('no forged trail reads as intact, and no forged event as verified', async () => {
  for (const c of cases) {
    const page = await check(c, false);
    if (c.name === 'planted_keys_with_sidecar') {
      await page.locator('[data-testid=tab-integrity]').click();
      await page.screenshot({ path: path.join(SHOTS, 'forgery-planted-keys.png'), fullPage: true });
    }
    await page.close();
  }
});

test('in verify-only mode too', async () => {
  for (const c of cases) {
    const page = await check(c, true);
    await page.close();
  }
});

test('a shadow copy of a verified event is shown as a conflict, the verified copy first', async () => {
  const c = cases.find((x) => x.name === 'shadow_copy_in_unsigned_file');
  const { page } = await openPage(browser, server.url);
  const ts = new TrailscopePage(page);
  await ts.trustKeys([path.join(c.dir, 'trusted-keys.json')]);
  await ts.uploadFolder(c.evidence);
  await ts.verifySummary();
  assert.equal(await ts.number('conflict-count'), 1);
  await page.locator('[data-testid=tab-events]').click();
  await ts.filter('conflict:true');
  assert.equal(await ts.resultCount(), 1);
  await page.waitForFunction(() => document.querySelector('[data-testid=cell-integrity]')?.textContent.includes('conflict'));
  assert.match(await page.locator('[data-testid=cell-integrity]').first().textContent(), /verified · conflict/);
  await page.locator('[data-testid=result-row] [data-testid=cell-time]').first().click();
  await page.locator('[data-testid=event-copies]').waitFor();
  const copies = await page.locator('[data-testid=event-copy]').evaluateAll((l) => l.map((x) => ({
    shown: x.dataset.shown, integrity: x.dataset.integrity, text: x.textContent,
  })));
  assert.equal(copies.length, 2, JSON.stringify(copies, null, 1));
  assert.equal(copies[0].shown, 'true');
  assert.equal(copies[0].integrity, 'verified');
  assert.equal(copies[1].shown, 'false');
  assert.match(copies[1].text, /lookup-events\.json/);
  const paths = await page.locator('[data-testid=event-copy-difference]').evaluateAll((l) => l.map((x) => x.dataset.path));
  assert.ok(paths.includes('sourceIPAddress'), paths.join(','));
  assert.equal(await page.locator('[data-testid=record-integrity]').getAttribute('data-integrity'), 'verified');
  await page.screenshot({ path: path.join(SHOTS, 'forgery-shadow-copy.png'), fullPage: true });
  await page.close();
});
