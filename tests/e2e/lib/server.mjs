// A static server for dist/: `scripts/serve.sh` serves the page with it at `/`, and the
// end-to-end tests mount it under a sub-path to prove the page works from any folder.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The headers a static host should send with the page (README, "Hosting the page"). The
 * Content-Security-Policy is also in index.html as a meta tag; `frame-ancestors` only works
 * as a header, so a host that can set headers adds it here.
 */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'content-security-policy': "frame-ancestors 'none'",
  'x-frame-options': 'DENY',
};

/**
 * Maps a request path below the mount point to a file inside `root`, or says why not.
 * `root` must already be resolved (absolute, symlinks followed). Refused: `..` segments,
 * encoded slashes or backslashes (`%2F`, `%5C`), NUL bytes, and any path whose real location
 * (after following symlinks) is outside `root`. A directory serves its `index.html`.
 */
export function resolveInside(root, relativeUrlPath) {
  if (/%2f|%5c|%00/i.test(relativeUrlPath)) return { error: 'encoded separator' };
  let rel;
  try {
    rel = decodeURIComponent(relativeUrlPath);
  } catch {
    return { error: 'bad encoding' };
  }
  if (rel.includes('\0') || rel.includes('\\')) return { error: 'bad path' };
  const segments = rel.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) return { error: 'parent segment' };
  let file = path.join(root, ...segments);
  let real;
  try {
    real = fs.realpathSync(file);
  } catch {
    return { error: 'not found' };
  }
  if (real !== root && !real.startsWith(root + path.sep)) return { error: 'outside the root' };
  let stat = fs.statSync(real);
  if (stat.isDirectory()) {
    try {
      real = fs.realpathSync(path.join(real, 'index.html'));
    } catch {
      return { error: 'not found' };
    }
    if (!real.startsWith(root + path.sep)) return { error: 'outside the root' };
    stat = fs.statSync(real);
  }
  if (!stat.isFile()) return { error: 'not a file' };
  return { file: real, size: stat.size };
}

/**
 * Serves `root` at http://127.0.0.1:<port><basePath>. Every request path is recorded.
 * `headers` are added to every answer (e.g. SECURITY_HEADERS).
 */
export async function startServer({ root, basePath = '/tools/trailscope/', port = 0, headers = {} }) {
  // Resolved once: a relative root (`dist`, as scripts/serve.sh passes) is taken from the
  // current folder, and a root that is itself a symlink is followed before any comparison.
  const realRoot = fs.realpathSync(path.resolve(root));
  const requests = [];
  const server = http.createServer((req, res) => {
    let url;
    try {
      url = new URL(req.url, 'http://localhost');
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    requests.push(url.pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end('method not allowed');
      return;
    }
    // `/tools/trailscope` without its slash: the page's relative URLs need the slash.
    if (url.pathname === basePath.replace(/\/$/, '') && basePath !== '/') {
      res.writeHead(301, { location: basePath }).end();
      return;
    }
    if (!url.pathname.startsWith(basePath)) {
      res.writeHead(404, headers).end('outside the base path');
      return;
    }
    const found = resolveInside(realRoot, url.pathname.slice(basePath.length));
    if (found.error) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[path.extname(found.file)] ?? 'application/octet-stream',
      'content-length': found.size,
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    fs.createReadStream(found.file).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = server.address().port;
  return {
    url: `http://127.0.0.1:${bound}${basePath}`,
    port: bound,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
