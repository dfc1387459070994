/**
 * SEC-2 ConfigCompliance: AWS Config recording, the managed rules from the notes, remediation
 * through SSM Automation, and (from the delegated administrator) an organization conformance
 * pack and an aggregator across accounts and regions.
 *
 * Config is regional and takes one configuration recorder per account and region: this
 * construct creates one with its delivery channel, delivering to a TLS-only, KMS-encrypted bucket
 * (or to a central {@link ConfigDeliveryBucket} of the organization, where the member recorders
 * of {@link ConfigDelegatedAdmin}'s StackSet deliver too), or, with `useExistingRecorder`, reuses
 * the one that is there (Control Tower's `aws-controltower-BaselineConfigRecorder` in every
 * enrolled account). The managed rules use their Config identifiers, which differ from the rule
 * names in places (`ec2-instance-managed-by-systems-manager` is `EC2_INSTANCE_MANAGED_BY_SSM`);
 * the drift check gets the role it needs as its `cloudformationRoleArn` parameter, and
 * `cloudtrail-enabled` runs periodically because it has no configuration-change trigger.
 * Remediations are `AWS::Config::RemediationConfiguration`s that run SSM Automation documents
 * with an `AutomationAssumeRole`, automatically with bounded retries when asked. Compliance
 * changes of these rules reach an encrypted SNS topic through EventBridge. Everything here is a
 * native CloudFormation resource; only the organization-wide enablement (management account)
 * needs a custom resource, in {@link ConfigDelegatedAdmin}.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as config from 'aws-cdk-lib/aws-config';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { addEventNotification } from '../core/event-notification';
import { NotificationTopic } from '../core/notification-topic';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';
import { allowDriftDetection } from '../iac/drift-detection-access';
import { ComplianceRule } from './compliance-rule';
import { CONFIG_RECORDER_ROLE_PATH, ConfigDeliveryBucket } from './config-delivery-bucket';

/** https://docs.aws.amazon.com/config/latest/APIReference/API_PutOrganizationConformancePack.html (ExcludedAccounts: 0-1000 account ids). */
const MAX_EXCLUDED_ACCOUNTS = 1000;

/** A remediation of one rule's non-compliant resources with an SSM Automation document. */
export interface ConfigRemediation {
  /** The rule whose non-compliant resources are remediated. Must be one of the construct's rules. */
  readonly rule: ComplianceRule;
  /** The SSM Automation document, e.g. `AWSConfigRemediation-RestrictBucketSSLRequestsOnly`. */
  readonly documentName: string;
  /** The document parameter that receives the non-compliant resource's id (e.g. `BucketName`). */
  readonly resourceIdParameter: string;
  /**
   * Run without a person: each non-compliant evaluation starts the automation.
   * @default false
   */
  readonly automatic?: boolean;
  /**
   * The role SSM Automation assumes (`AutomationAssumeRole`). Required for automatic remediation.
   * @default - none: a person runs the remediation with their own permissions
   */
  readonly assumeRole?: iam.IRole;
  /**
   * How many times an automatic remediation is tried within `retryInterval` (1-25).
   * @default 5
   */
  readonly maximumAutomaticAttempts?: number;
  /**
   * The time window for `maximumAutomaticAttempts`.
   * @default Duration.seconds(60)
   */
  readonly retryInterval?: Duration;
  /**
   * Further static parameters of the document.
   * @default - none
   */
  readonly parameters?: { [name: string]: string };
}

/**
 * Props for {@link ConfigCompliance}.
 */
export interface ConfigComplianceProps {
  /**
   * A configuration recorder and delivery channel already exist in this account and region, and
   * the rules use them: no recorder, delivery channel, recorder role or delivery bucket is
   * created. AWS Config takes one configuration recorder per account and region, so a second one
   * fails; under Control Tower every enrolled account already has
   * `aws-controltower-BaselineConfigRecorder` (delivering to the log archive account), which
   * Control Tower manages and which must not be replaced. The recorder must be recording the
   * resource types of the rules.
   * @default false - this construct creates the recorder and delivery channel
   */
  readonly useExistingRecorder?: boolean;

  /**
   * The bucket Config delivers configuration snapshots and history to. A bucket passed in must
   * already refuse requests without TLS; a {@link ConfigDeliveryBucket} does. Not with
   * `useExistingRecorder`.
   * @default - a new {@link ConfigDeliveryBucket} for this account
   */
  readonly deliveryBucket?: s3.IBucket;

  /**
   * Record global resource types (IAM). Set it in one region only, to avoid duplicates. Not with
   * `useExistingRecorder`.
   * @default true
   */
  readonly includeGlobalResourceTypes?: boolean;

  /**
   * The managed rules to deploy.
   * @default - every rule of {@link ComplianceRule}
   */
  readonly rules?: ComplianceRule[];

  /**
   * The role the drift check uses to call DetectStackDrift (`cloudformationRoleArn`).
   * @default - a new role for config.amazonaws.com with ReadOnlyAccess and the drift calls
   */
  readonly driftDetectionRole?: iam.IRole;

  /**
   * Remediations with SSM Automation.
   * @default - none
   */
  readonly remediations?: ConfigRemediation[];

  /**
   * Deploy the managed rules to every account of the organization as an organization
   * conformance pack with this name. Only from the delegated administrator (or management)
   * account, after {@link ConfigDelegatedAdmin}; members need a recorder.
   * @default - no conformance pack
   */
  readonly organizationConformancePackName?: string;

  /**
   * Accounts (12-digit ids, at most 1000) the organization conformance pack leaves out: accounts
   * without a configuration recorder, where the pack would fail, such as the management account
   * under Control Tower (which records only in enrolled accounts). Only with
   * `organizationConformancePackName`.
   * @default - every account of the organization
   */
  readonly conformancePackExcludedAccounts?: string[];

  /**
   * Aggregate compliance and configuration of every account and region of the organization
   * here. Only from the delegated administrator (or management) account.
   * @default false
   */
  readonly organizationAggregator?: boolean;

  /**
   * Where compliance changes are notified. An imported topic encrypted with a key must already
   * let EventBridge use the key (kms:GenerateDataKey*, kms:Decrypt).
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

const ALL_RULES = Object.values(ComplianceRule);

/** The conformance-pack rules: the drift check is left out, as its role ARN differs per account. */
const PACK_RULES = [ComplianceRule.EC2_VOLUME_INUSE, ComplianceRule.S3_BUCKET_SSL_REQUESTS_ONLY, ComplianceRule.EC2_INSTANCE_MANAGED_BY_SSM, ComplianceRule.CLOUDTRAIL_ENABLED];

/** Resource types each rule evaluates (none for periodic account-level rules). */
const RULE_SCOPE: Record<ComplianceRule, string[]> = {
  [ComplianceRule.EC2_VOLUME_INUSE]: ['AWS::EC2::Volume'],
  [ComplianceRule.S3_BUCKET_SSL_REQUESTS_ONLY]: ['AWS::S3::Bucket'],
  [ComplianceRule.EC2_INSTANCE_MANAGED_BY_SSM]: ['AWS::EC2::Instance', 'AWS::SSM::ManagedInstanceInventory'],
  [ComplianceRule.CLOUDFORMATION_STACK_DRIFT]: ['AWS::CloudFormation::Stack'],
  [ComplianceRule.CLOUDTRAIL_ENABLED]: [],
};

/** The name each rule gets, after its documented rule name. */
function ruleName(rule: ComplianceRule): string {
  return {
    [ComplianceRule.EC2_VOLUME_INUSE]: 'ec2-volume-inuse-check',
    [ComplianceRule.S3_BUCKET_SSL_REQUESTS_ONLY]: 's3-bucket-ssl-requests-only',
    [ComplianceRule.EC2_INSTANCE_MANAGED_BY_SSM]: 'ec2-instance-managed-by-systems-manager',
    [ComplianceRule.CLOUDFORMATION_STACK_DRIFT]: 'cloudformation-stack-drift-detection-check',
    [ComplianceRule.CLOUDTRAIL_ENABLED]: 'cloudtrail-enabled',
  }[rule];
}

/**
 * SEC-2: AWS Config with the notes' managed rules, remediation, and organization-wide views.
 *
 * ```ts
 * new ConfigCompliance(securityStack, 'Config', {
 *   organizationAggregator: true,
 *   organizationConformancePackName: 'devops-baseline',
 *   remediations: [{
 *     rule: ComplianceRule.S3_BUCKET_SSL_REQUESTS_ONLY,
 *     documentName: 'AWSConfigRemediation-RestrictBucketSSLRequestsOnly',
 *     resourceIdParameter: 'BucketName',
 *     automatic: true,
 *     assumeRole: remediationRole,
 *   }],
 * });
 * ```
 */
export class ConfigCompliance extends Construct {
  /** The bucket Config delivers to; undefined with `useExistingRecorder`. */
  public readonly deliveryBucket?: s3.IBucket;
  /** The role the recorder uses; undefined with `useExistingRecorder`. */
  public readonly recorderRole?: ServiceRole;
  /** The configuration recorder; undefined with `useExistingRecorder`. */
  public readonly recorder?: config.CfnConfigurationRecorder;
  /** The delivery channel; undefined with `useExistingRecorder`. */
  public readonly deliveryChannel?: config.CfnDeliveryChannel;
  /** The managed rules, by rule. */
  public readonly rules: { [rule: string]: config.ManagedRule };
  /** The remediation configurations. */
  public readonly remediations: config.CfnRemediationConfiguration[];
  /** The organization conformance pack, if asked for. */
  public readonly conformancePack?: config.CfnOrganizationConformancePack;
  /** The organization aggregator, if asked for. */
  public readonly aggregator?: config.CfnConfigurationAggregator;
  /** The EventBridge rule that forwards compliance changes. */
  public readonly complianceRule: events.Rule;
  /** The topic compliance changes are sent to. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: ConfigComplianceProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const selected = props.rules ?? ALL_RULES;
    const remediations = props.remediations ?? [];

    const check = new PropsCheck(this, 'ConfigCompliance');
    check.require(selected.length > 0, 'rules must name at least one rule');
    check.require(new Set(selected).size === selected.length, 'rules lists a rule more than once');
    remediations.forEach((r, i) => {
      const label = `remediations[${i}] (${ruleName(r.rule)}, ${r.documentName})`;
      check.require(selected.includes(r.rule), `${label}: the rule is not one of this construct's rules`);
      check.require(!(r.automatic && !r.assumeRole), `${label}: automatic remediation needs assumeRole, the role SSM Automation assumes (AutomationAssumeRole)`);
      check.inRange(`${label}: maximumAutomaticAttempts`, r.maximumAutomaticAttempts, 1, 25);
      if (r.retryInterval !== undefined) check.inRange(`${label}: retryInterval in seconds`, r.retryInterval.toSeconds(), 1, 2678000);
      check.require(!('AutomationAssumeRole' in (r.parameters ?? {})), `${label}: set assumeRole instead of an AutomationAssumeRole parameter`);
    });
    check.require(new Set(remediations.map((r) => r.rule)).size === remediations.length, 'a rule can have only one remediation');
    if (props.organizationConformancePackName !== undefined) {
      check.require(/^[A-Za-z][-A-Za-z0-9]{0,127}$/.test(props.organizationConformancePackName),
        `organizationConformancePackName must start with a letter and hold only letters, digits and hyphens (up to 128), got "${props.organizationConformancePackName}"`);
    }
    const excluded = props.conformancePackExcludedAccounts;
    if (excluded !== undefined) {
      check.require(props.organizationConformancePackName !== undefined,
        'conformancePackExcludedAccounts needs organizationConformancePackName: there is no conformance pack to exclude them from');
      check.require(excluded.length <= MAX_EXCLUDED_ACCOUNTS,
        `conformancePackExcludedAccounts: AWS Config takes at most ${MAX_EXCLUDED_ACCOUNTS} excluded accounts, got ${excluded.length}`);
      excluded.forEach((account, i) => check.accountId(`conformancePackExcludedAccounts[${i}]`, account));
      check.require(new Set(excluded).size === excluded.length, 'conformancePackExcludedAccounts lists an account more than once');
    }
    const existingRecorder = props.useExistingRecorder ?? false;
    if (existingRecorder) {
      check.require(props.deliveryBucket === undefined,
        'deliveryBucket is for the recorder this construct creates; with useExistingRecorder the existing delivery channel decides where Config delivers');
      check.require(props.includeGlobalResourceTypes === undefined,
        'includeGlobalResourceTypes is for the recorder this construct creates; with useExistingRecorder the existing recorder decides what is recorded');
    }
    check.throwIfAny();

    if (!existingRecorder) {
      const created = this.createRecorder(props);
      this.deliveryBucket = created.deliveryBucket;
      this.recorderRole = created.recorderRole;
      this.recorder = created.recorder;
      this.deliveryChannel = created.deliveryChannel;
    }

    this.rules = {};
    for (const rule of selected) {
      const created = this.createRule(rule, props.driftDetectionRole);
      // A rule needs a recorder; with an existing one there is nothing here to wait for.
      if (this.recorder) created.node.addDependency(this.recorder);
      this.rules[rule] = created;
    }

    this.remediations = remediations.map((r, i) => {
      const parameters: Record<string, unknown> = {
        [r.resourceIdParameter]: { ResourceValue: { Value: 'RESOURCE_ID' } },
      };
      for (const [name, value] of Object.entries(r.parameters ?? {})) parameters[name] = { StaticValue: { Values: [value] } };
      if (r.assumeRole) parameters.AutomationAssumeRole = { StaticValue: { Values: [r.assumeRole.roleArn] } };
      return new config.CfnRemediationConfiguration(this, `Remediation${i}`, {
        configRuleName: this.rules[r.rule].configRuleName,
        targetType: 'SSM_DOCUMENT',
        targetId: r.documentName,
        automatic: r.automatic ?? false,
        maximumAutomaticAttempts: r.automatic ? (r.maximumAutomaticAttempts ?? 5) : undefined,
        retryAttemptSeconds: r.automatic ? (r.retryInterval ?? Duration.seconds(60)).toSeconds() : undefined,
        parameters,
      });
    });

    if (props.organizationConformancePackName) {
      this.conformancePack = new config.CfnOrganizationConformancePack(this, 'ConformancePack', {
        organizationConformancePackName: props.organizationConformancePackName,
        excludedAccounts: excluded,
        templateBody: JSON.stringify(conformancePackTemplate(selected.filter((r) => PACK_RULES.includes(r)))),
      });
    }
    if (props.organizationAggregator) {
      // It only carries the AWS managed policy, so its ServiceRole creates no grants policy.
      const aggregatorRole = new ServiceRole(this, 'AggregatorRole', {
        assumedBy: new iam.ServicePrincipal('config.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
        description: `AWS Config organization aggregator of ${this.node.path}`,
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSConfigRoleForOrganizations')],
      });
      acknowledge(aggregatorRole.node.defaultChild!, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSConfigRoleForOrganizations]',
        'AWSConfigRoleForOrganizations is the AWS-maintained policy with exactly the read-only Organizations calls an organization aggregator makes to list accounts; AWS keeps it in step with the service.');
      this.aggregator = new config.CfnConfigurationAggregator(this, 'Aggregator', {
        organizationAggregationSource: { roleArn: aggregatorRole.roleArn, allAwsRegions: true },
      });
      this.aggregator.node.addDependency(aggregatorRole);
    }

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Compliance', { displayName: 'AWS Config compliance changes' }).topic;
    this.complianceRule = new events.Rule(this, 'ComplianceChanges', {
      description: 'Compliance changes of the AWS Config rules of SEC-2',
      eventPattern: {
        source: ['aws.config'],
        detailType: ['Config Rules Compliance Change'],
        detail: { configRuleName: selected.map((rule) => this.rules[rule].configRuleName) },
      },
    });
    addEventNotification(this.complianceRule, this.notificationTopic,
      `AWS Config rule ${events.EventField.fromPath('$.detail.configRuleName')} in account ${events.EventField.fromPath('$.detail.awsAccountId')}, `
      + `region ${events.EventField.fromPath('$.detail.awsRegion')}: ${events.EventField.fromPath('$.detail.resourceType')} `
      + `${events.EventField.fromPath('$.detail.resourceId')} is now ${events.EventField.fromPath('$.detail.newEvaluationResult.complianceType')}.`);
  }

  /** The recorder, its role, its delivery channel and (unless one is passed) its bucket. */
  private createRecorder(props: ConfigComplianceProps) {
    const stack = Stack.of(this);
    let deliveryBucket: s3.IBucket;
    let deliveryKey: kms.IKey | undefined;
    if (props.deliveryBucket) {
      deliveryBucket = props.deliveryBucket;
      deliveryKey = props.deliveryBucket.encryptionKey;
    } else {
      const secure = new ConfigDeliveryBucket(this, 'Delivery');
      deliveryBucket = secure.bucket;
      deliveryKey = secure.encryptionKey;
    }

    // The recorder's role: AWS_ConfigRole for the describe calls, plus delivery to the bucket.
    const recorderRole = new ServiceRole(this, 'RecorderRole', {
      assumedBy: new iam.ServicePrincipal('config.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
      description: `AWS Config recorder of ${this.node.path}`,
      // The path a central ConfigDeliveryBucket of the organization admits.
      path: CONFIG_RECORDER_ROLE_PATH,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWS_ConfigRole')],
    });
    acknowledge(recorderRole.node.defaultChild!, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole]',
      'AWS_ConfigRole is the AWS-maintained read-only policy that lets AWS Config describe every resource type it records; AWS updates it as Config supports new types, which a hand-written copy would miss.');
    // Delivery, as AWS Config calls it with the recorder's role: PutObject with the
    // bucket-owner-full-control ACL (which also needs s3:PutObjectAcl) under the account's own
    // prefix, GetBucketAcl, and the key; ListBucket only serves Config's HeadBucket location check
    // (delivery works without it), and is kept for the bucket of this account only.
    // https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html
    // https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html
    const deliveryObjects = deliveryBucket.arnForObjects(`AWSLogs/${stack.account}/Config/*`);
    recorderRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:PutObjectAcl'],
      resources: [deliveryObjects],
      conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
    }));
    recorderRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetBucketAcl', 's3:ListBucket'],
      resources: [deliveryBucket.bucketArn],
    }));
    if (deliveryKey) {
      recorderRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [deliveryKey.keyArn] }));
    }
    recorderRole.acknowledgeWildcardResource(deliveryObjects,
      'AWS Config writes one object per snapshot and history file under its own AWSLogs/<account>/Config/ prefix, so the role may write only under that prefix of the delivery bucket.');

    const recorder = new config.CfnConfigurationRecorder(this, 'Recorder', {
      roleArn: recorderRole.roleArn,
      recordingGroup: { allSupported: true, includeGlobalResourceTypes: props.includeGlobalResourceTypes ?? true },
    });
    const deliveryChannel = new config.CfnDeliveryChannel(this, 'DeliveryChannel', {
      s3BucketName: deliveryBucket.bucketName,
      s3KmsKeyArn: deliveryKey?.keyArn,
      configSnapshotDeliveryProperties: { deliveryFrequency: 'TwentyFour_Hours' },
    });
    // PutDeliveryChannel refuses to run before a configuration recorder exists.
    // It checks the bucket with the role's delivery grants when it is created.
    deliveryChannel.node.addDependency(recorderRole, recorderRole.grantsDependable, recorder);

    return { deliveryBucket, recorderRole, recorder, deliveryChannel };
  }

  private createRule(rule: ComplianceRule, driftRole?: iam.IRole): config.ManagedRule {
    const name = ruleName(rule);
    const scope = RULE_SCOPE[rule].length > 0 ? config.RuleScope.fromResources(RULE_SCOPE[rule].map((t) => config.ResourceType.of(t))) : undefined;
    if (rule === ComplianceRule.CLOUDFORMATION_STACK_DRIFT) {
      const role = driftRole ?? this.createDriftRole();
      return new config.CloudFormationStackDriftDetectionCheck(this, 'CloudformationStackDriftDetectionCheck', {
        configRuleName: name,
        role,
      });
    }
    return new config.ManagedRule(this, name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase()), {
      identifier: rule,
      configRuleName: name,
      ruleScope: scope,
      // cloudtrail-enabled has no configuration-change trigger: it can only run periodically.
      maximumExecutionFrequency: rule === ComplianceRule.CLOUDTRAIL_ENABLED ? config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS : undefined,
    });
  }

  private createDriftRole(): iam.IRole {
    const role = new ServiceRole(this, 'DriftDetectionRole', {
      assumedBy: new iam.ServicePrincipal('config.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': Stack.of(this).account } }),
      description: `DetectStackDrift for the cloudformation-stack-drift-detection-check rule of ${this.node.path}`,
    });
    // The same drift permissions as IAC-3's StackDriftDetection: the drift calls, and
    // ReadOnlyAccess for the resources of stacks whose types are not known here.
    const everyStack = Stack.of(this).formatArn({ service: 'cloudformation', resource: 'stack', resourceName: '*' });
    allowDriftDetection(role, [everyStack]);
    role.acknowledgeWildcardResource(everyStack,
      'The rule checks every stack of the account and region for drift, so the drift calls name all stacks of this account and region and nothing else.');
    return role;
  }
}

/** An organization conformance pack template: the managed rules, as the pack deploys them. */
function conformancePackTemplate(rules: ComplianceRule[]): object {
  const resources: Record<string, object> = {};
  for (const rule of rules) {
    const logicalId = ruleName(rule).replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
    resources[logicalId] = {
      Type: 'AWS::Config::ConfigRule',
      Properties: {
        ConfigRuleName: ruleName(rule),
        Source: { Owner: 'AWS', SourceIdentifier: rule },
        ...(RULE_SCOPE[rule].length > 0 ? { Scope: { ComplianceResourceTypes: RULE_SCOPE[rule] } } : {}),
        ...(rule === ComplianceRule.CLOUDTRAIL_ENABLED ? { MaximumExecutionFrequency: 'TwentyFour_Hours' } : {}),
      },
    };
  }
  return { Resources: resources };
}

