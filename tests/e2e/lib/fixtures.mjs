// Test data comes from the Rust generator, the same one the native tests use.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DIST = process.env.TRAILSCOPE_DIST ?? path.join(ROOT, 'dist');
const GEN = process.env.TRAILSCOPE_GEN ?? path.join(ROOT, 'target/release/trailscope-gen');

function gen(args) {
  if (!fs.existsSync(GEN)) throw new Error(`${GEN} is missing: run scripts/test.sh, which builds it`);
  execFileSync(GEN, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Writes the fixture set to a fresh folder; returns it with its manifest. */
export function fixtures() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-fixtures-'));
  gen(['fixtures', dir]);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  fs.rmSync(path.join(dir, 'manifest.json'));
  return { dir, manifest };
}

/** A generated trail of `events` events (gzip S3 log files below `AWSLogs/`). */
export function trail(events, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-trail-')), level = 1) {
  gen(['trail', '--events', String(events), '--gzip-level', String(level), dir]);
  return dir;
}

/** A signed trail below `dir/<bucket>/`, with `public-keys.json` and `signatures.json`. */
export function signedTrail({ hours = 4, logsPerHour = 3, eventsPerLog = 20 } = {},
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-signed-'))) {
  gen(['signed-trail', '--hours', String(hours), '--logs-per-hour', String(logsPerHour),
    '--events-per-log', String(eventsPerLog), dir]);
  return dir;
}

/** A week of an account's trail with planted attacks (see `trailscope-gen attacks`). */
export function attackScenario(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-attacks-'))) {
  gen(['attacks', dir]);
  return dir;
}

/** Every file below `dir`, sorted. */
export function filesUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Where the shared datasets are, if this machine has them. */
export const SHARED = path.resolve(ROOT, '../shared/datasets');
export const hasShared = fs.existsSync(SHARED);
