/**
 * SEC-2 ConfigCompliance (management side): AWS Config across the organization.
 *
 * From the management account: trusted access for AWS Config's organization features and the
 * delegated administrator registration for `config-multiaccountsetup.amazonaws.com`
 * (organization rules and conformance packs) and `config.amazonaws.com` (organization
 * aggregators). CloudFormation has no resource for `EnableAWSServiceAccess` or
 * `RegisterDelegatedAdministrator`, so this is a custom resource, idempotent, retried while
 * Organizations is eventually consistent, with a real Delete (`DeregisterDelegatedAdministrator`).
 * Optionally, a service-managed StackSet gives every member account of the chosen OUs (current
 * and future) a recorder and a delivery channel in each region, delivering to the central bucket
 * of {@link ConfigCompliance}: conformance packs need a recorder in every member.
 */
import { CustomResource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { checkReservedConcurrency } from '../core/reserved-concurrency';
import { PropsCheck } from '../core/validation';
import { OrganizationStackSet, RegionConcurrency, StackSetCallAs, StackSetCapability } from '../iac/organization-stack-set';
import { StackSetTemplate } from '../iac/stack-set-template';
import { CONFIG_RECORDER_ROLE_PATH } from './config-delivery-bucket';
import { organizationAdminResource } from './organization-admin-provider';

/** The member accounts that get a recorder and a delivery channel through a StackSet. */
export interface ConfigMemberRecorders {
  /** The organizational units (`ou-...` or the root `r-...`) whose accounts are targeted, now and later. */
  readonly organizationalUnitIds: string[];
  /** The regions to record in. The first one also records global resource types. */
  readonly regions: string[];
  /** The name of the central delivery bucket (a {@link ConfigDeliveryBucket} with `organizationId`, which admits these recorders). */
  readonly deliveryBucketName: string;
  /**
   * The ARN of the delivery bucket's KMS key, which the member recorder roles may use through S3.
   * The bucket's default encryption applies, so a `key/*` ARN of the bucket's account and region
   * works when the key id is not known before deployment; the key policy then decides.
   * @default - the bucket is not KMS-encrypted
   */
  readonly deliveryKeyArn?: string;
}

/**
 * Props for {@link ConfigDelegatedAdmin}.
 */
export interface ConfigDelegatedAdminProps {
  /** The account that becomes AWS Config's delegated administrator. Never the management account. */
  readonly adminAccount: string;

  /**
   * Recorders and delivery channels for member accounts through a service-managed StackSet.
   * Leave it out where the member accounts already have a recorder: AWS Config takes one per
   * account and region, so under Control Tower (which puts `aws-controltower-BaselineConfigRecorder`
   * in every enrolled account and region) each stack instance would fail.
   * @default - members are not set up here
   */
  readonly memberRecorders?: ConfigMemberRecorders;

  /**
   * Concurrency reserved for each of the two Lambda functions of the custom resource (its handler
   * and the provider framework), a positive whole number. Opt-in, because Lambda refuses a
   * reservation that leaves fewer than 100 of the account's concurrent executions unreserved, so
   * it fails the deployment in accounts with a low concurrency quota, such as new accounts. The
   * registrations of one stack share one provider, so they must ask for the same value.
   * @default - none; the functions run within the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

/** The service principals of AWS Config's organization features. */
const CONFIG_SERVICE_PRINCIPALS = ['config-multiaccountsetup.amazonaws.com', 'config.amazonaws.com'];

/**
 * SEC-2 (management account): registers the delegated AWS Config administrator and, optionally,
 * deploys member recorders through a service-managed StackSet.
 *
 * ```ts
 * new ConfigDelegatedAdmin(managementStack, 'ConfigAdmin', {
 *   adminAccount: '222222222222',
 *   memberRecorders: { organizationalUnitIds: ['ou-abcd-11111111'], regions: ['eu-west-1'], deliveryBucketName: 'central-config-bucket' },
 * });
 * ```
 */
export class ConfigDelegatedAdmin extends Construct {
  /** The custom resource; depend on it to run after the registration. */
  public readonly resource: CustomResource;
  /** The StackSet of member recorders (an IAC-2 {@link OrganizationStackSet}), if asked for. */
  public readonly memberStackSet?: OrganizationStackSet;

  constructor(scope: Construct, id: string, props: ConfigDelegatedAdminProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const check = new PropsCheck(this, 'ConfigDelegatedAdmin');
    check.accountId('adminAccount', props.adminAccount);
    if (Token.isUnresolved(stack.account)) {
      check.add('the registration runs in the management account: set env.account on the stack so the administrator can be checked against it');
    } else {
      check.require(props.adminAccount !== stack.account,
        `adminAccount ${props.adminAccount} is the management account this stack deploys to: the delegated AWS Config administrator must be another account`);
    }
    const members = props.memberRecorders;
    if (members) {
      check.require(members.organizationalUnitIds.length > 0, 'memberRecorders.organizationalUnitIds must name at least one OU');
      check.require(members.regions.length > 0, 'memberRecorders.regions must name at least one region');
      members.organizationalUnitIds.forEach((ou, i) => check.organizationTarget(`memberRecorders.organizationalUnitIds[${i}]`, ou));
    }
    checkReservedConcurrency(check, props.reservedConcurrentExecutions);
    check.throwIfAny();

    const resource = organizationAdminResource(this, {
      kind: 'OrganizationsDelegatedAdmin',
      description: 'Registers delegated administrators of AWS Organizations (SEC-2)',
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      properties: { AdminAccountId: props.adminAccount, ServicePrincipals: CONFIG_SERVICE_PRINCIPALS },
      statements: [
        new iam.PolicyStatement({
          sid: 'ConfigTrustedAccessAndDelegation',
          actions: ['organizations:EnableAWSServiceAccess', 'organizations:RegisterDelegatedAdministrator', 'organizations:DeregisterDelegatedAdministrator', 'organizations:ListDelegatedAdministrators'],
          resources: ['*'],
          conditions: { StringEquals: { 'organizations:ServicePrincipal': CONFIG_SERVICE_PRINCIPALS } },
        }),
        // Organizations creates the Config service-linked roles in this account when it enables trusted access.
        new iam.PolicyStatement({
          sid: 'ConfigServiceLinkedRoles',
          actions: ['iam:CreateServiceLinkedRole'],
          resources: ['*'],
          conditions: { StringEquals: { 'iam:AWSServiceName': CONFIG_SERVICE_PRINCIPALS } },
        }),
        new iam.PolicyStatement({
          sid: 'ReadOrganization',
          actions: ['organizations:DescribeOrganization'],
          resources: ['*'],
        }),
      ],
      wildcardReason: 'AWS Organizations EnableAWSServiceAccess, RegisterDelegatedAdministrator, DeregisterDelegatedAdministrator, ListDelegatedAdministrators and DescribeOrganization have no resource-level permissions; the changing calls are limited to the two AWS Config service principals with the organizations:ServicePrincipal condition, and CreateServiceLinkedRole to their service names.',
    });
    this.resource = resource;

    if (members) {
      this.memberStackSet = new OrganizationStackSet(this, 'MemberRecorders', {
        template: StackSetTemplate.fromObject(memberRecorderTemplate(members)),
        stackSetName: `config-member-recorders-${stack.stackName}`.slice(0, 128),
        description: 'SEC-2: AWS Config recorder and delivery channel in every member account and region',
        autoDeployment: true,
        retainStacksOnAccountRemoval: false,
        capabilities: [StackSetCapability.IAM],
        managedExecution: true,
        failureTolerancePercentage: 10,
        maxConcurrentPercentage: 25,
        regionConcurrency: RegionConcurrency.PARALLEL,
        callAs: StackSetCallAs.SELF,
        organizationalUnitIds: members.organizationalUnitIds,
        regions: members.regions,
      });
      this.memberStackSet.node.addDependency(resource);
    }
  }
}

/**
 * The member template: a recorder role, a recorder and a delivery channel to the central bucket.
 * The role is under {@link CONFIG_RECORDER_ROLE_PATH} (its name is generated per stack instance,
 * one per region) and may do exactly what AWS Config does with it on cross-account delivery,
 * which the {@link ConfigDeliveryBucket}'s policy mirrors: PutObject with the
 * bucket-owner-full-control ACL (and so PutObjectAcl) under its account's prefix, GetBucketAcl,
 * and the key through S3. https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html
 */
function memberRecorderTemplate(members: ConfigMemberRecorders): object {
  const bucketArn = `arn:\${AWS::Partition}:s3:::${members.deliveryBucketName}`;
  const statements: object[] = [
    {
      Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectAcl'], Resource: { 'Fn::Sub': `${bucketArn}/AWSLogs/\${AWS::AccountId}/Config/*` },
      Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
    },
    { Effect: 'Allow', Action: 's3:GetBucketAcl', Resource: { 'Fn::Sub': bucketArn } },
  ];
  if (members.deliveryKeyArn) {
    statements.push({
      Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: members.deliveryKeyArn,
      Condition: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
    });
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'SEC-2 member account: AWS Config recorder and delivery channel (deployed by a service-managed StackSet)',
    Conditions: { RecordGlobal: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, members.regions[0]] } },
    Resources: {
      RecorderRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Path: CONFIG_RECORDER_ROLE_PATH,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'config.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }],
          },
          ManagedPolicyArns: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWS_ConfigRole' }],
        },
      },
      DeliveryPolicy: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: { Roles: [{ Ref: 'RecorderRole' }], PolicyDocument: { Version: '2012-10-17', Statement: statements } },
      },
      Recorder: {
        Type: 'AWS::Config::ConfigurationRecorder',
        Properties: {
          RoleARN: { 'Fn::GetAtt': ['RecorderRole', 'Arn'] },
          RecordingGroup: { AllSupported: true, IncludeGlobalResourceTypes: { 'Fn::If': ['RecordGlobal', true, false] } },
        },
      },
      DeliveryChannel: {
        Type: 'AWS::Config::DeliveryChannel',
        // PutDeliveryChannel refuses to run before a configuration recorder exists.
        DependsOn: ['DeliveryPolicy', 'Recorder'],
        Properties: {
          S3BucketName: members.deliveryBucketName,
          ConfigSnapshotDeliveryProperties: { DeliveryFrequency: 'TwentyFour_Hours' },
        },
      },
    },
  };
}
