/**
 * `npm run diagrams`: synthesizes the example app as `cdk synth` does (cdk.json's context, every
 * example stack, the checks), writes each pattern's diagram as docs/diagrams/<ID>.dot (see
 * scripts/diagram-dot.ts for what is drawn) and renders it with Graphviz to docs/diagrams/<ID>.svg.
 *
 * Graphviz comes from Debian (package `graphviz`, Eclipse Public License), not npm: when `dot` is
 * missing the script installs it with apt-get if it runs as root, and otherwise stops with one
 * line saying how to install it. The test suite needs no Graphviz: it compares the committed
 * `.dot` files with what scripts/diagram-dot.ts generates (test/examples/example-app.test.ts).
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { applyChecks } from '../lib/checks';
import { addAllExamples } from '../examples';
import { diagramSources } from './diagram-dot';

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'docs', 'diagrams');
const INSTALL_HINT = 'Graphviz is needed to render the diagrams: install it with `sudo apt-get install -y graphviz` (Debian/Ubuntu) and run `npm run diagrams` again.';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function hasDot(): boolean {
  return !spawnSync('dot', ['-V'], { stdio: 'ignore' }).error;
}

/** `dot` on the PATH, installed from Debian's packages when we are root and it is missing. */
function ensureGraphviz(): void {
  if (hasDot()) return;
  if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) fail(INSTALL_HINT);
  process.stderr.write('Graphviz (dot) not found: installing the Debian package graphviz with apt-get\n');
  const run = (args: string[]): boolean => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!(run(['update']) && run(['install', '-y', 'graphviz'])) || !hasDot()) fail(`apt-get could not install graphviz. ${INSTALL_HINT}`);
}

function main(): void {
  ensureGraphviz();
  const context = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'diagrams-'));
  try {
    const app = new App({ context, outdir });
    addAllExamples(app);
    applyChecks(app);
    const sources = diagramSources(app.synth());
    fs.mkdirSync(OUT, { recursive: true });
    // Diagrams of patterns that no longer exist go too.
    for (const file of fs.readdirSync(OUT)) {
      if (/\.(dot|svg)$/.test(file) && !(file.replace(/\.(dot|svg)$/, '') in sources)) fs.rmSync(path.join(OUT, file));
    }
    for (const [id, source] of Object.entries(sources)) {
      const dotFile = path.join(OUT, `${id}.dot`);
      fs.writeFileSync(dotFile, source);
      const rendered = spawnSync('dot', ['-Tsvg', dotFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      if (rendered.status !== 0) fail(`dot could not render ${path.relative(ROOT, dotFile)}: ${(rendered.stderr || rendered.error?.message || '').trim()}`);
      // The hash of the source, so the test can tell a stale SVG without Graphviz.
      const hash = createHash('sha256').update(source).digest('hex');
      fs.writeFileSync(path.join(OUT, `${id}.svg`), rendered.stdout.replace('<svg', `<!-- source: docs/diagrams/${id}.dot sha256 ${hash} -->\n<svg`));
    }
    process.stdout.write(`${Object.keys(sources).length} diagrams written to ${path.relative(ROOT, OUT)}: ${Object.keys(sources).join(', ')}\n`);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

main();
