// Every command the README shows in a ```bash block is run as written (the README is the
// product's front door): the serve and hosting commands by serve.test.mjs, the test command by CI
// itself (.ci/run), the benchmark command at smoke scale here, and every other command here, in
// order, in one shell from the repository root. A new command in the README that no test runs
// fails this test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from './lib/fixtures.mjs';
import { readmeCommands, runCommand } from './lib/readme.mjs';

/** Commands run by another test, or by CI: (prefix, who runs it, a check that it still does). */
const ELSEWHERE = [
  ['scripts/serve.sh', 'tests/e2e/serve.test.mjs', () => fs.readFileSync(path.join(ROOT, 'tests/e2e/serve.test.mjs'), 'utf8').includes("readmeCommand('scripts/serve.sh')")],
  ['scripts/ensure-tools.sh build &&', 'tests/e2e/serve.test.mjs', () => fs.readFileSync(path.join(ROOT, 'tests/e2e/serve.test.mjs'), 'utf8').includes("readmeCommand('scripts/ensure-tools.sh build')")],
  ['scripts/test.sh', '.ci/run', () => fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8').includes('scripts/test.sh')],
];
const BENCH = 'scripts/bench.sh';

test('the README shows its commands in bash blocks, and another test or CI runs each one', () => {
  const commands = readmeCommands();
  assert.ok(commands.length >= 8, commands.map((c) => c.command).join('\n'));
  for (const [prefix, who, check] of ELSEWHERE) {
    assert.ok(commands.some((c) => c.command.startsWith(prefix)), `the README no longer shows ${prefix}`);
    assert.ok(check(), `${who} no longer runs the README's ${prefix}`);
  }
});

/** The README's build of the CLI, and where it puts it on PATH. */
const BUILD_CLI = 'cargo build --release -p trailscope-cli -p trailscope-testgen';
const RELEASE_ON_PATH = 'export PATH="$PWD/target/release:$PATH"';

test("the README's CLI commands run as written", async () => {
  let commands = readmeCommands()
    .map((c) => c.command)
    .filter((c) => !ELSEWHERE.some(([prefix]) => c.startsWith(prefix)) && !c.startsWith(BENCH));
  // The test command passes the CLI it built already (TRAILSCOPE_BIN_DIR: the native tests'
  // build; scripts/test.sh says why CI builds no release CLI). Then the README's build line and
  // its PATH line are the two not run as written: both binaries must be there instead.
  const prebuilt = process.env.TRAILSCOPE_BIN_DIR;
  if (prebuilt) {
    assert.ok(commands.includes(BUILD_CLI) && commands.includes(RELEASE_ON_PATH), 'the README builds the CLI as this test expects');
    const dir = `'${prebuilt.replaceAll("'", "'\\''")}'`;
    commands = commands.map((c) => {
      if (c === BUILD_CLI) return `test -x ${dir}/trailscope && test -x ${dir}/trailscope-gen`;
      if (c === RELEASE_ON_PATH) return `export PATH=${dir}:"$PATH"`;
      return c;
    });
  }
  // One shell, so `export` carries over; each command is echoed before it runs, so a failure
  // names it.
  // A fresh demo folder: `export` refuses to mix into an earlier export.
  fs.rmSync('/tmp/trailscope-demo', { recursive: true, force: true });
  // The echo is single-quoted, so a `$` in a command is shown, not expanded.
  const shown = (c) => `'${`+ ${c}`.replaceAll("'", "'\\''")}'`;
  const script = ['set -euo pipefail', ...commands.map((c) => `echo ${shown(c)} >&2\n${c}`)].join('\n');
  const { code, stderr } = await runCommand(script, { timeoutMs: 30 * 60_000 });
  assert.equal(code, 0, stderr.slice(-4000));
  // What they wrote is what the README says they write.
  const changes = fs.readFileSync('/tmp/trailscope-demo/changes.ndjson', 'utf8').trim().split('\n');
  assert.ok(changes.length > 0 && changes.every((l) => JSON.parse(l).readOnly === false), 'query wrote the changes');
  const findings = JSON.parse(fs.readFileSync('/tmp/trailscope-demo/findings.json', 'utf8'));
  assert.ok(Array.isArray(findings.findings) && findings.findings.length > 0 && findings.findings.every((f) => f.events > 0));
  // The SQL answer counts the same writes as the filter.
  const writes = fs.readFileSync('/tmp/trailscope-demo/writes.csv', 'utf8').trim().split('\n');
  assert.equal(writes[0], 'eventName,n');
  assert.equal(writes.slice(1).reduce((sum, line) => sum + Number(line.split(',').at(-1)), 0), changes.length);
  // The export is Hive-partitioned Parquet.
  const parts = fs.readdirSync('/tmp/trailscope-demo/parquet', { recursive: true }).filter((p) => p.endsWith('.parquet'));
  assert.ok(parts.length > 0 && parts.every((p) => /^region=[^/]+\/date=\d{4}-\d{2}-\d{2}\/part-00000\.parquet$/.test(p)), parts.join(', '));
  // Its manifest names every part file with its hash.
  const manifest = JSON.parse(fs.readFileSync('/tmp/trailscope-demo/parquet.manifest.json', 'utf8'));
  assert.deepEqual(manifest.outputs.map((o) => o.name).sort(), [...parts].sort());
  assert.ok(manifest.sources.length > 0 && manifest.sources.every((s) => /^[0-9a-f]{64}$/.test(s.sha256)));
});

test("the README's benchmark command runs (at smoke scale)", async () => {
  const bench = readmeCommands().find((c) => c.command.startsWith(BENCH));
  assert.ok(bench, 'the README shows scripts/bench.sh');
  const { code, stderr, stdout } = await runCommand(bench.command, { env: { TRAILSCOPE_BENCH_SMOKE: '1' }, timeoutMs: 40 * 60_000 });
  assert.equal(code, 0, (stdout + stderr).slice(-6000));
});
