/**
 * Reading the cloud assembly, on the fixture. Reading a real synth of the example app is tested
 * where that synth already happens: test/examples/example-app.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readAssembly, selectStacks } from '../../packages/verify/src/assembly';
import { VerifyError } from '../../packages/verify/src/errors';
import { fixtureTemplate, WORKLOAD, writeAssembly } from './fixture';

describe('readAssembly', () => {
  test('reads the fixture, stack name and all', () => {
    const [, source] = readAssembly(writeAssembly());
    expect(source).toEqual({
      id: 'Demo-Source', stackName: 'demo-source', account: WORKLOAD, region: 'eu-west-1',
      template: fixtureTemplate(), requiredBootstrapVersion: 6, bootstrapQualifier: 'hnb659fds',
    });
  });

  test('an asset manifest needing a newer bootstrap raises the requirement; environment-agnostic stacks have no env', () => {
    const dir = writeAssembly([{ id: 'Agnostic', env: 'aws://unknown-account/unknown-region' }]);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.artifacts['Agnostic.assets'].properties.requiresBootstrapStackVersion = 21;
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    expect(readAssembly(dir)[0]).toMatchObject({ account: undefined, region: undefined, requiredBootstrapVersion: 21 });
  });

  test('no cdk.out says to synthesize first', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-empty-'));
    expect(() => readAssembly(empty)).toThrow(VerifyError);
    try {
      readAssembly(empty);
    } catch (e) {
      expect((e as VerifyError).kind).toBe('assembly');
      expect((e as VerifyError).advice).toMatch(/^run `npx cdk synth`/);
    }
  });
});

describe('selectStacks', () => {
  const stacks = readAssembly(writeAssembly());
  test('every stack when no pattern is given', () => {
    expect(selectStacks(stacks, []).map((s) => s.id)).toEqual(['Demo-Replica', 'Demo-Source', 'Demo-Archive']);
  });
  test('by id, by stack name and with wildcards, in assembly order', () => {
    expect(selectStacks(stacks, ['Demo-Archive', 'demo-source']).map((s) => s.id)).toEqual(['Demo-Source', 'Demo-Archive']);
    expect(selectStacks(stacks, ['*-Re*']).map((s) => s.id)).toEqual(['Demo-Replica']);
  });
  test('a pattern that matches nothing is refused, naming it', () => {
    expect(() => selectStacks(stacks, ['Demo-Source', 'Missing*'])).toThrow('no stack matches "Missing*" in the cloud assembly');
  });
});
