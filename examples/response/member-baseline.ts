/**
 * RSP-1 and RSP-2 examples: the member-account baseline. It is not deployed as a stack of the
 * app: IAC-7 `AccountBaseline` deploys its template to every member account and region through a
 * service-managed StackSet (see examples/iac/account-baseline.ts), the way a landing zone does.
 * It is synthesized in an app of its own, with the same checks as every stack of the app.
 */
import { App, BootstraplessSynthesizer, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { HealthEventAutomation, NotificationTopic, TrailTamperResponse } from '../../lib';
import { stackSetMemberApp } from '../member-app';

/** What every member account gets, in every baseline region. */
export class MemberBaselineStack extends Stack {
  public readonly health: HealthEventAutomation;
  public readonly trailTamper: TrailTamperResponse;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const topic = new NotificationTopic(this, 'SecurityNotifications', { displayName: 'Account security notifications' });
    // RSP-1: exposed keys (IAM events arrive in us-east-1) and scheduled changes of this region.
    this.health = new HealthEventAutomation(this, 'HealthEvents', { notificationTopic: topic.topic });
    // RSP-2: turn CloudTrail logging back on; the guardrail SCP of IAC-7 is the preventive control.
    this.trailTamper = new TrailTamperResponse(this, 'TrailTamper', { notificationTopic: topic.topic });
  }
}

/** The member baseline stack, in an app of its own. */
export interface MemberBaseline {
  readonly stack: MemberBaselineStack;
}

/**
 * Builds the member baseline in its own app (environment-agnostic, no bootstrap stack needed in
 * member accounts), with the context of `parent` and the checks applied. IAC-7's StackSet (an IAC-2
 * `OrganizationStackSet`) synthesizes it into the StackSet's template.
 */
export function memberBaseline(parent: App): MemberBaseline {
  const stack = new MemberBaselineStack(stackSetMemberApp(parent), 'MemberBaseline', {
    synthesizer: new BootstraplessSynthesizer(),
    description: 'RSP-1 HealthEventAutomation and RSP-2 TrailTamperResponse: member account baseline (deployed by the IAC-7 StackSet)',
  });
  return { stack };
}

