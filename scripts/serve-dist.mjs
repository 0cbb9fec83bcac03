// Serves a folder on 127.0.0.1 with the right content types (.wasm as application/wasm).
import { startServer } from '../tests/e2e/lib/server.mjs';

const [root = 'dist', port = '8080'] = process.argv.slice(2);
const server = await startServer({ root, basePath: '/', port: Number(port) });
console.log(`serving ${root} at ${server.url}`);
