// Issue #14: the construct package holds only what a construct user needs; the verify command and
// its AWS SDK clients are a package of their own (packages/verify).
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const VERIFY = path.join(ROOT, 'packages', 'verify');
const SDK_CLIENTS = ['@aws-sdk/client-cloudformation', '@aws-sdk/client-sts', '@aws-sdk/credential-providers'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

describe('the construct package (@devops-patterns/cdk-reference)', () => {
  const pkg = readJson(path.join(ROOT, 'package.json'));

  test('has no runtime dependencies and bundles none: aws-cdk-lib and constructs are peers, cdk-nag an optional one (for lib/checks)', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.bundleDependencies ?? pkg.bundledDependencies ?? []).toEqual([]);
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'cdk-nag', 'constructs']);
    expect(pkg.peerDependenciesMeta).toEqual({ 'cdk-nag': { optional: true } });
  });

  test('installs no command: cdk-patterns-verify comes with the verify package', () => {
    expect(pkg.bin).toBeUndefined();
    expect(fs.existsSync(path.join(ROOT, 'lib', 'verify'))).toBe(false);
  });

  test('jsii compiles it without source maps, whose sources (lib/**/*.ts) the package does not ship', () => {
    expect(pkg.jsii.tsc).toMatchObject({ inlineSourceMap: false, inlineSources: false, sourceMap: false });
    expect(pkg.files.some((f: string) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toBe(false);
  });

  test('jsii does not compile the verify package into the construct library', () => {
    expect(pkg.jsii.excludeTypescript).toContain('packages/**');
  });
});

describe('the verify package (@devops-patterns/cdk-reference-verify)', () => {
  const pkg = readJson(path.join(VERIFY, 'package.json'));
  const root = readJson(path.join(ROOT, 'package.json'));

  test('installs cdk-patterns-verify from the compiled src/cli.ts, which starts with a node shebang', () => {
    expect(pkg.bin).toEqual({ 'cdk-patterns-verify': 'dist/cli.js' });
    expect(fs.readFileSync(path.join(VERIFY, 'src', 'cli.ts'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(pkg.files).toEqual(['dist']);
  });

  test('depends on the SDK clients at the versions the tests run against (the root devDependencies)', () => {
    expect(pkg.dependencies).toEqual(Object.fromEntries(SDK_CLIENTS.map((c) => [c, root.devDependencies[c]])));
    expect(pkg.engines).toEqual(root.engines);
    expect(pkg.license).toBe(root.license);
  });

  test('compiles without source maps or inlined sources, since it ships only dist', () => {
    const tsconfig = readJson(path.join(VERIFY, 'tsconfig.json'));
    expect(tsconfig.compilerOptions).toMatchObject({ sourceMap: false, inlineSourceMap: false, inlineSources: false, declaration: true });
  });
});
