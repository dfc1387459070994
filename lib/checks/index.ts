import { App, Validations } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';

/** The rule packs every synth runs, by the name a finding's id starts with. */
export const RULE_PACKS = ['AwsSolutions', 'NIST.800.53.R5'];

/**
 * The checks, for your own app too (an entry point of its own, outside the construct API, so
 * the library does not need cdk-nag unless you use them):
 *
 * ```ts
 * import { App } from 'aws-cdk-lib';
 * import { applyChecks } from '@devops-patterns/cdk-reference/dist/lib/checks';
 *
 * const app = new App();
 * // ... your stacks
 * applyChecks(app);
 * ```
 *
 * The checks every synth of the example app and every test runs: the cdk-nag `AwsSolutions`
 * and `NIST.800.53.R5` packs, next to the CloudFormation validation that aws-cdk-lib runs itself
 * (made an error by `@aws-cdk/core:validateAgainstDefaultRules`, and warnings made errors by
 * `@aws-cdk/core:strictCfnValidateErrors`, both set in cdk.json).
 *
 * A finding fails the synth unless it is fixed or acknowledged on the narrowest construct with
 * `Validations.of(construct).acknowledge({ id, reason })`.
 */
export function applyChecks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new NIST80053R5Checks(app, { verbose: true }),
  );
}

/**
 * One line that says the checks ran and passed: the packs, how many stacks and resources they
 * read, and how many findings are acknowledged (each with its reason, in the construct metadata
 * `aws:cdk:acknowledged-rules`).
 */
export function checksSummary(app: App, assembly: cxapi.CloudAssembly): string {
  const stacks = assembly.stacksRecursively;
  const resources = stacks.reduce((n, s) => n + Object.keys(s.template.Resources ?? {}).length, 0);
  const acknowledgements = app.node.findAll().reduce((n, c) => n + c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .reduce((k, m) => k + (Array.isArray(m.data) ? m.data.length : 1), 0), 0);
  return `checks passed: ${RULE_PACKS.join(' and ')} rule packs and CloudFormation validation over ${stacks.length} stacks `
    + `(${resources} resources), 0 findings left, ${acknowledgements} acknowledged with a reason`;
}
