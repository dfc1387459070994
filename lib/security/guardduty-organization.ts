/**
 * SEC-1 GuardDutyOrganization (delegated administrator side): GuardDuty for the whole organization.
 *
 * Runs in the delegated GuardDuty administrator account, in each region, after
 * {@link GuardDutyDelegatedAdmin} delegated it from the management account. Delegation already
 * created this account's detector, so no `AWS::GuardDuty::Detector` is declared here (a second
 * one would fail); a custom resource finds it (`ListDetectors`, waiting while delegation
 * settles), turns the protection features on (Runtime Monitoring with GuardDuty-managed agents
 * for EKS, ECS Fargate and EC2), and sets the organization configuration with
 * `AutoEnableOrganizationMembers: ALL`, so every current and future member is enabled: no
 * `AWS::GuardDuty::Member` per account is needed. CloudFormation has no resource for the
 * organization configuration, which is why it is a custom resource, with a real Delete.
 * Trusted IP lists and threat lists are native `AWS::GuardDuty::IPSet` and
 * `AWS::GuardDuty::ThreatIntelSet` on that detector: only the administrator account can
 * manage them, and they then apply to every member. Findings of every member arrive here; an
 * EventBridge rule filters them by severity and sends them, readable, to an encrypted SNS topic.
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as guardduty from 'aws-cdk-lib/aws-guardduty';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { addEventNotification } from '../core/event-notification';
import { NotificationTopic } from '../core/notification-topic';
import { checkReservedConcurrency } from '../core/reserved-concurrency';
import { PropsCheck } from '../core/validation';
import { GuardDutyAutoEnable } from './guardduty-auto-enable';
import { GuardDutyFeature } from './guardduty-feature';
import { GuardDutyIpList } from './guardduty-ip-list';
import { GuardDutyListFormat } from './guardduty-list-format';
import { GuardDutyRuntimeAgent } from './guardduty-runtime-agent';
import { organizationAdminResource } from './organization-admin-provider';

/**
 * Props for {@link GuardDutyOrganization}.
 */
export interface GuardDutyOrganizationProps {
  /**
   * The delegated GuardDuty administrator account: the account this construct's stack must be
   * deployed to. Stated explicitly so that the organization configuration and the lists cannot
   * end up in another account by mistake.
   */
  readonly adminAccount: string;

  /** The organization's management account, which must not be the administrator. */
  readonly managementAccount: string;

  /**
   * Which members GuardDuty enables automatically.
   * @default GuardDutyAutoEnable.ALL
   */
  readonly autoEnable?: GuardDutyAutoEnable;

  /**
   * Protection features, on for this account and auto-enabled like the members.
   * @default - every feature of {@link GuardDutyFeature}
   */
  readonly features?: GuardDutyFeature[];

  /**
   * With {@link GuardDutyFeature.RUNTIME_MONITORING}: the workloads on which GuardDuty deploys and
   * manages its security agent, here and (auto-enabled like the features) in every member.
   * Without an agent Runtime Monitoring receives no runtime events; leave one out only where you
   * install the agent yourself (EKS, EC2; Fargate has no manual option). GuardDuty creates a VPC
   * endpoint for the agent in each VPC with such a workload.
   * @default - all of {@link GuardDutyRuntimeAgent} when Runtime Monitoring is on
   */
  readonly runtimeMonitoringAgents?: GuardDutyRuntimeAgent[];

  /**
   * Trusted IP lists: no findings for traffic from these addresses. GuardDuty allows one.
   * @default - none
   */
  readonly trustedIpLists?: GuardDutyIpList[];

  /**
   * Threat lists: findings for traffic to or from these addresses. GuardDuty allows six.
   * @default - none
   */
  readonly threatIpLists?: GuardDutyIpList[];

  /**
   * Findings at or above this severity are notified (GuardDuty severities run from 1.0 to
   * 10.0: low 1-3.9, medium 4-6.9, high 7-8.9, critical 9-10).
   * @default 4 (medium and above)
   */
  readonly minimumSeverity?: number;

  /**
   * Where findings are notified. An imported topic encrypted with a key must already let
   * EventBridge use the key (kms:GenerateDataKey*, kms:Decrypt).
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * Concurrency reserved for each of the two Lambda functions of the custom resource (its handler
   * and the provider framework), a positive whole number. Opt-in, because Lambda refuses a
   * reservation that leaves fewer than 100 of the account's concurrent executions unreserved, so
   * it fails the deployment in accounts with a low concurrency quota, such as new accounts.
   * Resources of one type in a stack share one provider, so they must ask for the same value.
   * @default - none; the functions run within the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

const ALL_FEATURES = Object.values(GuardDutyFeature);

/**
 * SEC-1 (delegated administrator account): organization-wide GuardDuty, IP lists and findings.
 *
 * ```ts
 * const gd = new GuardDutyOrganization(securityStack, 'GuardDuty', {
 *   adminAccount: '222222222222',
 *   managementAccount: '111111111111',
 *   threatIpLists: [{ name: 'known-bad', bucket: listsBucket, key: 'threats.txt' }],
 * });
 * ```
 */
export class GuardDutyOrganization extends Construct {
  /** The id of this account's detector (created by delegation, found at deploy time). */
  public readonly detectorId: string;
  /** The trusted IP lists. */
  public readonly trustedIpSets: guardduty.CfnIPSet[];
  /** The threat lists. */
  public readonly threatIntelSets: guardduty.CfnThreatIntelSet[];
  /** The EventBridge rule that forwards findings at or above the severity. */
  public readonly findingsRule: events.Rule;
  /** The topic findings are sent to. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: GuardDutyOrganizationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const features = props.features ?? ALL_FEATURES;
    const trusted = props.trustedIpLists ?? [];
    const threats = props.threatIpLists ?? [];
    const minimumSeverity = props.minimumSeverity ?? 4;

    const check = new PropsCheck(this, 'GuardDutyOrganization');
    check.accountId('adminAccount', props.adminAccount);
    check.accountId('managementAccount', props.managementAccount);
    check.require(props.adminAccount !== props.managementAccount,
      `adminAccount and managementAccount are both ${props.adminAccount}: the delegated GuardDuty administrator must be a separate account`);
    if (Token.isUnresolved(stack.account)) {
      check.add('set env.account on the stack: the organization configuration and the lists must be checked to be in the administrator account');
    } else if (stack.account !== props.adminAccount) {
      const what = trusted.length + threats.length > 0 ? 'the organization configuration and the trusted IP and threat lists' : 'the organization configuration';
      check.add(`this stack deploys to account ${stack.account}, not the delegated administrator ${props.adminAccount}: ${what} only work in the administrator account (members cannot manage lists)`);
    }
    check.require(features.length > 0, 'features must name at least one protection feature');
    check.require(new Set(features).size === features.length, 'features lists a feature more than once');
    const runtimeMonitoring = features.includes(GuardDutyFeature.RUNTIME_MONITORING);
    const agents = props.runtimeMonitoringAgents ?? (runtimeMonitoring ? Object.values(GuardDutyRuntimeAgent) : []);
    if (props.runtimeMonitoringAgents !== undefined) {
      check.require(runtimeMonitoring, 'runtimeMonitoringAgents need the RUNTIME_MONITORING feature, which features leaves out');
      check.require(new Set(agents).size === agents.length, 'runtimeMonitoringAgents lists an agent more than once');
    }
    check.require(trusted.length <= 1, `GuardDuty takes one trusted IP list per account, got ${trusted.length}`);
    check.require(threats.length <= 6, `GuardDuty takes at most six threat lists per account, got ${threats.length}`);
    check.inRange('minimumSeverity', minimumSeverity, 1, 10);
    const names = [...trusted, ...threats].map((l) => l.name);
    check.require(new Set(names).size === names.length, 'list names must be unique');
    checkReservedConcurrency(check, props.reservedConcurrentExecutions);
    check.throwIfAny();

    const resource = organizationAdminResource(this, {
      kind: 'GuardDutyOrganizationConfiguration',
      description: 'Configures GuardDuty for the organization from the delegated administrator (SEC-1)',
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      properties: {
        AutoEnable: props.autoEnable ?? GuardDutyAutoEnable.ALL,
        Features: features,
        // Runtime Monitoring without its agents receives nothing: the handler sends them as the
        // feature's AdditionalConfiguration, for this detector and the organization.
        ...(runtimeMonitoring ? { RuntimeAgents: agents } : {}),
      },
      statements: [
        new iam.PolicyStatement({
          sid: 'FindDetector',
          actions: ['guardduty:ListDetectors'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'ConfigureDetectorAndOrganization',
          actions: ['guardduty:UpdateDetector', 'guardduty:UpdateOrganizationConfiguration'],
          resources: [stack.formatArn({ service: 'guardduty', resource: 'detector', resourceName: '*' })],
        }),
        // Turning features on creates their service-linked roles in this account.
        new iam.PolicyStatement({
          sid: 'FeatureServiceLinkedRoles',
          actions: ['iam:CreateServiceLinkedRole'],
          resources: [
            stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty' }),
            stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'aws-service-role/malware-protection.guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDutyMalwareProtection' }),
          ],
          conditions: { StringLike: { 'iam:AWSServiceName': ['guardduty.amazonaws.com', 'malware-protection.guardduty.amazonaws.com'] } },
        }),
      ],
      wildcardReason: 'GuardDuty ListDetectors has no resource-level permission; it is the only way to find the detector that delegation created, and it only lists ids.',
      wildcardResources: [{
        resource: stack.formatArn({ service: 'guardduty', resource: 'detector', resourceName: '*' }),
        reason: 'An account has one GuardDuty detector per region, created by delegation with an id not known before deployment; the wildcard names only the detectors of this account and region.',
      }],
    });
    this.detectorId = resource.getAttString('DetectorId');

    const guardDutyRole = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty' });
    const list = (l: GuardDutyIpList) => {
      // GuardDuty reads list files with its service-linked role; a bucket of this stack lets it in.
      l.bucket.addToResourcePolicy(new iam.PolicyStatement({
        principals: [new iam.AccountPrincipal(stack.account)],
        actions: ['s3:GetObject'],
        resources: [l.bucket.arnForObjects(l.key)],
        conditions: { ArnEquals: { 'aws:PrincipalArn': guardDutyRole } },
      }));
      const owner = l.expectedBucketOwner ?? (Token.isUnresolved(l.bucket.env.account) ? undefined : l.bucket.env.account);
      return {
        name: l.name,
        activate: true,
        detectorId: this.detectorId,
        format: l.format ?? GuardDutyListFormat.TXT,
        location: l.bucket.urlForObject(l.key),
        expectedBucketOwner: owner,
      };
    };
    this.trustedIpSets = trusted.map((l, i) => new guardduty.CfnIPSet(this, `TrustedIpList${i}`, list(l)));
    this.threatIntelSets = threats.map((l, i) => new guardduty.CfnThreatIntelSet(this, `ThreatList${i}`, list(l)));

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Findings', { displayName: 'GuardDuty findings' }).topic;
    this.findingsRule = new events.Rule(this, 'FindingsRule', {
      description: `GuardDuty findings of severity ${minimumSeverity} and above, from every account of the organization`,
      eventPattern: {
        source: ['aws.guardduty'],
        detailType: ['GuardDuty Finding'],
        detail: { severity: events.Match.greaterThanOrEqual(minimumSeverity) },
      },
    });
    addEventNotification(this.findingsRule, this.notificationTopic,
      `GuardDuty finding (severity ${events.EventField.fromPath('$.detail.severity')}) in account ${events.EventField.fromPath('$.detail.accountId')}, `
      + `region ${events.EventField.fromPath('$.detail.region')}: ${events.EventField.fromPath('$.detail.type')}. `
      + `${events.EventField.fromPath('$.detail.title')} Finding id ${events.EventField.fromPath('$.detail.id')}.`);
  }
}
