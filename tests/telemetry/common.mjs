// tests/telemetry/common.mjs — what the node test scripts of tests/telemetry share: arguments, skipping a test whose
// tool is missing, checks, the closing tally, starting a program and reading what it prints, and bounded polling.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

// A missing tool skips the test (77), except where STEADY_REQUIRE_TOOLS=1 (CI): there it fails.
export const SKIP = process.env.STEADY_REQUIRE_TOOLS === '1' ? 1 : 77;

// The value after `--name` on the command line, or undefined.
export function arg(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

// Exit 2 with the usage line unless every value is there.
export function requireArgs(usage, ...values) {
  if (values.some((v) => !v)) {
    console.error('usage: ' + usage);
    process.exit(2);
  }
}

// Skip (exit SKIP) when `file` does not exist; `remedy` says how to get it.
export function requireFile(file, remedy) {
  if (!existsSync(file)) {
    console.log(`SKIP: ${file} not found (${remedy})`);
    process.exit(SKIP);
  }
}

export function check(cond, what) {
  if (!cond) throw new Error('FAILED: ' + what);
  console.log('ok - ' + what);
}

// The closing lines of a test script: its tally when every check passed, or the error (with its stack) and the
// tally when one failed. Returns the exit status.
export function passed() {
  console.log('1 passed, 0 failed');
  return 0;
}
export function failed(e) {
  console.error(e && e.stack ? e.stack : String(e));
  console.log('0 passed, 1 failed');
  return 1;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Fails the whole test once `ms` have passed; clearTimeout() the result when done.
export function failAfter(ms) {
  return setTimeout(() => {
    console.error(`FAILED: the whole test took longer than ${ms / 1000} s`);
    process.exit(1);
  }, ms);
}

// Starts a program; `found` resolves, for each pattern, its first match in the program's output lines (within 20 s,
// and rejects if the program exits before).
export function start(exe, args, patterns) {
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const found = patterns.map((re) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${path.basename(exe)} printed no ${re} within 20 s`)), 20_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = re.exec(line);
      if (m) { clearTimeout(timer); resolve(m); }
    });
    child.on('exit', (code) => reject(new Error(`${path.basename(exe)} exited early with ${code}`)));
  }));
  return { child, found };
}

// Polls `probe` (every `every` ms: a poll interval, not a synchronisation) until it returns a truthy value or `ms`
// pass; returns the last value.
export async function until(ms, probe, every = 100) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = undefined;
    }
    await sleep(every);
  }
  return last;
}

// SIGKILLs each child still running.
export function killAll(children) {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
