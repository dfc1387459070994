import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';

/**
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
