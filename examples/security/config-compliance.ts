/**
 * SEC-2 examples, a stack per role, in deployment order:
 * 1. `Sec2-LogArchive` (log archive account): the central Config bucket for member accounts.
 * 2. `Sec2-Management` (management account): Config trusted access and the delegated
 *    administrator, and a service-managed StackSet with a recorder and delivery channel in every
 *    member account of the workload OU, in both regions (current and future accounts).
 * 3. `Sec2-SecurityAdmin` (security account): its own recorder, the managed rules, remediation,
 *    the organization conformance pack and the organization aggregator.
 */
import { App, Arn, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge } from '../../lib/core/acknowledge';
import { ServiceRole } from '../../lib/core/service-role';
import { ComplianceRule, ConfigCompliance, ConfigDeliveryBucket } from '../../lib/security/config-compliance';
import { ConfigDelegatedAdmin } from '../../lib/security/config-delegated-admin';
import { env, ExampleConfig } from '../config';

/** Placeholder organization and OU ids; override with `-c organizationId=o-... -c workloadOu=ou-...`. */

/** Props for {@link ConfigLogArchiveStack}. */
export interface ConfigLogArchiveStackProps extends StackProps {
  readonly organizationId: string;
}

/** The log archive account's part: the central delivery bucket, named before deployment. */
export class ConfigLogArchiveStack extends Stack {
  public readonly delivery: ConfigDeliveryBucket;
  public readonly bucketName: string;

  constructor(scope: Construct, id: string, props: ConfigLogArchiveStackProps) {
    super(scope, id, props);
    this.bucketName = `config-central-${this.account}-${this.region}`;
    this.delivery = new ConfigDeliveryBucket(this, 'CentralConfig', { organizationId: props.organizationId, bucketName: this.bucketName });
  }
}

/** Props for {@link ConfigManagementStack}. */
export interface ConfigManagementStackProps extends StackProps {
  readonly securityAccount: string;
  readonly logArchiveAccount: string;
  readonly deliveryBucketName: string;
  readonly workloadOu: string;
  readonly regions: string[];
}

/** The management account's part: trusted access, the delegated administrator, member recorders. */
export class ConfigManagementStack extends Stack {
  public readonly delegation: ConfigDelegatedAdmin;

  constructor(scope: Construct, id: string, props: ConfigManagementStackProps) {
    super(scope, id, props);
    this.delegation = new ConfigDelegatedAdmin(this, 'ConfigAdmin', {
      adminAccountId: props.securityAccount,
      memberRecorders: {
        organizationalUnitIds: [props.workloadOu],
        regions: props.regions,
        deliveryBucketName: props.deliveryBucketName,
        deliveryKeyArn: Arn.format({ service: 'kms', account: props.logArchiveAccount, resource: 'key', resourceName: '*' }, this),
      },
    });
  }
}

/** The delegated administrator's part. */
export class ConfigAdminStack extends Stack {
  public readonly compliance: ConfigCompliance;
  public readonly remediationRole: ServiceRole;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    // The role SSM Automation assumes to add the TLS-only statement to a non-compliant bucket
    // (the permissions AWSConfigRemediation-RestrictBucketSSLRequestsOnly documents).
    this.remediationRole = new ServiceRole(this, 'S3TlsRemediationRole', {
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': this.account } }),
      description: 'SSM Automation: AWSConfigRemediation-RestrictBucketSSLRequestsOnly',
    });
    this.remediationRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutEncryptionConfiguration'],
      resources: ['arn:aws:s3:::*'],
    }));
    acknowledge(this.remediationRole.grantsPolicy.node.defaultChild!, 'AwsSolutions-IAM5[Resource::arn:aws:s3:::*]',
      'The remediation fixes whichever bucket of the account the s3-bucket-ssl-requests-only rule finds non-compliant, so it must be able to edit the policy of any bucket; it may only read and write bucket policies and encryption settings, never objects.');
    this.compliance = new ConfigCompliance(this, 'Config', {
      organizationAggregator: true,
      organizationConformancePackName: 'devops-patterns-baseline',
      remediations: [{
        rule: ComplianceRule.S3_BUCKET_SSL_REQUESTS_ONLY,
        documentName: 'AWSConfigRemediation-RestrictBucketSSLRequestsOnly',
        resourceIdParameter: 'BucketName',
        automatic: true,
        maximumAutomaticAttempts: 5,
        assumeRole: this.remediationRole,
      }],
    });
  }
}

/** The SEC-2 example stacks, in deployment order. */
export interface ConfigComplianceExamples {
  readonly logArchive: ConfigLogArchiveStack;
  readonly management: ConfigManagementStack;
  readonly admin: ConfigAdminStack;
}

/** Adds the SEC-2 example stacks to `app`. */
export function addConfigComplianceExamples(app: App, config: ExampleConfig): ConfigComplianceExamples {
  const organizationId = config.organizationId;
  const workloadOu = config.workloadOuId;
  const logArchive = new ConfigLogArchiveStack(app, 'Sec2-LogArchive', {
    env: env(config.logArchiveAccount, config.primaryRegion),
    description: 'SEC-2 ConfigCompliance: central AWS Config bucket for member accounts (log archive account, deploy first)',
    organizationId,
  });
  const management = new ConfigManagementStack(app, 'Sec2-Management', {
    env: env(config.managementAccount, config.primaryRegion),
    description: 'SEC-2 ConfigCompliance: Config delegated administrator and member recorders through a service-managed StackSet (management account)',
    securityAccount: config.securityAccount,
    logArchiveAccount: config.logArchiveAccount,
    deliveryBucketName: logArchive.bucketName,
    workloadOu,
    regions: [config.primaryRegion, config.secondaryRegion],
  });
  management.addStackDependency(logArchive, 'member recorders deliver to the central bucket');
  const admin = new ConfigAdminStack(app, 'Sec2-SecurityAdmin', {
    env: env(config.securityAccount, config.primaryRegion),
    description: 'SEC-2 ConfigCompliance: rules, remediation, organization conformance pack and aggregator (delegated administrator)',
  });
  admin.addStackDependency(management, 'the conformance pack and the aggregator need the delegated administrator and member recorders');
  return { logArchive, management, admin };
}
