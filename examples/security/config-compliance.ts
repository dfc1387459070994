/**
 * SEC-2 examples, a stack per role, in deployment order. The example app assumes Control Tower
 * (as IAC-7 does), which already runs an AWS Config recorder (`aws-controltower-BaselineConfigRecorder`)
 * in every enrolled account and region, delivering to its own bucket in the log archive account;
 * AWS Config takes one recorder per account and region, so here:
 * 1. `Sec2-Management` (management account): Config trusted access and the delegated
 *    administrator; no member recorders.
 * 2. `Sec2-SecurityAdmin` (security account): the managed rules on Control Tower's recorder,
 *    remediation, the organization conformance pack (leaving out the management account, where
 *    Control Tower records nothing) and the organization aggregator.
 *
 * With `-c controlTower=false` (an organization without Control Tower) the example records
 * itself: `Sec2-LogArchive` (the central Config bucket) first, member recorders in every account
 * of the workload OU through a service-managed StackSet from `Sec2-Management`, and the security
 * account's own recorder.
 */
import { App, Arn, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ComplianceRule, ConfigCompliance, ConfigDelegatedAdmin, ConfigDeliveryBucket, ServiceRole } from '../../lib';
import { env, ExampleConfig } from '../config';

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

/** Member recorders of {@link ConfigManagementStack}, without Control Tower. */
export interface ConfigExampleMemberRecorders {
  readonly logArchiveAccount: string;
  readonly deliveryBucketName: string;
  readonly workloadOu: string;
  readonly regions: string[];
}

/** Props for {@link ConfigManagementStack}. */
export interface ConfigManagementStackProps extends StackProps {
  readonly securityAccount: string;
  /** Member recorders through a StackSet; none under Control Tower, whose recorders are there. */
  readonly memberRecorders?: ConfigExampleMemberRecorders;
}

/** The management account's part: trusted access, the delegated administrator, member recorders. */
export class ConfigManagementStack extends Stack {
  public readonly delegation: ConfigDelegatedAdmin;

  constructor(scope: Construct, id: string, props: ConfigManagementStackProps) {
    super(scope, id, props);
    const members = props.memberRecorders;
    this.delegation = new ConfigDelegatedAdmin(this, 'ConfigAdmin', {
      adminAccount: props.securityAccount,
      memberRecorders: members && {
        organizationalUnitIds: [members.workloadOu],
        regions: members.regions,
        deliveryBucketName: members.deliveryBucketName,
        deliveryKeyArn: Arn.format({ service: 'kms', account: members.logArchiveAccount, resource: 'key', resourceName: '*' }, this),
      },
    });
  }
}

/** Props for {@link ConfigAdminStack}. */
export interface ConfigAdminStackProps extends StackProps {
  /** Control Tower's recorder is in this account: reuse it. */
  readonly controlTower: boolean;
  /** The management account, which Control Tower does not record and the conformance pack leaves out. */
  readonly managementAccount: string;
}

/** The delegated administrator's part. */
export class ConfigAdminStack extends Stack {
  public readonly compliance: ConfigCompliance;
  public readonly remediationRole: ServiceRole;

  constructor(scope: Construct, id: string, props: ConfigAdminStackProps) {
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
    this.remediationRole.acknowledgeWildcardResource('arn:aws:s3:::*',
      'The remediation fixes whichever bucket of the account the s3-bucket-ssl-requests-only rule finds non-compliant, so it must be able to edit the policy of any bucket; it may only read and write bucket policies and encryption settings, never objects.');
    this.compliance = new ConfigCompliance(this, 'Config', {
      useExistingRecorder: props.controlTower,
      organizationAggregator: true,
      organizationConformancePackName: 'devops-patterns-baseline',
      // Control Tower records only in enrolled accounts: the pack would fail in the management account.
      conformancePackExcludedAccounts: props.controlTower ? [props.managementAccount] : undefined,
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
  /** The central Config bucket; only without Control Tower (`-c controlTower=false`). */
  readonly logArchive?: ConfigLogArchiveStack;
  readonly management: ConfigManagementStack;
  readonly admin: ConfigAdminStack;
}


/** Adds the SEC-2 example stacks to `app`. */
export function addConfigComplianceExamples(app: App, config: ExampleConfig): ConfigComplianceExamples {
  const controlTower = config.controlTower;
  const logArchive = controlTower ? undefined : new ConfigLogArchiveStack(app, 'Sec2-LogArchive', {
    env: env(config.logArchiveAccount, config.primaryRegion),
    description: 'SEC-2 ConfigCompliance: central AWS Config bucket for member accounts (log archive account, deploy first)',
    organizationId: config.organizationId,
  });
  const management = new ConfigManagementStack(app, 'Sec2-Management', {
    env: env(config.managementAccount, config.primaryRegion),
    description: logArchive
      ? 'SEC-2 ConfigCompliance: Config delegated administrator and member recorders through a service-managed StackSet (management account)'
      : 'SEC-2 ConfigCompliance: Config delegated administrator; members keep the Control Tower recorder (management account)',
    securityAccount: config.securityAccount,
    memberRecorders: logArchive && {
      logArchiveAccount: config.logArchiveAccount,
      deliveryBucketName: logArchive.bucketName,
      workloadOu: config.workloadOuId,
      regions: [config.primaryRegion, config.secondaryRegion],
    },
  });
  if (logArchive) management.addStackDependency(logArchive, 'member recorders deliver to the central bucket');
  const admin = new ConfigAdminStack(app, 'Sec2-SecurityAdmin', {
    env: env(config.securityAccount, config.primaryRegion),
    description: controlTower
      ? 'SEC-2 ConfigCompliance: rules on the Control Tower recorder, remediation, organization conformance pack and aggregator (delegated administrator)'
      : 'SEC-2 ConfigCompliance: recorder, rules, remediation, organization conformance pack and aggregator (delegated administrator)',
    controlTower,
    managementAccount: config.managementAccount,
  });
  admin.addStackDependency(management, 'the conformance pack and the aggregator need the delegated administrator (and member recorders)');
  return { logArchive, management, admin };
}
