// The page's first load, gzip: every file the browser fetches when the page opens (the page,
// its script and wasm, the styles, and the workers' script and wasm, which start at once).
// Fails when it grew more than 5% over the figure recorded in the README: a change that makes
// the first load heavier must say so there.
//
// With --not-as-shipped (the test command's page, built without LTO for build time) the sizes are
// printed but not held to the README's figure; the SQL module must still stay out of the first
// load.
//
//   node scripts/wasm-size.mjs [--not-as-shipped] [DIST=dist]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const args = process.argv.slice(2);
const asShipped = !args.includes('--not-as-shipped');
const dist = args.find((a) => !a.startsWith('--')) ?? 'dist';
const readme = fs.readFileSync('README.md', 'utf8');
const recorded = readme.match(/First load \(gzip\): \*\*([\d,]+) bytes\*\*/);
if (!recorded) {
  console.error('wasm-size: the README records no "First load (gzip): **N bytes**" figure');
  process.exit(1);
}
const baseline = Number(recorded[1].replace(/,/g, ''));
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
const fetched = new Set(['index.html', 'worker-boot.js', 'trailscope-worker.js', 'trailscope-worker_bg.wasm']);
for (const m of html.matchAll(/(?:href|src|from|module_or_path:)\s*=?\s*['"]\.\/([^'"]+)['"]/g)) fetched.add(m[1]);
let total = 0;
const rows = [];
for (const name of [...fetched].sort()) {
  const file = path.join(dist, name);
  if (!fs.existsSync(file)) continue;
  const bytes = fs.readFileSync(file);
  const gz = zlib.gzipSync(bytes, { level: 9 }).length;
  total += gz;
  rows.push([name, bytes.length, gz]);
}
for (const [name, raw, gz] of rows) console.log(`${name.padEnd(44)} ${String(raw).padStart(10)} B  ${String(gz).padStart(9)} B gzip`);
console.log(`${'first load'.padEnd(44)} ${''.padStart(12)}  ${String(total).padStart(9)} B gzip (README: ${baseline})`);
if (asShipped && total > baseline * 1.05) {
  console.error(`wasm-size: the first load grew from ${baseline} to ${total} bytes gzip (over 5%): say why in the README and record the new figure there`);
  process.exit(1);
}

// The SQL engine's module, fetched when the SQL tab first opens: never part of the first load.
const sqlFiles = ['sql-worker-boot.js', 'trailscope-sql-worker.js', 'trailscope-sql-worker_bg.wasm'];
const leaked = sqlFiles.filter((name) => fetched.has(name) || html.includes(name));
if (leaked.length > 0) {
  console.error(`wasm-size: the page's first load names the SQL module (${leaked.join(', ')}); it must load only with the SQL tab`);
  process.exit(1);
}
let sqlTotal = 0;
for (const name of sqlFiles) {
  const file = path.join(dist, name);
  if (!fs.existsSync(file)) {
    console.error(`wasm-size: ${name} is missing from ${dist}`);
    process.exit(1);
  }
  const bytes = fs.readFileSync(file);
  const gz = zlib.gzipSync(bytes, { level: 9 }).length;
  sqlTotal += gz;
  console.log(`${name.padEnd(44)} ${String(bytes.length).padStart(10)} B  ${String(gz).padStart(9)} B gzip`);
}
console.log(`${'SQL module (on opening the SQL tab)'.padEnd(44)} ${''.padStart(12)}  ${String(sqlTotal).padStart(9)} B gzip`);
