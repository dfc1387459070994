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
