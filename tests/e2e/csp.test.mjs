// The page's Content-Security-Policy holds: an injected inline handler or script does not run,
// a form cannot post anywhere, a <base> cannot redirect the page's URLs, and the workers (started
// from the page's own folder) still load files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

import { launch, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { DIST, fixtures, filesUnder } from './lib/fixtures.mjs';
import { TrailscopePage } from './lib/trailscope-page.mjs';

let server;
let browser;
let catcher;
const caught = [];

before(async () => {
  server = await startServer({ root: DIST });
  browser = await launch();
  // A host an injected form would post to: it must never hear from the page.
  catcher = http.createServer((req, res) => {
    caught.push(`${req.method} ${req.url}`);
    res.end('ok');
  });
  await new Promise((resolve) => catcher.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((resolve) => catcher.close(resolve));
});

test('the policy is strict: no inline script but the loader, no plugins, no <base>, no form posts', async () => {
  const html = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)[1];
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.ok(!directives['script-src'].includes("'unsafe-inline'"), csp);
  assert.ok(!directives['script-src'].includes('blob:'), csp);
  assert.ok(directives['script-src'].some((s) => /^'sha256-[A-Za-z0-9+/=]+'$/.test(s)), csp);
  assert.deepEqual(directives['worker-src'], ["'self'"]);
  assert.deepEqual(directives['object-src'], ["'none'"]);
  assert.deepEqual(directives['base-uri'], ["'none'"]);
  assert.deepEqual(directives['form-action'], ["'none'"]);
  assert.ok(!csp.includes('trunk-inline-script'), 'the build hook replaced the placeholder');
});

test('injected handlers, scripts, forms and <base> are blocked', async () => {
  const { page, problems } = await openPage(browser, server.url);
  const ts = new TrailscopePage(page);
  await ts.ready();
  await page.evaluate(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective));
  });
  const target = `http://127.0.0.1:${catcher.address().port}/steal`;
  const before = await page.evaluate(() => document.baseURI);
  await page.evaluate((action) => {
    // What an attacker's markup would try, if it ever reached the DOM.
    document.body.insertAdjacentHTML('beforeend', '<img id="x1" src="does-not-exist.png" onerror="window.__pwned = 1">');
    document.body.insertAdjacentHTML('beforeend', '<button id="x2" onclick="window.__pwned = 2">x</button>');
    const s = document.createElement('script');
    s.textContent = 'window.__pwned = 3';
    document.body.appendChild(s);
    const base = document.createElement('base');
    base.href = 'http://evil.example/';
    document.head.appendChild(base);
    document.body.insertAdjacentHTML('beforeend', `<form id="x3" action="${action}" method="post"><input name="a" value="1"></form>`);
  }, target);
  await page.locator('#x2').click();
  await page.evaluate(() => document.getElementById('x3').submit());
  await page.waitForFunction(() => window.__violations.length >= 4);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.evaluate(() => document.baseURI), before);
  const violated = await page.evaluate(() => window.__violations);
  assert.ok(violated.some((d) => d.startsWith('script-src')), violated.join(','));
  assert.ok(violated.includes('form-action'), violated.join(','));
  assert.ok(violated.includes('base-uri'), violated.join(','));
  // Give a posted form time to arrive, were it not blocked.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(caught, []);
  // The violations above are the only console noise.
  assert.ok(problems.every((p) => /Content Security Policy|does-not-exist|404/.test(p)), problems.join('\n'));
  await page.close();
});

test('under the policy the workers start from the page\'s folder and read files', async () => {
  const { page, problems } = await openPage(browser, server.url);
  const ts = new TrailscopePage(page);
  const fx = fixtures();
  const log = filesUnder(path.join(fx.dir, 'trail')).find((p) => p.includes('Fixture00000001'));
  await ts.upload([log]);
  assert.equal(await ts.eventCount(), 60);
  assert.deepEqual(problems, []);
  await page.close();
});
