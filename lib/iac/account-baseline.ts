/**
 * IAC-7 AccountBaseline: every account Control Tower creates or updates gets the organization's
 * baseline, and guardrails keep it from being switched off.
 *
 * Control Tower emits lifecycle events (`CreateManagedAccount`, `UpdateManagedAccount`) to
 * EventBridge in the management account, in the Control Tower home region, when an account has
 * been fully enrolled. An EventBridge rule on those events starts a Step Functions workflow that
 * deploys a service-managed StackSet to that one account through SDK service integrations
 * (`cloudformation:createStackInstances`, or `updateStackInstances` when the account already has
 * the baseline), waits for the StackSet operation and notifies SNS of the result. This is how
 * Customizations for Control Tower works: reacting to the lifecycle event, rather than StackSet
 * auto-deployment, deploys the baseline only once Control Tower's own baseline (its roles, Config
 * recorder and trail) is in place.
 *
 * Service control policies (`AWS::Organizations::Policy`) are attached at the root, to OUs or to
 * accounts. An SCP attached to the root applies to every OU and account below it, one attached to
 * an OU to its child OUs and accounts (root -> OU -> account); an action is allowed only if every
 * level allows it, so a deny anywhere on the path wins. SCPs never restrict the management
 * account. The guardrail SCP denies leaving the organization and disabling CloudTrail, GuardDuty
 * or AWS Config, except to the landing zone's own roles (Control Tower's execution role and the
 * StackSet execution roles). Its `cloudtrail:StopLogging` / `cloudtrail:DeleteTrail` deny is the
 * preventive control beside RSP-2 `TrailTamperResponse`. Organizations limits an SCP document to
 * 5,120 characters: the construct measures the minified JSON and refuses a bigger one.
 */
import { Duration, Lazy, Names, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, IConstruct } from 'constructs';
import { LoggedStateMachine } from '../core/logged-state-machine';
import { NotificationTopic } from '../core/notification-topic';
import { PropsCheck } from '../core/validation';
import { OrganizationStackSet, RegionConcurrency, StackSetCallAs, StackSetCapability } from './organization-stack-set';
import { StackSetTemplate } from './stack-set-template';

/** A service control policy for {@link AccountBaseline}. */
export interface ServiceControlPolicyDefinition {
  /** The policy's name in Organizations. */
  readonly name: string;
  /**
   * What the policy is for.
   * @default - none
   */
  readonly description?: string;
  /** The policy document (at most 5,120 characters as minified JSON). */
  readonly document: iam.PolicyDocument;
  /** Where it is attached: the root (`r-...`), OUs (`ou-...`) or accounts (12 digits). */
  readonly targetIds: string[];
}

/**
 * Props for {@link AccountBaseline}.
 */
export interface AccountBaselineProps {
  /**
   * The baseline, for a new service-managed StackSet (an IAC-2 {@link OrganizationStackSet}
   * without auto-deployment): usually `StackSetTemplate.fromStack(memberStack)`. Leave it out to
   * deploy an existing service-managed StackSet named `stackSetName` (for example of another
   * `OrganizationStackSet`).
   * @default - no StackSet is created; `stackSetName` names an existing one
   */
  readonly baselineTemplate?: StackSetTemplate;

  /**
   * The StackSet's name: of the one created from `baselineTemplate`, or of an existing
   * service-managed StackSet of this account.
   * @default - generated, when `baselineTemplate` is set
   */
  readonly stackSetName?: string;

  /** The regions each account gets the baseline in. */
  readonly regions: string[];

  /**
   * OUs whose existing accounts get the baseline when the StackSet is created (new accounts get
   * it from the lifecycle events). Only with `baselineTemplate`.
   * @default - none: only accounts enrolled from now on
   */
  readonly organizationalUnitIds?: string[];

  /**
   * Where the guardrail SCP is attached: the root (`r-...`), OUs (`ou-...`) or accounts.
   * Leave it empty to create no guardrail SCP.
   */
  readonly guardrailTargetIds: string[];

  /**
   * IAM role names (wildcards allowed) the guardrails do not apply to, besides Control Tower's
   * `AWSControlTowerExecution` and the StackSet execution roles `stacksets-exec-*`.
   * @default - none
   */
  readonly guardrailExemptRoleNames?: string[];

  /**
   * More service control policies to create and attach.
   * @default - none
   */
  readonly serviceControlPolicies?: ServiceControlPolicyDefinition[];

  /**
   * Where the workflow notifies (baseline deployed or failed).
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** The most characters an SCP document may have (minified JSON), an AWS Organizations quota. */
export const SCP_MAX_CHARACTERS = 5120;

/** The Control Tower lifecycle events that start the baseline. */
export const LIFECYCLE_EVENT_NAMES = ['CreateManagedAccount', 'UpdateManagedAccount'];

const ALWAYS_EXEMPT_ROLES = ['AWSControlTowerExecution', 'stacksets-exec-*'];

/**
 * IAC-7: baseline for every new Control Tower account through lifecycle events, plus
 * guardrail SCPs. Deploy it in the management account, in the Control Tower home region.
 *
 * ```ts
 * new AccountBaseline(managementStack, 'Baseline', {
 *   baselineTemplate: StackSetTemplate.fromStack(memberStack),
 *   regions: ['eu-west-1', 'eu-central-1'],
 *   guardrailTargetIds: ['r-ab12'],
 * });
 * ```
 */
export class AccountBaseline extends Construct {
  /**
   * The guardrail SCP document: denies leaving the organization and disabling CloudTrail,
   * GuardDuty or AWS Config, except to the exempt roles.
   */
  public static guardrailDocument(exemptRoleNames: string[] = []): iam.PolicyDocument {
    const exempt = {
      ArnNotLike: { 'aws:PrincipalArn': [...ALWAYS_EXEMPT_ROLES, ...exemptRoleNames].map((r) => `arn:*:iam::*:role/${r}`) },
    };
    return new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'DenyLeaveOrganization',
          effect: iam.Effect.DENY,
          actions: ['organizations:LeaveOrganization'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'DenyCloudTrailTampering',
          effect: iam.Effect.DENY,
          actions: ['cloudtrail:StopLogging', 'cloudtrail:DeleteTrail', 'cloudtrail:UpdateTrail', 'cloudtrail:PutEventSelectors'],
          resources: ['*'],
          conditions: exempt,
        }),
        new iam.PolicyStatement({
          sid: 'DenyGuardDutyDisabling',
          effect: iam.Effect.DENY,
          actions: [
            'guardduty:DeleteDetector', 'guardduty:UpdateDetector', 'guardduty:DisassociateFromMasterAccount',
            'guardduty:DisassociateFromAdministratorAccount', 'guardduty:DisassociateMembers', 'guardduty:DeleteMembers',
            'guardduty:StopMonitoringMembers',
          ],
          resources: ['*'],
          conditions: exempt,
        }),
        new iam.PolicyStatement({
          sid: 'DenyConfigDisabling',
          effect: iam.Effect.DENY,
          actions: ['config:StopConfigurationRecorder', 'config:DeleteConfigurationRecorder', 'config:DeleteDeliveryChannel'],
          resources: ['*'],
          conditions: exempt,
        }),
      ],
    });
  }

  /**
   * The size of a policy document as Organizations counts it: its minified JSON, with tokens
   * resolved in the stack of `scope`. Call it once the document is complete (at synthesis for a
   * document with tokens).
   */
  public static minifiedSize(scope: IConstruct, document: iam.PolicyDocument): number {
    return JSON.stringify(Stack.of(scope).resolve(document.toJSON())).length;
  }

  /** The baseline StackSet, when created from `baselineTemplate`. */
  public readonly stackSet?: OrganizationStackSet;
  /** The name of the StackSet the workflow deploys. */
  public readonly stackSetName: string;
  /** The rule on the Control Tower lifecycle events. */
  public readonly lifecycleRule: events.Rule;
  /** The workflow that deploys the baseline to one account. */
  public readonly stateMachine: LoggedStateMachine;
  /** The topic the workflow notifies. */
  public readonly notificationTopic: sns.ITopic;
  /** The guardrail SCP, when `guardrailTargetIds` is not empty. */
  public readonly guardrailPolicy?: organizations.CfnPolicy;
  /** The additional SCPs, in the order given. */
  public readonly serviceControlPolicies: organizations.CfnPolicy[];

  constructor(scope: Construct, id: string, props: AccountBaselineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const guardrail = AccountBaseline.guardrailDocument(props.guardrailExemptRoleNames);
    const policies = props.serviceControlPolicies ?? [];
    const ous = props.organizationalUnitIds ?? [];

    const check = new PropsCheck(this, 'AccountBaseline');
    check.require(props.regions.length > 0, 'regions is empty: the baseline would be deployed nowhere');
    check.require(props.baselineTemplate !== undefined || props.stackSetName !== undefined,
      'set baselineTemplate (a new StackSet) or stackSetName (an existing one)');
    check.require(props.baselineTemplate !== undefined || ous.length === 0,
      'organizationalUnitIds needs baselineTemplate: existing accounts are deployed when this construct creates the StackSet');
    if (props.stackSetName !== undefined) {
      check.require(/^[a-zA-Z][a-zA-Z0-9-]{0,127}$/.test(props.stackSetName),
        `stackSetName "${props.stackSetName}" must start with a letter and contain only letters, digits and dashes (at most 128)`);
    }
    props.guardrailTargetIds.forEach((target, i) => checkScpTarget(this, check, `guardrailTargetIds[${i}]`, target));
    ous.forEach((ou, i) => check.organizationTarget(`organizationalUnitIds[${i}]`, ou));
    policies.forEach((p, i) => p.targetIds.forEach((target, j) => checkScpTarget(this, check, `serviceControlPolicies[${i}].targetIds[${j}]`, target)));
    const documents: Array<[string, iam.PolicyDocument]> = [
      ...(props.guardrailTargetIds.length > 0 ? [['the guardrail SCP', guardrail] as [string, iam.PolicyDocument]] : []),
      ...policies.map((p) => [`SCP "${p.name}"`, p.document] as [string, iam.PolicyDocument]),
    ];
    for (const [name, document] of documents) {
      const tooBig = (size: number) => `${name} is ${size} characters as minified JSON, over the ${SCP_MAX_CHARACTERS}-character limit of AWS Organizations: split it into several policies`;
      // A document without tokens is measured now; every document is measured again at synthesis,
      // once its tokens resolve and with the statements added after this constructor.
      const json: unknown = document.toJSON();
      if (!containsTokens(json)) {
        const size = JSON.stringify(json).length;
        check.require(size <= SCP_MAX_CHARACTERS, tooBig(size));
      }
      this.node.addValidation({
        validate: () => {
          const size = AccountBaseline.minifiedSize(this, document);
          return size <= SCP_MAX_CHARACTERS ? [] : [tooBig(size)];
        },
      });
    }
    for (const p of policies) {
      check.require(p.targetIds.length > 0, `SCP "${p.name}" has no targetIds: it would be attached nowhere`);
    }
    check.throwIfAny();

    // Sandbox mode (removal of the log group and keys) comes from the `sandbox` context.
    this.notificationTopic = props.notificationTopic
      ?? new NotificationTopic(this, 'Notifications', { displayName: 'Account baseline' }).topic;

    // Guardrails.
    if (props.guardrailTargetIds.length > 0) {
      this.guardrailPolicy = new organizations.CfnPolicy(this, 'GuardrailPolicy', {
        name: Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
        description: 'Denies leaving the organization and disabling CloudTrail, GuardDuty or AWS Config',
        type: 'SERVICE_CONTROL_POLICY',
        content: policyContent(guardrail),
        targetIds: props.guardrailTargetIds,
      });
    }
    this.serviceControlPolicies = policies.map((p, i) => new organizations.CfnPolicy(this, `Policy${i}`, {
      name: p.name,
      description: p.description,
      type: 'SERVICE_CONTROL_POLICY',
      content: policyContent(p.document),
      targetIds: p.targetIds,
    }));

    // The baseline StackSet.
    this.stackSetName = props.stackSetName ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    const operationPreferences = { FailureTolerancePercentage: 0, MaxConcurrentPercentage: 100, RegionConcurrencyType: 'PARALLEL' };
    if (props.baselineTemplate !== undefined) {
      // The template's own checks (size, global names, assets) are the OrganizationStackSet's.
      this.stackSet = new OrganizationStackSet(this, 'StackSet', {
        template: props.baselineTemplate,
        stackSetName: this.stackSetName,
        description: 'Account baseline, deployed to each account Control Tower enrolls',
        // Lifecycle events, not auto-deployment, deploy new accounts (after Control Tower is done).
        autoDeployment: false,
        callAs: StackSetCallAs.SELF,
        capabilities: [StackSetCapability.IAM, StackSetCapability.NAMED_IAM],
        managedExecution: true,
        failureTolerancePercentage: operationPreferences.FailureTolerancePercentage,
        maxConcurrentPercentage: operationPreferences.MaxConcurrentPercentage,
        regionConcurrency: RegionConcurrency.PARALLEL,
        organizationalUnitIds: ous,
        regions: props.regions,
      });
    }

    // The workflow: one account from the lifecycle event -> its stack instances -> wait -> notify.
    const stackSetArns = [
      stack.formatArn({ service: 'cloudformation', resource: 'stackset', resourceName: `${this.stackSetName}:*` }),
      stack.formatArn({ service: 'cloudformation', resource: 'stackset-target', resourceName: `${this.stackSetName}:*` }),
    ];
    const readAccount = (status: string): sfn.Pass => new sfn.Pass(this, `Read${status}`, {
      parameters: {
        'eventName.$': '$.detail.eventName',
        'accountId.$': `$.detail.serviceEventDetails.${status}.account.accountId`,
        'accountName.$': `$.detail.serviceEventDetails.${status}.account.accountName`,
        'ouId.$': `$.detail.serviceEventDetails.${status}.organizationalUnit.organizationalUnitId`,
      },
    });
    const instanceParameters = {
      StackSetName: this.stackSetName,
      CallAs: 'SELF',
      DeploymentTargets: {
        'OrganizationalUnitIds.$': 'States.Array($.ouId)',
        'Accounts.$': 'States.Array($.accountId)',
        AccountFilterType: 'INTERSECTION',
      },
      Regions: props.regions,
      OperationPreferences: operationPreferences,
    };
    const operationInProgress = { errors: ['CloudFormation.OperationInProgressException'], interval: Duration.minutes(1), maxAttempts: 10, backoffRate: 1.5 };
    const createInstances = new tasks.CallAwsService(this, 'CreateStackInstances', {
      service: 'cloudformation',
      action: 'createStackInstances',
      parameters: instanceParameters,
      iamResources: stackSetArns,
      resultSelector: { 'operationId.$': '$.OperationId' },
      resultPath: '$.operation',
    });
    createInstances.addRetry(operationInProgress);
    const updateInstances = new tasks.CallAwsService(this, 'UpdateStackInstances', {
      service: 'cloudformation',
      action: 'updateStackInstances',
      parameters: instanceParameters,
      iamResources: stackSetArns,
      resultSelector: { 'operationId.$': '$.OperationId' },
      resultPath: '$.operation',
    });
    updateInstances.addRetry(operationInProgress);
    updateInstances.addCatch(createInstances, { errors: ['CloudFormation.StackInstanceNotFoundException'], resultPath: sfn.JsonPath.DISCARD });

    const notifyFailed = new tasks.SnsPublish(this, 'NotifyFailed', {
      topic: this.notificationTopic,
      subject: 'Account baseline FAILED',
      message: sfn.TaskInput.fromJsonPathAt(
        "States.Format('The baseline StackSet {} could not be deployed to account {} ({}) after {}: {}. Check the StackSet operations in the CloudFormation console and retry.', $.stackSetName, $.accountName, $.accountId, $.eventName, $.error.Cause)"),
      resultPath: sfn.JsonPath.DISCARD,
    });
    createInstances.addCatch(notifyFailed, { resultPath: '$.error' });
    updateInstances.addCatch(notifyFailed, { resultPath: '$.error' });

    const wait = new sfn.Wait(this, 'WaitForOperation', { time: sfn.WaitTime.duration(Duration.seconds(60)) });
    const describe = new tasks.CallAwsService(this, 'DescribeOperation', {
      service: 'cloudformation',
      action: 'describeStackSetOperation',
      parameters: { StackSetName: this.stackSetName, CallAs: 'SELF', OperationId: sfn.JsonPath.stringAt('$.operation.operationId') },
      iamResources: stackSetArns,
      resultSelector: { 'status.$': '$.StackSetOperation.Status' },
      resultPath: '$.operationStatus',
    });
    describe.addCatch(notifyFailed, { resultPath: '$.error' });
    const notifyDone = new tasks.SnsPublish(this, 'NotifyDeployed', {
      topic: this.notificationTopic,
      subject: 'Account baseline deployed',
      message: sfn.TaskInput.fromJsonPathAt(
        "States.Format('The baseline StackSet {} was deployed to account {} ({}) after {}: operation {} {}.', $.stackSetName, $.accountName, $.accountId, $.eventName, $.operation.operationId, $.operationStatus.status)"),
      resultPath: sfn.JsonPath.DISCARD,
    });
    const operationFailed = new sfn.Pass(this, 'OperationFailed', {
      parameters: { 'Cause.$': "States.Format('StackSet operation {} ended {}', $.operation.operationId, $.operationStatus.status)" },
      resultPath: '$.error',
    }).next(notifyFailed);
    const deployed = new sfn.Choice(this, 'OperationDone?')
      .when(sfn.Condition.stringEquals('$.operationStatus.status', 'SUCCEEDED'), notifyDone)
      .when(sfn.Condition.or(
        sfn.Condition.stringEquals('$.operationStatus.status', 'RUNNING'),
        sfn.Condition.stringEquals('$.operationStatus.status', 'QUEUED'),
      ), wait)
      .otherwise(operationFailed);
    createInstances.next(wait);
    updateInstances.next(wait);
    wait.next(describe).next(deployed);

    const created = readAccount('createManagedAccountStatus');
    const updated = readAccount('updateManagedAccountStatus');
    const addName = (stateId: string): sfn.Pass => new sfn.Pass(this, stateId, {
      result: sfn.Result.fromString(this.stackSetName),
      resultPath: '$.stackSetName',
    });
    created.next(addName('StackSetForCreate')).next(createInstances);
    updated.next(addName('StackSetForUpdate')).next(updateInstances);
    const definition = new sfn.Choice(this, 'WhichLifecycleEvent?')
      .when(sfn.Condition.stringEquals('$.detail.eventName', 'CreateManagedAccount'), created)
      .otherwise(updated);

    this.stateMachine = new LoggedStateMachine(this, 'Deploy', {
      definition,
      description: `Deploys the account baseline StackSet ${this.stackSetName} to accounts Control Tower enrolls (${this.node.path})`,
      timeout: Duration.hours(2),
    });
    this.stateMachine.grantPublish(this.notificationTopic);
    for (const arn of stackSetArns) {
      this.stateMachine.role.acknowledgeWildcardResource(arn,
        'A StackSet ARN ends in an id CloudFormation assigns at creation, so the grant names this one StackSet by name and matches only its id and its targets.');
    }

    this.lifecycleRule = new events.Rule(this, 'LifecycleRule', {
      description: 'Control Tower enrolled or updated an account: deploy the baseline to it',
      eventPattern: {
        source: ['aws.controltower'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventName: LIFECYCLE_EVENT_NAMES,
          serviceEventDetails: {
            $or: [
              { createManagedAccountStatus: { state: ['SUCCEEDED'] } },
              { updateManagedAccountStatus: { state: ['SUCCEEDED'] } },
            ],
          },
        },
      },
      targets: [this.stateMachine.eventTarget()],
    });
  }
}

/**
 * An SCP target: the root (`r-...`), an OU (`ou-...`) or an account (12 digits). Tokens are
 * accepted (Organizations checks them at deployment).
 */
function checkScpTarget(scope: IConstruct, check: PropsCheck, name: string, value: string): void {
  const orgTarget = new PropsCheck(scope, '').organizationTarget(name, value).count === 0;
  const account = new PropsCheck(scope, '').accountId(name, value).count === 0;
  check.require(orgTarget || account, `${name} must be a root id (r-...), an organizational unit id (ou-...) or a 12-digit account id, got "${value}"`);
}

/** The SCP document as CloudFormation content, rendered at synthesis so later statements are in it. */
function policyContent(document: iam.PolicyDocument): unknown {
  return Lazy.any({ produce: () => document.toJSON() });
}

/** Whether a rendered value holds any token (string, number or list), so its size is unknown before synthesis. */
function containsTokens(value: unknown): boolean {
  if (Token.isUnresolved(value)) return true;
  if (Array.isArray(value)) return value.some(containsTokens);
  if (value && typeof value === 'object') return Object.values(value).some(containsTokens);
  return false;
}
