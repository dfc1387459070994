/**
 * RES-4 example: a global table in the workload account's primary region with one replica in the
 * secondary region. The replica region's stack (its key, change stream and change consumer) is
 * deployed first; the table's stack names them by ARN.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { GlobalTable, GlobalTableRegion, NotificationTopic } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The replica region: the replica's key, its change stream and the stream's consumer. */
export class GlobalTableReplicaStack extends Stack {
  public readonly replica: GlobalTableRegion;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.replica = new GlobalTableRegion(this, 'Orders');
  }
}

/** Props for {@link GlobalTableStack}. */
export interface GlobalTableStackProps extends StackProps {
  readonly replicaStack: GlobalTableReplicaStack;
}

/** The table's region: the global table, its change stream and the stream's consumer. */
export class GlobalTableStack extends Stack {
  public readonly globalTable: GlobalTable;

  constructor(scope: Construct, id: string, props: GlobalTableStackProps) {
    super(scope, id, props);
    const alarms = new NotificationTopic(this, 'TableAlarms', { displayName: 'Orders table alarms' });
    this.globalTable = new GlobalTable(this, 'Orders', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      replicaRegions: [props.replicaStack.replica],
      notificationTopic: alarms.topic,
    });
  }
}

/** The RES-4 example stacks, in deployment order. */
export interface GlobalTableExamples {
  readonly replicaRegion: GlobalTableReplicaStack;
  readonly table: GlobalTableStack;
}

/** Adds the RES-4 example stacks to `app`. */
export function addGlobalTableExamples(app: App, config: ExampleConfig): GlobalTableExamples {
  const replicaRegion = new GlobalTableReplicaStack(app, 'Res4-GlobalTable-Replica', {
    env: env(config.workloadAccount, config.secondaryRegion),
    description: 'RES-4 GlobalTable: the replica region key, change stream and change consumer (deploy first)',
  });
  const table = new GlobalTableStack(app, 'Res4-GlobalTable', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'RES-4 GlobalTable: DynamoDB global table with a replica in the secondary region, change capture to Kinesis fanned out by EventBridge Pipes',
    replicaStack: replicaRegion,
  });
  return { replicaRegion, table };
}
