#!/usr/bin/env node
// `npm test`: every check of the repository, then jest.
//
// The checks before jest do not depend on each other, except the API reference, which reads the
// jsii assembly the build writes. They run side by side, as many at once as the machine has
// cores, longest first; each one's output is printed in one piece when it ends, with its time.
// Jest runs last, on its own: it uses every core itself, and its public-API test reads the
// assembly. The first failing step stops the run (steps already running finish and print).
const { spawn } = require('child_process');
const os = require('os');

/** The steps before jest: npm scripts of package.json, longest first (seconds on the CI machine). */
const STEPS = [
  { script: 'build', after: [] }, // jsii compile of the public API (about 22 s)
  { script: 'typecheck', after: [] }, // the three TypeScript programs (about 20 s)
  { script: 'lint', after: [] }, // eslint (about 9 s)
  { script: 'docs:check', after: ['build'] }, // API.md is what the assembly gives (about 8 s)
  { script: 'integ:synth', after: [] }, // the integration test apps synthesize (about 8 s)
];

const slots = Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();
const seconds = (since) => ((Date.now() - since) / 1000).toFixed(1);

function run(script) {
  return new Promise((resolve) => {
    const begin = Date.now();
    const child = spawn(npm, ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    const output = [];
    child.stdout.on('data', (d) => output.push(d));
    child.stderr.on('data', (d) => output.push(d));
    child.on('error', (error) => output.push(Buffer.from(String(error))));
    child.on('close', (code) => {
      const ok = code === 0;
      process.stdout.write(`\n── ${script}: ${ok ? 'passed' : `FAILED (exit ${code})`} in ${seconds(begin)} s ──\n${Buffer.concat(output).toString()}`);
      resolve(ok);
    });
  });
}

async function checks() {
  const done = new Set();
  const pending = [...STEPS];
  const running = new Map();
  let failed = false;
  console.log(`npm test: ${STEPS.map((s) => s.script).join(', ')} (${slots} at a time), then jest`);
  while (pending.length > 0 || running.size > 0) {
    while (!failed && running.size < slots) {
      const next = pending.findIndex((s) => s.after.every((a) => done.has(a)));
      if (next < 0) break;
      const [step] = pending.splice(next, 1);
      running.set(step.script, run(step.script).then((ok) => ({ script: step.script, ok })));
    }
    if (running.size === 0) break;
    const { script, ok } = await Promise.race(running.values());
    running.delete(script);
    if (ok) done.add(script);
    else failed = true;
  }
  return !failed && done.size === STEPS.length;
}

async function main() {
  if (!(await checks())) {
    console.error(`\nnpm test: a check failed (${seconds(started)} s); jest did not run`);
    process.exit(1);
  }
  console.log(`\nchecks passed in ${seconds(started)} s; jest:`);
  const jest = spawn(npm, ['run', '--silent', 'jest'], { stdio: 'inherit', env: process.env });
  jest.on('close', (code) => {
    console.log(`npm test: ${code === 0 ? 'passed' : 'FAILED'} in ${seconds(started)} s`);
    process.exit(code ?? 1);
  });
}

main();
