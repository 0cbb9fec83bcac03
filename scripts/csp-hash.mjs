// Trunk post-build hook (Trunk.toml): puts the SHA-256 of the page's one inline script (Trunk's
// module loader, whose text changes with every build's file hashes) into the
// Content-Security-Policy, in place of the `'trunk-inline-script'` placeholder, so the policy
// needs no 'unsafe-inline'. Fails the build if the page does not have exactly one inline script.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('csp-hash: TRUNK_STAGING_DIR is not set (run me as a Trunk hook)');
  process.exit(1);
}
const file = path.join(dir, 'index.html');
const html = fs.readFileSync(file, 'utf8');
const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
if (inline.length !== 1) {
  console.error(`csp-hash: expected one inline script in ${file}, found ${inline.length}`);
  process.exit(1);
}
const hash = crypto.createHash('sha256').update(inline[0], 'utf8').digest('base64');
const placeholder = "'trunk-inline-script'";
const meta = /(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(")/;
const found = html.match(meta);
if (!found || !found[2].includes(placeholder)) {
  console.error(`csp-hash: no ${placeholder} in the Content-Security-Policy of ${file}`);
  process.exit(1);
}
fs.writeFileSync(file, html.replace(meta, (_, a, policy, b) => a + policy.replace(placeholder, `'sha256-${hash}'`) + b));
console.log(`csp-hash: inline script sha256-${hash}`);
