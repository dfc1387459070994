/**
 * The test harness's own guarantees: a domain folder in no shard, or a domain test file with a
 * top-level hook, stops the suites; the shared CloudFormation validation engine is rebuilt
 * exactly when aws-cdk-lib would build it with other rules.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, CloudFormationValidatePlugin, Stack } from 'aws-cdk-lib';
import { cdkJsonContext } from '../support/app';
import { checkShards, domainTestFiles } from '../support/suite';
import { EnginePlugin, keepEngineWhileRulesMatch, reuseValidationEngine, RuleIndex, ruleIndex, selectedRules } from '../support/validation-engine';

function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe('the shards (test/support/suite.ts)', () => {
  test('a domain test file with a top-level hook is refused; hooks inside a describe are fine', () => {
    const dir = folder({
      'a.test.ts': "describe('a', () => {\n  beforeAll(() => {});\n  test('x', () => {});\n});\n",
      'b.test.ts': "beforeEach(() => {});\ntest('y', () => {});\n",
    });
    expect(() => domainTestFiles(dir)).toThrow(`${path.join(dir, 'b.test.ts')} declares a top-level hook`);
    fs.rmSync(path.join(dir, 'b.test.ts'));
    expect(domainTestFiles(dir)).toEqual([path.join(dir, 'a.test.ts')]);
  });

  test('every domain folder must be in exactly one shard; verify and folders without tests are no domain', () => {
    const dir = folder({ 'a/x.test.ts': '', 'b/y.test.ts': '', 'verify/z.test.ts': '', 'support/helper.ts': '' });
    expect(() => checkShards({ 1: ['a', 'b'] }, dir)).not.toThrow();
    expect(() => checkShards({ 1: ['a'] }, dir)).toThrow('missing ["b"], twice [], no such folder []');
    expect(() => checkShards({ 1: ['a', 'b'], 2: ['a'] }, dir)).toThrow('missing [], twice ["a"], no such folder []');
    expect(() => checkShards({ 1: ['a', 'b', 'c'] }, dir)).toThrow('missing [], twice [], no such folder ["c"]');
  });

  test('the shards of this repository list every domain folder once', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(() => checkShards(require('../support/shards').SHARDS)).not.toThrow();
  });
});

describe('one CloudFormation validation engine per process (test/support/validation-engine.ts)', () => {
  const index: RuleIndex = { rules: [{ file: 'all.rego', types: null }, { file: 'fleet.rego', types: ['AWS::GameLift::Fleet'] }] };

  /** A plugin like aws-cdk-lib's: initializeEngine builds an engine (counted) for the given types. */
  function fakePlugin(): EnginePlugin & { built: Array<Set<string>> } {
    const plugin = {
      built: [] as Array<Set<string>>,
      engine: undefined as unknown,
      initializeEngine(this: EnginePlugin & { built: Array<Set<string>> }, types: Set<string>) {
        this.built.push(types);
        this.engine = { types };
        return this.engine;
      },
    };
    return plugin;
  }

  test('the engine is kept across templates with other resource types, and rebuilt when the selected rules change', () => {
    const plugin = fakePlugin();
    expect(keepEngineWhileRulesMatch(plugin, index)).toBe(true);
    const first = plugin.initializeEngine!(new Set(['AWS::SNS::Topic']));
    expect(plugin.initializeEngine!(new Set(['AWS::SQS::Queue', 'AWS::Logs::LogGroup']))).toBe(first);
    const withFleetRule = plugin.initializeEngine!(new Set(['AWS::GameLift::Fleet']));
    expect(withFleetRule).not.toBe(first);
    expect(plugin.initializeEngine!(new Set(['AWS::GameLift::Fleet', 'AWS::SNS::Topic']))).toBe(withFleetRule);
    expect(plugin.initializeEngine!(new Set(['AWS::SNS::Topic']))).not.toBe(withFleetRule);
    expect(plugin.built.map((types) => [...types])).toEqual([['AWS::SNS::Topic'], ['AWS::GameLift::Fleet'], ['AWS::SNS::Topic']]);
  });

  test('a plugin without initializeEngine is left as it is', () => {
    const plugin: EnginePlugin = {};
    expect(keepEngineWhileRulesMatch(plugin, index)).toBe(false);
    expect(plugin.initializeEngine).toBeUndefined();
  });

  test('the rules are selected as aws-cdk-lib selects them: a rule for every type, or one of its types present', () => {
    expect(selectedRules(index, new Set(['AWS::SNS::Topic']))).toBe('all.rego');
    expect(selectedRules(index, new Set(['AWS::GameLift::Fleet']))).toBe('all.rego\nfleet.rego');
  });

  test('aws-cdk-lib 2.276 has what it wraps: the rule index and the plugin singleton; two synths share one engine', () => {
    expect(ruleIndex()?.rules.length).toBeGreaterThan(0);
    expect(reuseValidationEngine()).toBe(true);
    const engine = (): unknown => (CloudFormationValidatePlugin as unknown as { _singletonInstance(): { engine?: unknown } })._singletonInstance().engine;
    const synth = (type: string): void => {
      const app = new App({ context: cdkJsonContext() });
      new CfnResource(new Stack(app, 'S'), 'R', { type });
      app.synth({ force: true });
    };
    synth('AWS::SNS::Topic');
    const first = engine();
    expect(first).toBeDefined();
    synth('AWS::SQS::Queue');
    expect(engine()).toBe(first);
  });
});
