// What the page benchmarks share: the trail folder they read (generated when missing) and the
// built page open in headless Chromium, ready for files.
import fs from 'node:fs';
import path from 'node:path';

import { launch, openPage } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { DIST, ROOT, trail } from '../lib/fixtures.mjs';
import { TrailscopePage } from '../lib/trailscope-page.mjs';

/** The folder given, or bench-data/trail-EVENTS; a generated trail of EVENTS when missing. */
export function trailDir(given, events = 1_000_000) {
  const dir = given ?? path.join(ROOT, `bench-data/trail-${events}`);
  if (!fs.existsSync(dir)) {
    console.error(`generating ${events} events into ${dir} ...`);
    fs.mkdirSync(dir, { recursive: true });
    trail(events, dir, 6);
  }
  return dir;
}

/**
 * The release page (dist/) served locally and opened in headless Chromium, its workers ready.
 * `close()` ends the browser and the server.
 */
export async function openBenchPage() {
  const server = await startServer({ root: DIST });
  const browser = await launch();
  const { page, problems } = await openPage(browser, server.url);
  const ts = new TrailscopePage(page);
  await ts.ready();
  const close = async () => {
    await browser.close();
    await server.close();
  };
  return { server, browser, page, problems, ts, close };
}
