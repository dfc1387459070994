/**
 * Keeps aws-cdk-lib's CloudFormation validation engine across the synths of one test process.
 *
 * Every synth runs aws-cdk-lib's CloudFormation validation (`@aws-cdk/core:validateAgainstDefaultRules`
 * is on). Its engine lives in one plugin instance per process, and aws-cdk-lib 2.276 builds a new
 * engine whenever a template holds a resource type the current engine was not built for, even
 * though the engine's configuration depends only on the built-in rules selected for those types
 * (`loadBuiltinRegoRules`: a rule whose `types` is null, or names one of them). Building and
 * freeing an engine takes about 1-3 s of CPU; the test suites synthesize hundreds of small apps
 * with different resource types, and a CPU profile of one whole jest run found 44% of it in
 * engine construction and disposal.
 *
 * This keeps the engine when the rules it would be built with are the rules it already has, so
 * every template is validated by an engine with exactly the configuration aws-cdk-lib would
 * have built for it. Only the cache key changes; no rule, finding or severity does.
 *
 * It reads two private members of the plugin (`_singletonInstance`, `initializeEngine`). When a
 * later aws-cdk-lib no longer has them, nothing is changed: the tests run as before, only slower.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CloudFormationValidatePlugin } from 'aws-cdk-lib';

export interface RuleIndex {
  readonly rules: ReadonlyArray<{ readonly file: string; readonly types: readonly string[] | null }>;
}

export interface EnginePlugin {
  initializeEngine?: (resourceTypes: Set<string>) => unknown;
  engine?: unknown;
  engineResourceTypes?: Set<string>;
  [REUSED]?: boolean;
}

const REUSED = Symbol.for('devops-patterns.test.reuse-validation-engine');

/** aws-cdk-lib's index of its built-in CloudFormation validation rules, or undefined when it has none where 2.276 keeps it. */
export function ruleIndex(): RuleIndex | undefined {
  const file = path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'core', 'lib', 'validation', 'rules', 'index.generated.json');
  if (!fs.existsSync(file)) return undefined;
  const index = JSON.parse(fs.readFileSync(file, 'utf8')) as RuleIndex;
  return Array.isArray(index.rules) ? index : undefined;
}

/** The built-in rule files aws-cdk-lib selects for these resource types (its `loadBuiltinRegoRules`). */
export function selectedRules(index: RuleIndex, resourceTypes: Set<string>): string {
  return index.rules.filter((r) => r.types === null || r.types.some((type) => resourceTypes.has(type)))
    .map((r) => r.file).sort().join('\n');
}

/** Makes this process's validation engine reused across synths whose rule selection is the same; returns whether it could. */
export function reuseValidationEngine(): boolean {
  const singleton = (CloudFormationValidatePlugin as unknown as { _singletonInstance?: () => EnginePlugin })._singletonInstance;
  const index = ruleIndex();
  if (typeof singleton !== 'function' || index === undefined) return false;
  return keepEngineWhileRulesMatch(singleton.call(CloudFormationValidatePlugin), index);
}

/**
 * Wraps `plugin.initializeEngine` so that it returns the existing engine when the rules `index`
 * selects for the template's resource types are the ones the engine was built with, and builds
 * one (aws-cdk-lib's own method) otherwise. Returns false, changing nothing, when the plugin has
 * no such method.
 */
export function keepEngineWhileRulesMatch(plugin: EnginePlugin, index: RuleIndex): boolean {
  if (plugin[REUSED]) return true;
  const initialize = plugin.initializeEngine;
  if (typeof initialize !== 'function') return false;
  let engineRules: string | undefined;
  plugin.initializeEngine = function (this: EnginePlugin, resourceTypes: Set<string>) {
    const rules = selectedRules(index, resourceTypes);
    if (this.engine !== undefined && rules === engineRules) return this.engine;
    const engine = initialize.call(this, resourceTypes);
    engineRules = rules;
    return engine;
  };
  plugin[REUSED] = true;
  return true;
}
