/**
 * OBS-7 example: in the management account, where the OBS-2 organization trail delivers to
 * CloudWatch Logs, a watched key with metric filters and alarms on that log group.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KeyMonitoring } from '../../lib';
import { env, ExampleConfig } from '../config';
import { AuditTrailExamples } from './audit-trail';

/** Props for {@link KeyMonitoringStack}. */
export interface KeyMonitoringStackProps extends StackProps {
  /** The log group the organization trail delivers to. */
  readonly trailLogGroup: logs.ILogGroup;
}

/** The key monitoring stack. */
export class KeyMonitoringStack extends Stack {
  public readonly monitoring: KeyMonitoring;

  constructor(scope: Construct, id: string, props: KeyMonitoringStackProps) {
    super(scope, id, props);
    this.monitoring = new KeyMonitoring(this, 'Keys', { cloudTrailLogGroup: props.trailLogGroup });
  }
}

/** The OBS-7 example stacks. */
export interface KeyMonitoringExamples {
  readonly keyMonitoring: KeyMonitoringStack;
}

/** Adds the OBS-7 example stack to `app`, next to the OBS-2 trail whose log group it reads. */
export function addKeyMonitoringExamples(app: App, config: ExampleConfig, trails: AuditTrailExamples): KeyMonitoringExamples {
  const keyMonitoring = new KeyMonitoringStack(app, 'Obs7-Management-KeyMonitoring', {
    env: env(config.managementAccount, config.primaryRegion),
    description: 'OBS-7 KeyMonitoring: DisableKey and ScheduleKeyDeletion through EventBridge and the organization trail log group (management account)',
    trailLogGroup: trails.organizationTrail.auditTrail.logGroup!,
  });
  keyMonitoring.addStackDependency(trails.organizationTrail);
  return { keyMonitoring };
}
