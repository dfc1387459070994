/**
 * The checks harness: builds apps exactly as `bin/app.ts` does (cdk.json context, feature flags,
 * the same checks), so a finding that would fail `cdk synth` fails the test with its text.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, AppProps, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { applyChecks } from '../../lib/checks';
import { addAllExamples } from '../../examples';
import { reuseValidationEngine } from './validation-engine';

reuseValidationEngine();

const CDK_JSON = path.join(__dirname, '..', '..', 'cdk.json');

/** The context of cdk.json: feature flags and the example app's settings. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(CDK_JSON, 'utf8')).context;
}

/** An app with cdk.json's context (plus `context` overrides) and the checks applied. */
export function checkedApp(context: Record<string, unknown> = {}, props: AppProps = {}): App {
  const app = new App({ ...props, context: { ...cdkJsonContext(), ...context } });
  applyChecks(app);
  return app;
}

/**
 * An app with cdk.json's context and no checks, for assertions on a pattern's example stacks:
 * test/examples/example-app.test.ts runs the checks over every example stack once, so a
 * pattern's own test file need not pay for the rule packs again.
 */
export function exampleTestApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...cdkJsonContext(), ...context } });
}

/** An app with every example stack and the checks, as `cdk synth` builds it. */
export function exampleApp(context: Record<string, unknown> = {}): App {
  const app = checkedApp(context);
  addAllExamples(app);
  return app;
}

/**
 * Synthesizes the whole app, which runs the checks and the CloudFormation validation; throws
 * with the findings' text if any is left.
 */
export function synthWithChecks(app: App): void {
  app.synth({ force: true });
}

/** The template of `stack`, after the checks passed for the whole app. */
export function checkedTemplate(stack: Stack): Template {
  const app = stack.node.root as App;
  synthWithChecks(app);
  return Template.fromStack(stack);
}
