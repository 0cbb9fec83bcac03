// Integrity verification through the page: a signed trail made by the Rust generator with test
// keys, dropped as a folder, verified in the worker; then the same trail tampered with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { launch, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { DIST, ROOT, signedTrail, filesUnder } from './lib/fixtures.mjs';
import { TrailscopePage } from './lib/trailscope-page.mjs';

const HOURS = 4;
const LOGS_PER_HOUR = 3;
const SHOTS = path.join(ROOT, 'tests/e2e/results');

let server;
let browser;
let trailDir;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: build the page first');
  fs.mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ root: DIST });
  browser = await launch();
  trailDir = signedTrail({ hours: HOURS, logsPerHour: LOGS_PER_HOUR, eventsPerLog: 20 });
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

/** A copy of the generated trail to damage. */
function copyOfTrail() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-tampered-'));
  fs.cpSync(trailDir, dir, { recursive: true });
  return dir;
}

test('a signed trail verifies in the page with the keys given as trusted, and every event says so', async () => {
  const { page, problems, ts } = await open();
  await ts.trustKeys([path.join(trailDir, 'public-keys.json')]);
  await ts.uploadFolder(trailDir);
  const summary = await ts.verifySummary();
  assert.equal(summary.verdict, 'intact');
  assert.equal(summary.overall, 'intact');
  assert.equal(summary.digestsValid, HOURS);
  assert.equal(summary.digestsInvalid, 0);
  assert.equal(summary.logsValid, HOURS * LOGS_PER_HOUR);
  assert.equal(summary.logsNotCovered, 0);
  const rows = await ts.verifyRows();
  assert.equal(rows.length, HOURS + HOURS * LOGS_PER_HOUR);
  assert.ok(rows.every((r) => r.status === 'valid' && r.verdict === 'valid'), JSON.stringify(rows.slice(0, 3)));
  // The trusted keys count; the key list inside the dropped folder is evidence, listed and not used.
  assert.match(await page.locator('[data-testid=verify-inputs]').textContent(), /4 digest files · .* · 2 trusted keys · 1 signature file/);
  const findingKinds = await page.locator('[data-testid=verify-finding]').evaluateAll((f) => f.map((x) => x.dataset.kind));
  assert.ok(findingKinds.includes('evidence_key_list'), findingKinds.join(','));
  const keyRows = await page.locator('[data-testid=trusted-key-row]').evaluateAll((r) => r.map((x) => x.dataset.status));
  assert.deepEqual(keyRows, ['trusted', 'trusted']);
  // The table refreshes its rows once the report is in.
  await page.locator('[data-testid=tab-events]').click();
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('[data-testid=cell-integrity]')];
    return cells.length > 0 && cells.every((c) => c.textContent !== '—');
  });
  const integrity = await page.locator('[data-testid=cell-integrity]').allTextContents();
  assert.ok(integrity.length > 0 && integrity.every((i) => i === 'verified'), integrity.join(','));
  assert.match(await page.locator('[data-testid=integrity-banner]').textContent(), /4 digests and 12 log files verified/);

  // The JSON report downloads and lists every file.
  await page.locator('[data-testid=tab-integrity]').click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('[data-testid=verify-download-json]').click(),
  ]);
  const report = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.equal(report.results.length, rows.length);
  assert.ok(report.run.inputs.length > rows.length, 'the report records every input with its SHA-256');
  assert.match(report.run.inputs[0].sha256, /^[0-9a-f]{64}$/);

  // A case and an analyst go on the printable report, right under its one-line verdict.
  await page.locator('[data-testid=verify-case]').fill('IR-2024-017 <draft>');
  await page.locator('[data-testid=verify-analyst]').fill('Dana Whit');
  await page.locator('[data-testid=verify-run]').click();
  // The page's verdict box names them once the report is in.
  await page.waitForFunction(() => document.querySelector('[data-testid=verify-case-line]')?.textContent === 'Case IR-2024-017 <draft> · Analyst Dana Whit');
  const [printable] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('[data-testid=verify-download-html]').click(),
  ]);
  const html = fs.readFileSync(await printable.path(), 'utf8');
  const verdictAt = html.indexOf('class="verdict ok" data-overall="intact"');
  const caseAt = html.indexOf('<p class="case">Case <strong data-field="case">IR-2024-017 &lt;draft&gt;</strong> · Analyst <strong data-field="analyst">Dana Whit</strong></p>');
  assert.ok(verdictAt > 0 && caseAt > verdictAt, `verdict at ${verdictAt}, case at ${caseAt}`);

  // An export's manifest records each source file as verified, with its hash.
  await page.locator('[data-testid=tab-events]').click();
  const events = await ts.resultCount();
  await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export-csv]').click()]);
  const [manifestFile] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export-manifest]').click()]);
  const manifest = JSON.parse(fs.readFileSync(await manifestFile.path(), 'utf8'));
  assert.equal(manifest.events, events);
  assert.equal(manifest.integrity.verified, events);
  assert.ok(manifest.sources.length > 0 && manifest.sources.every((s) => s.integrity === 'verified' && /^[0-9a-f]{64}$/.test(s.sha256)), JSON.stringify(manifest.sources[0]));
  assert.match(manifest.integrity_note, /trusted/);
  await page.locator('[data-testid=tab-integrity]').click();
  await page.screenshot({ path: path.join(SHOTS, 'verify-intact.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a changed log file and a deleted digest are caught', async () => {
  const dir = copyOfTrail();
  const files = filesUnder(dir);
  const logs = files.filter((f) => f.endsWith('.json.gz') && !f.includes('CloudTrail-Digest'));
  const digests = files.filter((f) => f.includes('CloudTrail-Digest')).sort();
  // One event's name changes; the file is still valid gzip and valid JSON.
  const victim = logs[1];
  const text = zlib.gunzipSync(fs.readFileSync(victim)).toString('utf8');
  const changed = text.replace(/"eventName":"(\w)/, (_, c) => `"eventName":"${c === 'X' ? 'Y' : 'X'}`);
  assert.notEqual(changed, text);
  fs.writeFileSync(victim, zlib.gzipSync(changed));
  // A digest in the middle of the chain disappears.
  fs.rmSync(digests[1]);

  const { page, ts } = await open();
  await ts.trustKeys([path.join(trailDir, 'public-keys.json')]);
  await ts.uploadFolder(dir);
  const summary = await ts.verifySummary();
  assert.equal(summary.verdict, 'invalid');
  assert.ok(summary.logsInvalid >= 1);
  const rows = await ts.verifyRows();
  const bad = rows.find((r) => r.uri.endsWith(path.basename(victim)));
  assert.ok(bad, 'the changed log has a row');
  assert.equal(bad.status, 'invalid');
  assert.equal(bad.verdict, "INVALID: hash value doesn't match");
  const kinds = await page.locator('[data-testid=verify-finding]').evaluateAll((f) => f.map((x) => x.dataset.kind));
  assert.ok(kinds.includes('digest_missing'), kinds.join(','));
  // The changed file's events are marked in the table, and no event of it reads as verified.
  const headline = await page.locator('[data-testid=verify-headline]').textContent();
  assert.match(headline, /INVALID/);
  await page.screenshot({ path: path.join(SHOTS, 'verify-tampered.png'), fullPage: true });
  await page.close();
});

test('without a signature file the chain vouches for all but the newest digest', async () => {
  const dir = copyOfTrail();
  fs.rmSync(path.join(dir, 'signatures.json'));
  const { page, ts } = await open();
  await ts.trustKeys([path.join(trailDir, 'public-keys.json')]);
  await ts.uploadFolder(dir);
  let summary = await ts.verifySummary();
  assert.equal(summary.verdict, 'incomplete');
  assert.equal(summary.digestsValid, HOURS - 1);
  assert.equal(summary.digestsUnverifiable, 1);
  assert.equal(summary.digestsInvalid, 0);

  // aws-cli's verdicts: a digest with no signature in S3 metadata fails.
  await page.locator('[data-testid=verify-aws-cli]').check();
  await page.locator('[data-testid=verify-run]').click();
  await page.locator('[data-testid=verify-summary][data-verdict=invalid]').waitFor();
  summary = await ts.verifySummary();
  assert.equal(summary.digestsValid, 0);
  // ... which is missing metadata, not tampering: said so, and not in tampering's red.
  const banner = page.locator('[data-testid=integrity-banner]');
  assert.match(await banner.textContent(), /^Integrity: Not verified: no signature was supplied for \d+ digests/);
  assert.doesNotMatch(await banner.textContent(), /Tampering/);
  assert.equal(await banner.evaluate((e) => e.classList.contains('invalid')), false);
  assert.equal(await page.locator('[data-testid=verify-summary]').evaluate((e) => e.classList.contains('incomplete')), true);
  assert.match(await page.textContent('[data-testid=tab-integrity]'), /not proven/);
  await page.close();
});

test('verify-only mode hashes log files without reading their events, with the same verdicts', async () => {
  const dir = copyOfTrail();
  const files = filesUnder(dir);
  const victim = files.filter((f) => f.endsWith('.json.gz') && !f.includes('CloudTrail-Digest'))[2];
  // A truncated log file: aws-cli hashes what decompresses, which no longer matches.
  const bytes = fs.readFileSync(victim);
  fs.writeFileSync(victim, bytes.subarray(0, bytes.length - 40));
  const { page, ts } = await open();
  await ts.trustKeys([path.join(trailDir, 'public-keys.json')]);
  await page.locator('[data-testid=verify-only]').check();
  await ts.uploadFolder(dir);
  // The verdict is shown by itself: the Integrity tab opens, the Events tab has no count of 0.
  await page.locator('[data-testid=tab-integrity][aria-selected=true]').waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('[data-testid=tab-events] .tab-badge').count(), 0);
  const summary = await ts.verifySummary();
  assert.equal(summary.verdict, 'invalid');
  assert.equal(summary.digestsValid, HOURS);
  assert.equal(summary.logsValid, HOURS * LOGS_PER_HOUR - 1);
  assert.equal(summary.logsInvalid, 1);
  // No page of zeros: the summary says that events were not read, and how many files were hashed.
  assert.equal(await page.locator('[data-testid=event-count]').count(), 0);
  const note = await page.locator('[data-testid=verify-only-summary]').textContent();
  assert.match(note, new RegExp(`Verify-only load: ${HOURS * LOGS_PER_HOUR} log files hashed and ${HOURS} digests read`));
  const kinds = new Set((await ts.fileRows()).map((r) => r.kind));
  assert.ok(kinds.has('hashed_only') && kinds.has('cloudtrail_digest') && kinds.has('cloudtrail_public_keys'), [...kinds].join(','));
  const rows = await ts.verifyRows();
  const bad = rows.find((r) => r.uri.endsWith(path.basename(victim)));
  assert.equal(bad.verdict, "INVALID: hash value doesn't match");
  await page.close();
});

test('without trusted keys nothing is verified, whatever key list the files bring', async () => {
  const { page, ts } = await open();
  // The folder holds its own public-keys.json: it must not count.
  await ts.uploadFolder(trailDir);
  const summary = await ts.verifySummary();
  assert.equal(summary.overall, 'unproven');
  assert.equal(summary.digestsValid, 0);
  assert.equal(summary.logsValid, 0);
  assert.match(await page.locator('[data-testid=verify-headline]').textContent(), /no trusted public keys/);
  await page.locator('[data-testid=verify-needs-keys]').waitFor();
  assert.match(await page.locator('[data-testid=verify-keys-command]').textContent(), /aws cloudtrail list-public-keys --start-time \S+ --end-time \S+ --region us-east-1/);
  // No event reads as verified.
  await page.locator('[data-testid=tab-events]').click();
  await ts.filter('integrity:verified');
  assert.equal(await ts.resultCount(), 0);
  // Keys given afterwards: the trail is judged again, and verifies.
  await ts.trustKeys([path.join(trailDir, 'public-keys.json')]);
  await page.locator('[data-testid=verify-summary][data-overall=intact]').waitFor({ state: 'attached' });
  // Remembered for the session: a reload keeps them.
  await page.reload();
  await ts.ready();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=trusted-keys]')?.dataset.keys) === 2);
  await page.close();
});
