/** Reading the cloud assembly: a real synth of the example app, and the fixture. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readAssembly, selectStacks } from '../../packages/verify/src/assembly';
import { VerifyError } from '../../packages/verify/src/errors';
import { exampleConfig } from '../../examples/config';
import { addReplicatedBucketExamples } from '../../examples/resilience/replicated-bucket';
import { checkedApp } from '../support/app';
import { fixtureTemplate, WORKLOAD, writeAssembly } from './fixture';

describe('readAssembly', () => {
  test('reads the RES-7 example stacks of a real synth: environment, template and bootstrap version', () => {
    const app = checkedApp();
    addReplicatedBucketExamples(app, exampleConfig(app));
    const assembly = app.synth({ force: true });
    const stacks = readAssembly(assembly.directory);
    expect(stacks.map((s) => [s.id, s.stackName, s.account, s.region, s.requiredBootstrapVersion, s.bootstrapQualifier])).toEqual([
      ['Res7-CrossRegion-Replica', 'Res7-CrossRegion-Replica', '444444444444', 'eu-central-1', 6, 'hnb659fds'],
      ['Res7-CrossRegion-Source', 'Res7-CrossRegion-Source', '444444444444', 'eu-west-1', 6, 'hnb659fds'],
      ['Res7-CrossAccount-Replica', 'Res7-CrossAccount-Replica', '333333333333', 'eu-central-1', 6, 'hnb659fds'],
      ['Res7-CrossAccount-Source', 'Res7-CrossAccount-Source', '444444444444', 'eu-west-1', 6, 'hnb659fds'],
    ]);
    const source = stacks[1];
    expect(source.template).toEqual(JSON.parse(fs.readFileSync(path.join(assembly.directory, 'Res7-CrossRegion-Source.template.json'), 'utf8')));
  });

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
