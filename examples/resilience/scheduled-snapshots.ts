/**
 * RES-10 example: in the workload account, daily snapshots of every volume tagged backup=daily,
 * kept for two weeks and copied (encrypted) to the secondary region; plus one volume snapshotted
 * directly by EventBridge Scheduler, as the notes describe.
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { ScheduledSnapshots } from '../../lib';
import { env, ExampleConfig } from '../config';

/** Props for {@link ScheduledSnapshotsStack}. */
export interface ScheduledSnapshotsStackProps extends StackProps {
  /** Where snapshots are copied to. */
  readonly copyRegion: string;
}

/** The snapshots stack. */
export class ScheduledSnapshotsStack extends Stack {
  public readonly snapshots: ScheduledSnapshots;

  constructor(scope: Construct, id: string, props: ScheduledSnapshotsStackProps) {
    super(scope, id, props);
    this.snapshots = new ScheduledSnapshots(this, 'Snapshots', {
      targetTags: { backup: 'daily' },
      schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
      retainCount: 14,
      copies: [{ region: props.copyRegion, retainFor: Duration.days(14) }],
      // A placeholder volume id: set the context key res10VolumeId to a volume of the account.
      directVolumeIds: [(scope.node.tryGetContext('res10VolumeId') as string | undefined) ?? 'vol-0123456789abcdef0'],
    });
  }
}

/** The RES-10 example stacks. */
export interface ScheduledSnapshotsExamples {
  readonly snapshots: ScheduledSnapshotsStack;
}

/** Adds the RES-10 example stack to `app`. */
export function addScheduledSnapshotsExamples(app: App, config: ExampleConfig): ScheduledSnapshotsExamples {
  return {
    snapshots: new ScheduledSnapshotsStack(app, 'Res10-Snapshots', {
      env: env(config.workloadAccount, config.primaryRegion),
      description: 'RES-10 ScheduledSnapshots: Data Lifecycle Manager daily snapshots with cross-region copies, and a CreateSnapshot schedule',
      copyRegion: config.secondaryRegion,
    }),
  };
}
