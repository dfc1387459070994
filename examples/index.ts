import { App, RemovalPolicies } from 'aws-cdk-lib';
import { exampleConfig } from './config';
import { addCodeGuruIntegrationExamples } from './cicd/codeguru-integration';
import { addGitHubWebhookBuildExamples } from './cicd/github-webhook-build';
import { addPullRequestChecksExamples } from './cicd/pull-request-checks';
import { addBeanstalkEnvironmentExamples } from './cicd/beanstalk-environment';
import { addEcsBlueGreenServiceExamples } from './cicd/ecs-blue-green-service';
import { addLambdaCanaryReleaseExamples } from './cicd/lambda-canary-release';
import { addReleasePipelineExamples } from './cicd/release-pipeline';
import { addFailoverRoutingExamples } from './resilience/failover-routing';
import { addGatewayCacheRefreshExamples } from './resilience/gateway-cache-refresh';
import { addManagedAutoScalingGroupExamples } from './resilience/managed-auto-scaling-group';
import { addGlobalTableExamples } from './resilience/global-table';
import { addReplicatedBucketExamples } from './resilience/replicated-bucket';
import { addKubernetesPlatformExamples } from './resilience/kubernetes-platform';
import { addResilientDatabaseExamples } from './resilience/resilient-database';
import { addResilientNetworkExamples } from './resilience/resilient-network';
import { addScalingPoliciesExamples } from './resilience/scaling-policies';
import { addScheduledSnapshotsExamples } from './resilience/scheduled-snapshots';
import { addSelfHealingInstanceExamples } from './resilience/self-healing-instance';
import { addConfigComplianceExamples } from './security/config-compliance';
import { addGuardDutyOrganizationExamples } from './security/guardduty-organization';
import { addAccountBaselineExamples } from './iac/account-baseline';
import { addOrganizationStackSetExamples } from './iac/organization-stack-set';
import { addDeploymentRolesExamples } from './iac/deployment-roles';
import { addApiObservabilityExamples } from './observability/api-observability';
import { addStackDriftDetectionExamples } from './iac/stack-drift-detection';
import { addPatchManagementExamples } from './iac/patch-management';
import { addAccessLogAnalyticsExamples } from './observability/access-log-analytics';
import { addInlineCustomResourceExamples } from './iac/inline-custom-resource';
import { addScheduledAndLoadScalingExamples } from './iac/scheduled-and-load-scaling';
import { addGovernedProductExamples } from './iac/governed-product';
import { addAuditTrailExamples } from './observability/audit-trail';
import { addInstanceMetricsExamples } from './observability/instance-metrics';
import { addKeyMonitoringExamples } from './observability/key-monitoring';
import { addServiceLimitMonitoringExamples } from './observability/service-limit-monitoring';
import { addLogSubscriptionPipelineExamples } from './observability/log-subscription-pipeline';
import { addContainerObservabilityExamples } from './observability/container-observability';
import { addOrganizationWafPolicyExamples } from './security/organization-waf-policy';
import { addSecretStoreExamples } from './security/secret-store';
import { addEventFanoutExamples } from './response/event-fanout';
import { addOperationalEventRoutingExamples } from './response/operational-event-routing';

/**
 * Adds every example stack to `app`. Used by `bin/app.ts` and by the tests, so what the tests
 * check is exactly what `cdk synth` builds.
 */
export function addAllExamples(app: App): void {
  const config = exampleConfig(app);
  addReplicatedBucketExamples(app, config);
  addResilientNetworkExamples(app, config);
  addScalingPoliciesExamples(app, config);
  addScheduledSnapshotsExamples(app, config);
  addSelfHealingInstanceExamples(app, config);
  addGatewayCacheRefreshExamples(app, config);
  addManagedAutoScalingGroupExamples(app, config);
  addFailoverRoutingExamples(app, config);
  addGlobalTableExamples(app, config);
  addResilientDatabaseExamples(app, config);
  addKubernetesPlatformExamples(app, config);
  addPullRequestChecksExamples(app, config);
  addGitHubWebhookBuildExamples(app, config);
  addCodeGuruIntegrationExamples(app, config);
  addGuardDutyOrganizationExamples(app, config);
  addConfigComplianceExamples(app, config);
  addLambdaCanaryReleaseExamples(app, config);
  addEcsBlueGreenServiceExamples(app, config);
  addBeanstalkEnvironmentExamples(app, config);
  const trails = addAuditTrailExamples(app, config);
  addKeyMonitoringExamples(app, config, trails);
  addServiceLimitMonitoringExamples(app, config);
  addApiObservabilityExamples(app, config);
  addAccessLogAnalyticsExamples(app, config);
  addInstanceMetricsExamples(app, config);
  addLogSubscriptionPipelineExamples(app, config);
  addContainerObservabilityExamples(app, config);
  addAccountBaselineExamples(app, config);
  addOrganizationStackSetExamples(app, config);
  addDeploymentRolesExamples(app, config);
  addStackDriftDetectionExamples(app, config);
  addInlineCustomResourceExamples(app, config);
  addScheduledAndLoadScalingExamples(app, config);
  addGovernedProductExamples(app, config);
  addPatchManagementExamples(app, config);
  addSecretStoreExamples(app, config);
  addOrganizationWafPolicyExamples(app, config);
  addReleasePipelineExamples(app, config);
  addEventFanoutExamples(app, config);
  addOperationalEventRoutingExamples(app, config);
  if (config.sandbox) {
    // Sandbox: whatever a construct keeps by default (log groups, tables, keys) goes on destroy too.
    RemovalPolicies.of(app).destroy();
  }
}
