// The README's front door: its serve command and its hosting instructions, run exactly as
// written, then used as a first-time user would (open the page, drop a file, read the count).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { launch, openPage } from './lib/browser.mjs';
import { ROOT, fixtures, filesUnder } from './lib/fixtures.mjs';
import { TrailscopePage } from './lib/trailscope-page.mjs';
import { readmeCommand, freePort, startCommand, runCommand } from './lib/readme.mjs';

let browser;
let fx;

before(async () => {
  browser = await launch();
  fx = fixtures();
});

after(async () => {
  await browser?.close();
});

/** A GET with the path sent byte for byte (no URL normalisation), for traversal attempts. */
function rawGet(port, rawPath) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens `url`, drops one fixture log file (60 events) and returns the event count shown. */
async function dropOneFile(url) {
  const { page, problems, foreignRequests } = await openPage(browser, url);
  const ts = new TrailscopePage(page);
  await ts.ready();
  const log = filesUnder(path.join(fx.dir, 'trail')).find((p) => p.includes('Fixture00000001'));
  await ts.drop([log]);
  const count = await ts.eventCount();
  await page.close();
  return { count, problems, foreignRequests };
}

test("the README's serve command serves the page, and nothing outside dist/", async () => {
  const command = readmeCommand('scripts/serve.sh');
  const port = await freePort();
  // Something the server must never hand out: a file beside dist/, linked from inside it.
  const outside = path.join(ROOT, 'target', `serve-secret-${port}.txt`);
  fs.mkdirSync(path.dirname(outside), { recursive: true });
  fs.writeFileSync(outside, 'secret');
  const link = path.join(ROOT, 'dist', `link-${port}.txt`);
  const server = await startCommand(command, { env: { PORT: String(port) }, ready: /Trailscope is at (http\S+)/ });
  try {
    const url = server.output().match(/Trailscope is at (http\S+)/)[1];
    assert.equal(url, `http://127.0.0.1:${port}/`);
    fs.symlinkSync(outside, link);
    for (const p of ['/', '/index.html']) {
      const r = await rawGet(port, p);
      assert.equal(r.status, 200, p);
      assert.match(r.body, /<title>Trailscope/, p);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
    const wasm = fs.readdirSync(path.join(ROOT, 'dist')).find((f) => f.endsWith('.wasm'));
    const w = await rawGet(port, `/${wasm}`);
    assert.equal(w.status, 200);
    assert.equal(w.headers['content-type'], 'application/wasm');
    for (const attack of [
      '/../Cargo.toml', '/%2e%2e/Cargo.toml', '/..%2fCargo.toml', '/..%2FCargo.toml', '/..%5cCargo.toml',
      '/static/../../Cargo.toml', '/%2e%2e%2fCargo.toml', `/link-${port}.txt`, '/index.html%00.wasm',
    ]) {
      const r = await rawGet(port, attack);
      assert.equal(r.status, 404, `${attack} answered ${r.status}: ${r.body.slice(0, 80)}`);
      assert.ok(!r.body.includes('secret') && !r.body.includes('[workspace]'), attack);
    }
    const { count, problems, foreignRequests } = await dropOneFile(url);
    assert.equal(count, 60);
    assert.deepEqual(problems, []);
    assert.deepEqual(foreignRequests, []);
  } finally {
    await server.stop();
    fs.rmSync(link, { force: true });
    fs.rmSync(outside, { force: true });
  }
});

test("the README's hosting command builds a dist/ that a plain static server serves from a sub-path", async () => {
  const build = await runCommand(readmeCommand('scripts/ensure-tools.sh build'));
  assert.equal(build.code, 0, build.stderr.slice(-4000));
  const www = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-host-'));
  const mount = path.join(www, 'tools', 'trailscope');
  fs.mkdirSync(path.dirname(mount), { recursive: true });
  fs.cpSync(path.join(ROOT, 'dist'), mount, { recursive: true });
  const port = await freePort();
  const python = await startCommand(`exec python3 -u -m http.server ${port} --bind 127.0.0.1 -d ${JSON.stringify(www)}`,
    { ready: /Serving HTTP/, timeoutMs: 30_000 });
  try {
    const { count, problems, foreignRequests } = await dropOneFile(`http://127.0.0.1:${port}/tools/trailscope/`);
    assert.equal(count, 60);
    assert.deepEqual(problems, []);
    assert.deepEqual(foreignRequests, []);
  } finally {
    await python.stop();
    fs.rmSync(www, { recursive: true, force: true });
  }
});
