// The README's commands, read from the README itself: the tests run them as written, so a
// change that breaks one fails CI (the README is the product's front door).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import net from 'node:net';

import { ROOT } from './fixtures.mjs';

/**
 * Every command in the README's ```bash blocks, in order: `{ section, command }`, with
 * backslash continuations joined and trailing `# comments` removed.
 */
export function readmeCommands(readme = path.join(ROOT, 'README.md')) {
  const out = [];
  let section = '';
  let inBash = false;
  let pending = '';
  for (const line of fs.readFileSync(readme, 'utf8').split('\n')) {
    if (!inBash && /^#{1,6} /.test(line)) section = line.replace(/^#+ /, '').trim();
    if (!inBash && line.trim() === '```bash') { inBash = true; continue; }
    if (inBash && line.trim() === '```') { inBash = false; continue; }
    if (!inBash) continue;
    let text = line.replace(/\s+#\s.*$/, '').trimEnd();
    if (text.trim().startsWith('#')) continue;
    if (text.endsWith('\\')) { pending += text.slice(0, -1).trimEnd() + ' '; continue; }
    text = (pending + text.trim()).trim();
    pending = '';
    if (text) out.push({ section, command: text });
  }
  return out;
}

/** The one README command that starts with `prefix`. */
export function readmeCommand(prefix) {
  const found = readmeCommands().filter((c) => c.command.startsWith(prefix));
  if (found.length !== 1) throw new Error(`the README has ${found.length} commands starting with ${JSON.stringify(prefix)}`);
  return found[0].command;
}

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `command` with bash from the repository root, in its own process group, and waits
 * until a line of its output matches `ready` (or it exits, or `timeoutMs` passes).
 * Returns `{ child, output, stop }`; `stop()` ends the whole group.
 */
export async function startCommand(command, { env = {}, ready, timeoutMs = 20 * 60_000, cwd = ROOT } = {}) {
  const child = spawn('bash', ['-c', command], {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    child.once('exit', () => resolve());
    try { process.kill(-child.pid, 'SIGTERM'); } catch { resolve(); }
  });
  const matched = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const onData = (d) => {
      output += d.toString();
      if (ready.test(output)) { clearTimeout(timer); resolve(true); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => { clearTimeout(timer); resolve(ready.test(output)); });
  });
  if (!matched) {
    await stop();
    throw new Error(`\`${command}\` did not become ready:\n${output.slice(-4000)}`);
  }
  return { child, output: () => output, stop };
}

/** Runs `command` with bash and resolves with `{ code, stdout, stderr }`. */
export function runCommand(command, { env = {}, cwd = ROOT, timeoutMs = 20 * 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`\`${command}\` took over ${timeoutMs} ms`)); }, timeoutMs);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
