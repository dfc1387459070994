/**
 * What a linter would keep true of the public API, read from the jsii assembly that
 * `npm run build` writes (`npm test` builds before it runs jest): every exported type and member
 * documented, every optional prop with its `@default`, and constructs of this library never
 * taken as inputs by their concrete class, so imported and user-made resources work too.
 */
import * as fs from 'fs';
import * as path from 'path';

interface JsiiTypeRef { fqn?: string; collection?: { elementtype: JsiiTypeRef }; union?: { types: JsiiTypeRef[] } }
interface JsiiProperty { name: string; optional?: boolean; docs?: { summary?: string; default?: string }; type: JsiiTypeRef }
interface JsiiType { fqn: string; kind: 'class' | 'interface' | 'enum'; base?: string; docs?: { summary?: string }; properties?: JsiiProperty[] }

const ASSEMBLY = path.join(__dirname, '..', '..', '.jsii');

describe('the public API (jsii assembly)', () => {
  if (!fs.existsSync(ASSEMBLY)) {
    test('the jsii assembly exists', () => {
      throw new Error(`${ASSEMBLY} is missing: run \`npm run build\` (npm test does it first)`);
    });
    return;
  }
  const types = Object.values(JSON.parse(fs.readFileSync(ASSEMBLY, 'utf8')).types as Record<string, JsiiType>);
  const byFqn = new Map(types.map((t) => [t.fqn, t]));

  test('every exported type and property has a summary', () => {
    const missing = types.flatMap((t) => [
      ...(t.docs?.summary ? [] : [t.fqn]),
      ...(t.properties ?? []).filter((p) => !p.docs?.summary).map((p) => `${t.fqn}.${p.name}`),
    ]);
    expect(missing).toEqual([]);
  });

  test('every optional prop says its @default', () => {
    const missing = types.filter((t) => t.kind === 'interface')
      .flatMap((t) => (t.properties ?? []).filter((p) => p.optional && p.docs?.default === undefined).map((p) => `${t.fqn}.${p.name}`));
    expect(missing).toEqual([]);
  });

  test('no prop takes a construct of this library by its concrete class (an interface lets imported resources in)', () => {
    const isConstruct = (fqn: string | undefined): boolean => {
      for (let t = fqn ? byFqn.get(fqn) : undefined; t; t = t.base ? byFqn.get(t.base) : undefined) {
        if (t.base === 'constructs.Construct' || (t.base?.startsWith('aws-cdk-lib.') ?? false)) return true;
      }
      return false;
    };
    const refs = (r: JsiiTypeRef): string[] => [r.fqn ?? '', ...(r.collection ? refs(r.collection.elementtype) : []), ...(r.union?.types.flatMap(refs) ?? [])];
    const concrete = types.filter((t) => t.kind === 'interface')
      .flatMap((t) => (t.properties ?? []).filter((p) => refs(p.type).some(isConstruct)).map((p) => `${t.fqn}.${p.name}`));
    expect(concrete).toEqual([]);
  });
});

describe('the library source (what @cdklabs/eslint-plugin\'s no-throw-default-error and no-literal-partition would keep true)', () => {
  const root = path.join(__dirname, '..', '..', 'lib');
  const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'handlers' ? [] : files(full); // Lambda handlers run in Lambda, not in a synth
    return e.name.endsWith('.ts') ? [full] : [];
  });
  /** The file's code lines: comment lines (JSDoc, //) left out. */
  const codeLines = (file: string) => fs.readFileSync(file, 'utf8').split('\n')
    .map((text, i) => ({ where: `${path.relative(root, file)}:${i + 1}`, text }))
    .filter(({ text }) => !/^\s*(\*|\/\/|\/\*)/.test(text));

  test('the files are read', () => {
    expect(files(root).length).toBeGreaterThan(100);
  });

  test('every construct refuses with a typed error (ConstructPropsError through PropsCheck), never a plain Error', () => {
    const plain = files(root).flatMap(codeLines).filter(({ text }) => /throw new Error\(|throw Error\(/.test(text)).map(({ where }) => where);
    expect(plain).toEqual([]);
  });

  test('no ARN names a partition literally (Stack.partition, Aws.PARTITION or Arn.format work in every partition)', () => {
    const literal = files(root).flatMap(codeLines).filter(({ text }) => /['"`]arn:aws[a-z-]*:/.test(text)).map(({ where, text }) => `${where}: ${text.trim()}`);
    expect(literal).toEqual([]);
  });
});
