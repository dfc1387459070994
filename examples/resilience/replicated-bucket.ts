/**
 * RES-7 examples: a cross-region pair (same account, primary -> secondary region) and a
 * cross-account pair (workload account -> log archive account, ownership handed over).
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { NotificationTopic, ReplicatedBucket, ReplicationDestination } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The destination side: deployed first, in the destination account and region. */
export class ReplicaStack extends Stack {
  public readonly destination: ReplicationDestination;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.destination = new ReplicationDestination(this, 'Replicas');
  }
}

/** Props for {@link ReplicatedDataStack}. */
export interface ReplicatedDataStackProps extends StackProps {
  readonly replicaStack: ReplicaStack;
}

/** The source side: the bucket the application writes to, replicating to the replica stack. */
export class ReplicatedDataStack extends Stack {
  public readonly replicated: ReplicatedBucket;

  constructor(scope: Construct, id: string, props: ReplicatedDataStackProps) {
    super(scope, id, props);
    const alarms = new NotificationTopic(this, 'ReplicationAlarms', { displayName: 'S3 replication alarms' });
    this.replicated = new ReplicatedBucket(this, 'Data', {
      destination: props.replicaStack.destination,
      notificationTopic: alarms.topic,
    });
  }
}

/** The RES-7 example stacks, in deployment order. */
export interface ReplicatedBucketExamples {
  readonly crossRegionReplica: ReplicaStack;
  readonly crossRegionSource: ReplicatedDataStack;
  readonly crossAccountReplica: ReplicaStack;
  readonly crossAccountSource: ReplicatedDataStack;
}

/** Adds the RES-7 example stacks to `app`. */
export function addReplicatedBucketExamples(app: App, config: ExampleConfig): ReplicatedBucketExamples {
  const crossRegionReplica = new ReplicaStack(app, 'Res7-CrossRegion-Replica', {
    env: env(config.workloadAccount, config.secondaryRegion),
    description: 'RES-7 ReplicatedBucket: cross-region destination (deploy first)',
  });
  const crossRegionSource = new ReplicatedDataStack(app, 'Res7-CrossRegion-Source', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'RES-7 ReplicatedBucket: cross-region source',
    replicaStack: crossRegionReplica,
  });
  const crossAccountReplica = new ReplicaStack(app, 'Res7-CrossAccount-Replica', {
    env: env(config.logArchiveAccount, config.secondaryRegion),
    description: 'RES-7 ReplicatedBucket: cross-account destination in the log archive account (deploy first)',
  });
  const crossAccountSource = new ReplicatedDataStack(app, 'Res7-CrossAccount-Source', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'RES-7 ReplicatedBucket: cross-account source, replicas owned by the destination account',
    replicaStack: crossAccountReplica,
  });
  return { crossRegionReplica, crossRegionSource, crossAccountReplica, crossAccountSource };
}
