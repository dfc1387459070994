/**
 * IAC-2 example: from the security account, the delegated administrator for CloudFormation
 * StackSets, every account of the workload OU gets the same small stack in the primary and
 * secondary regions: an encrypted SNS topic for security alerts and an EventBridge rule that
 * sends it GuardDuty's high-severity findings of that account and region. Accounts that join the
 * OU get it too (auto-deployment). The member stack is defined in an app of its own, so it is not
 * deployed as a stack of the example app.
 */
import { App, BootstraplessSynthesizer, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import {
  addEventNotification, NotificationTopic, OrganizationStackSet, RegionConcurrency, StackSetCallAs, StackSetTemplate,
} from '../../lib';
import { env, ExampleConfig } from '../config';
import { stackSetMemberApp } from '../member-app';

/** What every workload account gets in each region: GuardDuty's high-severity findings, told. */
export class SecurityAlertsMemberStack extends Stack {
  /** The topic the findings go to. */
  public readonly alerts: NotificationTopic;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.alerts = new NotificationTopic(this, 'SecurityAlerts', { displayName: 'Security alerts of this account' });
    const findings = new events.Rule(this, 'HighSeverityFindings', {
      description: 'GuardDuty findings of severity 7 or more in this account and region',
      eventPattern: { source: ['aws.guardduty'], detailType: ['GuardDuty Finding'], detail: { severity: [{ numeric: ['>=', 7] }] } },
    });
    addEventNotification(findings, this.alerts.topic,
      `GuardDuty finding ${events.EventField.fromPath('$.detail.type')} (severity ${events.EventField.fromPath('$.detail.severity')}) in account ${events.EventField.account} ${events.EventField.region}: ${events.EventField.fromPath('$.detail.title')}`);
  }
}

/** Props for {@link OrganizationStackSetStack}. */
export interface OrganizationStackSetStackProps extends StackProps {
  /** The member stack, in an app of its own. */
  readonly member: SecurityAlertsMemberStack;
  /** The OU whose accounts get it. */
  readonly workloadsOuId: string;
  /** The regions they get it in. */
  readonly regions: string[];
}

/** The delegated administrator's stack: the StackSet. */
export class OrganizationStackSetStack extends Stack {
  public readonly stackSet: OrganizationStackSet;

  constructor(scope: Construct, id: string, props: OrganizationStackSetStackProps) {
    super(scope, id, props);
    this.stackSet = new OrganizationStackSet(this, 'SecurityAlerts', {
      template: StackSetTemplate.fromStack(props.member),
      stackSetName: 'security-alerts',
      description: 'IAC-2: GuardDuty high-severity findings to an encrypted SNS topic in every workload account and region',
      organizationalUnitIds: [props.workloadsOuId],
      regions: props.regions,
      callAs: StackSetCallAs.DELEGATED_ADMIN,
      // One region after the other, at most a quarter of the OU's accounts at a time, stopping
      // in a region once more than 10 % of its accounts failed.
      regionConcurrency: RegionConcurrency.SEQUENTIAL,
      failureTolerancePercentage: 10,
      maxConcurrentPercentage: 25,
    });
  }
}

/** The IAC-2 example stack and the member stack it deploys. */
export interface OrganizationStackSetExamples {
  readonly admin: OrganizationStackSetStack;
  /** Not a stack of the app: the StackSet's template, synthesized with the checks. */
  readonly member: SecurityAlertsMemberStack;
}

/** Adds the IAC-2 example stack to `app`. */
export function addOrganizationStackSetExamples(app: App, config: ExampleConfig): OrganizationStackSetExamples {
  const member = new SecurityAlertsMemberStack(stackSetMemberApp(app), 'SecurityAlertsMember', {
    synthesizer: new BootstraplessSynthesizer(),
    description: 'IAC-2 OrganizationStackSet member template: GuardDuty high-severity findings to an encrypted SNS topic',
  });
  const admin = new OrganizationStackSetStack(app, 'Iac2-SecurityAdmin-OrganizationStackSet', {
    env: env(config.securityAccount, config.primaryRegion),
    description: 'IAC-2 OrganizationStackSet: a service-managed StackSet from the delegated administrator to the workload OU in two regions (security account)',
    member,
    workloadsOuId: config.workloadOuId,
    regions: [config.primaryRegion, config.secondaryRegion],
  });
  return { admin, member };
}
