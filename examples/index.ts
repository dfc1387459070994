import { App, RemovalPolicies } from 'aws-cdk-lib';
import { exampleConfig } from './config';
import { addAccountBaselineExamples } from './iac/account-baseline';
import { addAuditTrailExamples } from './observability/audit-trail';
import { addReplicatedBucketExamples } from './resilience/replicated-bucket';
import { addOrganizationWafPolicyExamples } from './security/organization-waf-policy';
import { addSecretStoreExamples } from './security/secret-store';

/**
 * Adds every example stack to `app`. Used by `bin/app.ts` and by the tests, so what the tests
 * check is exactly what `cdk synth` builds.
 */
export function addAllExamples(app: App): void {
  const config = exampleConfig(app);
  addReplicatedBucketExamples(app, config);
  addAuditTrailExamples(app, config);
  addAccountBaselineExamples(app, config);
  addSecretStoreExamples(app, config);
  addOrganizationWafPolicyExamples(app, config);
  if (config.sandbox) {
    // Sandbox: whatever a construct keeps by default (log groups, tables, keys) goes on destroy too.
    RemovalPolicies.of(app).destroy();
  }
}
