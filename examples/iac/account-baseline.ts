/**
 * IAC-7 example: the management account's landing-zone stack. Guardrail SCP on the root, and the
 * member baseline (RSP-1 HealthEventAutomation + RSP-2 TrailTamperResponse) as a service-managed
 * StackSet that Control Tower lifecycle events deploy to each enrolled account, in the primary
 * and secondary regions and in us-east-1 (where AWS Health sends IAM events).
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AccountBaseline, NotificationTopic, StackSetTemplate } from '../../lib';
import { env, ExampleConfig } from '../config';
import { memberBaseline, MemberBaselineStack } from '../response/member-baseline';

/** The organization ids from the example config (`-c organizationRootId=r-... -c workloadOuId=ou-...`). */
function orgIds(config: ExampleConfig): { rootId: string; workloadsOuId: string } {
  return {
    rootId: config.organizationRootId,
    workloadsOuId: config.workloadOuId,
  };
}

/** Props for {@link AccountBaselineStack}. */
export interface AccountBaselineStackProps extends StackProps {
  readonly baselineTemplate: StackSetTemplate;
  readonly regions: string[];
  readonly rootId: string;
  readonly workloadsOuId: string;
}

/** The management account's stack: SCPs and the lifecycle-driven baseline StackSet. */
export class AccountBaselineStack extends Stack {
  public readonly baseline: AccountBaseline;

  constructor(scope: Construct, id: string, props: AccountBaselineStackProps) {
    super(scope, id, props);
    const topic = new NotificationTopic(this, 'BaselineNotifications', { displayName: 'Account baseline' });
    this.baseline = new AccountBaseline(this, 'Baseline', {
      baselineTemplate: props.baselineTemplate,
      stackSetName: 'member-baseline',
      regions: props.regions,
      organizationalUnitIds: [props.workloadsOuId],
      // The workload OU, not the root: an SCP on the root would also bind the security and log
      // archive accounts, whose deployment and custom-resource roles manage GuardDuty, Config
      // and trails (SEC-1, SEC-2, OBS-2).
      guardrailTargetIds: [props.workloadsOuId],
      serviceControlPolicies: [{
        // On the root, so it is inherited by every OU and account: leaving the organization
        // would take an account out of every guardrail at once.
        name: 'deny-leave-organization',
        description: 'No account leaves the organization',
        targetIds: [props.rootId],
        document: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({
            sid: 'DenyLeaveOrganization',
            effect: iam.Effect.DENY,
            actions: ['organizations:LeaveOrganization'],
            resources: ['*'],
          })],
        }),
      }, {
        name: 'deny-unapproved-regions-for-workloads',
        description: 'Workload accounts run only in the approved regions (global services excepted)',
        targetIds: [props.workloadsOuId],
        document: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({
            sid: 'DenyOutsideApprovedRegions',
            effect: iam.Effect.DENY,
            notActions: ['iam:*', 'organizations:*', 'sts:*', 'support:*', 'health:*', 'cloudfront:*', 'route53:*', 'budgets:*'],
            resources: ['*'],
            conditions: { StringNotEquals: { 'aws:RequestedRegion': props.regions } },
          })],
        }),
      }],
      notificationTopic: topic.topic,
    });
  }
}

/** The IAC-7 example stack and the member baseline it deploys. */
export interface AccountBaselineExamples {
  readonly management: AccountBaselineStack;
  /** Not a stack of the app: the StackSet's template, synthesized with the checks. */
  readonly memberBaseline: MemberBaselineStack;
}

/** Adds the IAC-7 example stack (with the RSP-1/RSP-2 member baseline) to `app`. */
export function addAccountBaselineExamples(app: App, config: ExampleConfig): AccountBaselineExamples {
  const member = memberBaseline(app);
  const { rootId, workloadsOuId } = orgIds(config);
  const regions = [...new Set([config.primaryRegion, config.secondaryRegion, 'us-east-1'])];
  const management = new AccountBaselineStack(app, 'Iac7-Management-AccountBaseline', {
    env: env(config.managementAccount, config.primaryRegion),
    description: 'IAC-7 AccountBaseline: guardrail SCPs and the member baseline StackSet driven by Control Tower lifecycle events (management account, Control Tower home region)',
    baselineTemplate: StackSetTemplate.fromStack(member.stack),
    regions,
    rootId,
    workloadsOuId,
  });
  return { management, memberBaseline: member.stack };
}
