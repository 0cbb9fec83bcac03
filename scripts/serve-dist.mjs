// Serves a folder on 127.0.0.1 with the right content types (.wasm as application/wasm) and the
// security headers a static host should send (README, "Hosting the page").
//
//   node scripts/serve-dist.mjs [ROOT=dist] [PORT=8080] [BASE_PATH=/]
import { startServer, SECURITY_HEADERS } from '../tests/e2e/lib/server.mjs';

const [root = 'dist', port = '8080', basePath = '/'] = process.argv.slice(2);
const base = `/${basePath.replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
try {
  const server = await startServer({ root, basePath: base, port: Number(port), headers: SECURITY_HEADERS });
  // Printed once the port is bound: tests (and people) can open the URL as soon as they see it.
  console.log(`Trailscope is at ${server.url} (Ctrl-C stops it)`);
} catch (e) {
  console.error(`cannot serve ${root} on port ${port}: ${e.message}`);
  process.exit(1);
}
