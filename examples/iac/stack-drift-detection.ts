/**
 * IAC-3 example: in the workload account, where AWS Config already records (Control Tower's
 * recorder, or the SEC-2 member recorders with `-c controlTower=false`), the drift check on every
 * stack, and Scheduler drift detection every 6 hours of two example stacks of that account.
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { StackDriftDetection } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The stacks of the workload account that the example checks on a schedule (RES-8 and RES-10). */
export const SCHEDULED_STACKS = ['Res8-Network', 'Res10-Snapshots'];

/** The drift detection stack. */
export class StackDriftDetectionStack extends Stack {
  public readonly drift: StackDriftDetection;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.drift = new StackDriftDetection(this, 'Drift', {
      stackNames: SCHEDULED_STACKS,
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(6)),
    });
  }
}

/** The IAC-3 example stacks. */
export interface StackDriftDetectionExamples {
  readonly driftDetection: StackDriftDetectionStack;
}

/** Adds the IAC-3 example stack to `app`. */
export function addStackDriftDetectionExamples(app: App, config: ExampleConfig): StackDriftDetectionExamples {
  return {
    driftDetection: new StackDriftDetectionStack(app, 'Iac3-StackDriftDetection', {
      env: env(config.workloadAccount, config.primaryRegion),
      description: 'IAC-3 StackDriftDetection: cloudformation-stack-drift-detection-check with its role, compliance changes to SNS, scheduled DetectStackDrift (workload account)',
    }),
  };
}
