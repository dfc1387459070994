/**
 * IAC-3 StackDriftDetection: CloudFormation drift found without anyone asking for it.
 *
 * Drift detection in CloudFormation runs only when someone starts it (the console, the CLI, or
 * this repository's `verify` command). This construct automates it, with no Lambda:
 * - the AWS Config managed rule `cloudformation-stack-drift-detection-check`, which runs
 *   `DetectStackDrift` on every stack of the account and region when a stack changes and
 *   periodically, with a role AWS Config assumes (its `cloudformationRoleArn` parameter);
 * - compliance changes of that rule (a stack drifted, or is back in sync) to a person through
 *   EventBridge and SNS, as a readable message;
 * - optionally, EventBridge Scheduler calling `DetectStackDrift` directly (a universal target)
 *   for named stacks on a schedule, with a role limited to those stacks, and the drift found by
 *   those detections (CloudFormation's "Drift Detection Status Change" events) to the same topic.
 *
 * The rule needs a configuration recorder in the account and region. This construct does not
 * create one (a second recorder fails, and Control Tower accounts already have one): SEC-2
 * `ConfigCompliance` creates it, or reuses Control Tower's.
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as config from 'aws-cdk-lib/aws-config';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { addEventNotification } from '../core/event-notification';
import { NotificationTopic } from '../core/notification-topic';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';
import { allowDriftDetection, driftCallsOn, READ_ACTION } from './drift-detection-access';

/** Props for {@link StackDriftDetection}. */
export interface StackDriftDetectionProps {
  /**
   * Stacks of this account and region (by name) that EventBridge Scheduler checks for drift on
   * `schedule`, in addition to the Config rule, which checks every stack. Needs `schedule`.
   * @default - none
   */
  readonly stackNames?: string[];

  /**
   * When EventBridge Scheduler calls `DetectStackDrift` for each of `stackNames`
   * (e.g. `scheduler.ScheduleExpression.rate(Duration.hours(6))`). Needs at least one stack name.
   * @default - no scheduled detection: only the Config rule's own evaluations
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * How often the Config rule evaluates every stack, in addition to evaluating a stack when its
   * configuration changes.
   * @default config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS
   */
  readonly maximumExecutionFrequency?: config.MaximumExecutionFrequency;

  /**
   * Exact read actions (`service:Get...`, `service:Describe...`, `service:List...`, wildcards
   * such as `s3:GetBucket*` allowed) that drift detection needs on the resources of the checked
   * stacks, e.g. `['s3:GetBucket*', 's3:GetEncryptionConfiguration', 'sns:GetTopicAttributes']`.
   * CloudFormation reads each resource with the permissions of the role that started the
   * detection (the rule's role, the Scheduler role); a resource type without its read action
   * ends the detection as DETECTION_FAILED for that resource. The Config rule checks every
   * stack of the account and region, so list the reads of every resource type deployed there.
   * @default - the AWS managed `ReadOnlyAccess` policy, which AWS documents for this rule: it
   *   reads every resource type, data (object contents, table items) included
   */
  readonly resourceReadActions?: string[];

  /**
   * Where a person is told.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/**
 * Stack names: letters, digits and hyphens, starting with a letter, at most 128 characters
 * (docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html, StackName).
 */
const STACK_NAME = /^[A-Za-z][-A-Za-z0-9]{0,127}$/;

/** The managed rule's identifier (docs.aws.amazon.com/config/latest/developerguide/cloudformation-stack-drift-detection-check.html). */
const DRIFT_RULE = 'CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK';

/**
 * IAC-3: the `cloudformation-stack-drift-detection-check` Config rule with its role, compliance
 * changes to SNS, and optional scheduled `DetectStackDrift` calls from EventBridge Scheduler.
 *
 * ```ts
 * new StackDriftDetection(this, 'Drift', {
 *   stackNames: ['payments-prod'],
 *   schedule: scheduler.ScheduleExpression.rate(Duration.hours(6)),
 * });
 * ```
 */
export class StackDriftDetection extends Construct {
  /** The Config rule. */
  public readonly rule: config.ManagedRule;
  /** The role AWS Config assumes to detect drift (`cloudformationRoleArn`). */
  public readonly ruleRole: ServiceRole;
  /** The EventBridge rule on the Config rule's compliance changes. */
  public readonly complianceChanges: events.Rule;
  /** The Scheduler schedules, one per stack of `stackNames`. */
  public readonly schedules: scheduler.Schedule[] = [];
  /** The role Scheduler calls DetectStackDrift with, when there is a schedule. */
  public readonly schedulerRole?: ServiceRole;
  /** The EventBridge rule on drift found by the scheduled detections, when there is a schedule. */
  public readonly scheduledDriftFound?: events.Rule;
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: StackDriftDetectionProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const stackNames = props.stackNames ?? [];
    const check = new PropsCheck(this, 'StackDriftDetection');
    if (props.schedule) {
      check.require(stackNames.length > 0, 'schedule needs at least one stack in stackNames: Scheduler calls DetectStackDrift for named stacks');
    } else {
      check.require(props.stackNames === undefined, 'stackNames are checked on schedule: set schedule too');
    }
    stackNames.forEach((name, i) => check.matches(`stackNames[${i}]`, name, STACK_NAME,
      'a CloudFormation stack name (letters, digits and hyphens, starting with a letter, at most 128 characters)'));
    check.require(new Set(stackNames).size === stackNames.length, 'stackNames lists a stack more than once');
    if (props.resourceReadActions !== undefined) {
      check.require(props.resourceReadActions.length > 0, 'resourceReadActions must list at least one read action (leave it out for ReadOnlyAccess)');
      props.resourceReadActions.forEach((action, i) => check.require(Token.isUnresolved(action) || READ_ACTION.test(action),
        `resourceReadActions[${i}] must be a read action such as s3:GetBucketPolicy or ec2:Describe* (Get, Describe, List or BatchGet): drift detection only reads, got "${action}"`));
    }
    check.throwIfAny();
    const access = { resourceReadActions: props.resourceReadActions };

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: 'CloudFormation drift',
    }).topic;

    // The role the rule passes to AWS Config as cloudformationRoleArn. Config sends
    // aws:SourceAccount when it assumes a role (docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html).
    this.ruleRole = new ServiceRole(this, 'RuleRole', {
      assumedBy: new iam.ServicePrincipal('config.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
      description: `DetectStackDrift for the cloudformation-stack-drift-detection-check rule of ${this.node.path}`.slice(0, 1000),
    });
    const everyStack = stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: '*' });
    allowDriftDetection(this.ruleRole, [everyStack], access);
    this.ruleRole.acknowledgeWildcardResource(everyStack,
      'The rule checks every stack of the account and region for drift, so the drift calls name all stacks of this account and region and nothing else.');

    this.rule = new config.CloudFormationStackDriftDetectionCheck(this, 'Rule', {
      description: `Stacks whose resources differ from their templates (${this.node.path})`.slice(0, 256),
      role: this.ruleRole,
      maximumExecutionFrequency: props.maximumExecutionFrequency ?? config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS,
    });
    // The rule's first evaluation runs as soon as it exists: the role's grants must be there.
    this.rule.node.addDependency(this.ruleRole.grantsDependable);

    const field = (path: string) => events.EventField.fromPath(path);
    this.complianceChanges = this.rule.onComplianceChange('ComplianceChanges', {
      description: `Drift compliance changes of the stacks checked by ${this.node.path}`,
    });
    addEventNotification(this.complianceChanges, this.notificationTopic,
      `CloudFormation stack ${field('$.detail.resourceId')} in account ${field('$.detail.awsAccountId')}, region ${field('$.detail.awsRegion')} `
      + `is now ${field('$.detail.newEvaluationResult.complianceType')} for the drift check ${field('$.detail.configRuleName')} `
      + '(NON_COMPLIANT: a resource was changed outside CloudFormation; aws cloudformation describe-stack-resource-drifts or npm run verify lists what changed).');

    if (props.schedule) {
      this.schedulerRole = this.scheduleDetection(stackNames, props.schedule, access);
      // CloudFormation sends "Drift Detection Status Change" events to EventBridge
      // (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-drift-detection-change.html).
      this.scheduledDriftFound = new events.Rule(this, 'ScheduledDriftFound', {
        description: `Drift found, or detection failed, on the stacks ${this.node.path} checks on a schedule`,
        eventPattern: {
          source: ['aws.cloudformation'],
          detailType: ['CloudFormation Drift Detection Status Change'],
          detail: {
            // The default event bus receives only this account's and region's CloudFormation events.
            'stack-id': stackNames.map((name) => ({ wildcard: `arn:*:stack/${name}/*` })),
            '$or': [
              { 'status-details': { 'stack-drift-status': ['DRIFTED'] } },
              { 'status-details': { 'detection-status': ['DETECTION_FAILED'] } },
            ],
          },
        },
      });
      addEventNotification(this.scheduledDriftFound, this.notificationTopic,
        `Drift detection of CloudFormation stack ${field('$.detail.stack-id')} ended ${field('$.detail.status-details.detection-status')} `
        + `with drift status ${field('$.detail.status-details.stack-drift-status')} (${field('$.detail.drift-detection-details.drifted-stack-resource-count')} resources drifted). `
        + 'DETECTION_FAILED: the detection could not read some resources; DRIFTED: aws cloudformation describe-stack-resource-drifts or npm run verify lists what changed.');
    }

    this.node.addValidation({ validate: () => this.otherDriftRules() });
  }

  /** One schedule per stack, calling DetectStackDrift with a role limited to those stacks. */
  private scheduleDetection(stackNames: string[], schedule: scheduler.ScheduleExpression, access: { resourceReadActions?: string[] }): ServiceRole {
    const stack = Stack.of(this);
    const role = new ServiceRole(this, 'SchedulerRole', {
      // Scheduler sends aws:SourceAccount when it assumes the role
      // (docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
      description: `EventBridge Scheduler drift detection of ${this.node.path}`.slice(0, 1000),
    });
    // A stack's ARN ends in its id, known only once it is created: stack/<name>/*.
    const stackArns = stackNames.map((name) => stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${name}/*` }));
    // Scheduler only starts detections: the Detect calls come with each schedule's target, on
    // that schedule's stack; CloudFormation reads the stack's resources with this role.
    allowDriftDetection(role, [], access, false);
    for (const arn of stackArns) {
      role.acknowledgeWildcardResource(arn, 'A stack\'s ARN ends in the id CloudFormation gives it at creation; the wildcard covers only that id of the named stack.');
    }
    stackNames.forEach((name, i) => {
      this.schedules.push(new scheduler.Schedule(this, `Detect${i}`, {
        description: `DetectStackDrift of ${name} (${this.node.path})`.slice(0, 512),
        schedule,
        // A universal target calls the API directly: no Lambda
        // (docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html).
        target: new targets.Universal({
          service: 'cloudformation',
          action: 'detectStackDrift',
          role,
          input: scheduler.ScheduleTargetInput.fromObject({ StackName: name }),
          policyStatements: [driftCallsOn([stackArns[i]])],
        }),
      }));
    });
    return role;
  }

  /**
   * Config rule names are unique per account and region, and one drift rule per account is
   * enough: another `cloudformation-stack-drift-detection-check` in the same account and region
   * of this app (SEC-2's `ConfigCompliance` deploys one by default) is an error.
   */
  private otherDriftRules(): string[] {
    const own = Stack.of(this);
    const ownRule = this.rule.node.defaultChild;
    const found: string[] = [];
    const visit = (c: IConstruct) => {
      if (c instanceof config.CfnConfigRule && c !== ownRule) {
        const source = c.source as config.CfnConfigRule.SourceProperty;
        const other = Stack.of(c);
        if (source.sourceIdentifier === DRIFT_RULE && sameEnvironment(own, other)) found.push(c.node.path);
      }
      c.node.children.forEach(visit);
    };
    visit(this.node.root);
    return found.map((path) => `${path} also runs cloudformation-stack-drift-detection-check in account ${own.account}, region ${own.region}: `
      + 'keep one (leave ComplianceRule.CLOUDFORMATION_STACK_DRIFT out of ConfigCompliance\'s rules where StackDriftDetection runs)');
  }
}

function sameEnvironment(a: Stack, b: Stack): boolean {
  if (a === b) return true;
  const resolved = [a.account, a.region, b.account, b.region].every((v) => !Token.isUnresolved(v));
  return resolved && a.account === b.account && a.region === b.region;
}
