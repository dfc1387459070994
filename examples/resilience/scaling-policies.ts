/**
 * RES-3 example: a provisioned DynamoDB table with a global secondary index (customer managed
 * key, point-in-time recovery, deletion protection outside sandbox mode) whose read and write
 * capacity, and the index's, follow target tracking with throttle alarms; and a Lambda alias with
 * one unit of provisioned concurrency that target tracking may raise, further on weekdays by
 * schedule. ECS and Aurora scaling are shown in the tests only: a service or a cluster would cost
 * far more than what the example is meant to show.
 */
import { App, Stack, StackProps, TimeZone } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { acknowledge, createEncryptionKey, dataRemovalPolicy, isSandbox, ScalingPolicies } from '../../lib';
import { exampleFunction } from '../cicd/lambda-canary-release';
import { env, ExampleConfig } from '../config';

const API_CODE = `
exports.handler = async () => ({ statusCode: 200, body: JSON.stringify({ message: 'warm' }) });
`;

/** The RES-3 example stack. */
export class ScalingPoliciesStack extends Stack {
  public readonly table: dynamodb.Table;
  public readonly tableScaling: ScalingPolicies;
  public readonly alias: lambda.Alias;
  public readonly concurrencyScaling: ScalingPolicies;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.table = new dynamodb.Table(this, 'Orders', {
      partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PROVISIONED,
      readCapacity: 2,
      writeCapacity: 2,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: createEncryptionKey(this, 'OrdersKey', { description: 'Encrypts the RES-3 example orders table' }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !isSandbox(this),
      removalPolicy: dataRemovalPolicy(this),
    });
    acknowledge(this.table.node.defaultChild!, 'NIST.800.53.R5-DynamoDBInBackupPlan',
      'Point-in-time recovery is on, so the table can be restored to any second of the last 35 days; copies kept longer (AWS Backup) are a retention decision of the application, not part of showing auto scaling.');
    this.table.addGlobalSecondaryIndex({
      indexName: 'byCustomer',
      partitionKey: { name: 'customerId', type: dynamodb.AttributeType.STRING },
      readCapacity: 2,
      writeCapacity: 2,
    });
    this.tableScaling = ScalingPolicies.dynamoDbTable(this, 'OrdersScaling', {
      table: this.table,
      read: { minCapacity: 2, maxCapacity: 20 },
      write: { minCapacity: 2, maxCapacity: 10, targetUtilizationPercent: 60 },
      globalSecondaryIndexes: [{ indexName: 'byCustomer', read: { minCapacity: 2, maxCapacity: 10 }, write: { minCapacity: 2, maxCapacity: 10 } }],
    });

    const fn = exampleFunction(this, 'Api', 'RES-3 example API with provisioned concurrency', API_CODE);
    this.alias = new lambda.Alias(this, 'Live', { aliasName: 'live', version: fn.currentVersion });
    // One warm execution environment all the time (the billed minimum); target tracking may add up
    // to 2, and on weekday office hours up to 5.
    const businessHours = (hour: string) => scheduler.ScheduleExpression.cron({ minute: '0', hour, weekDay: 'MON-FRI', timeZone: TimeZone.EUROPE_BRUSSELS });
    this.concurrencyScaling = ScalingPolicies.lambdaProvisionedConcurrency(this, 'ApiConcurrency', {
      alias: this.alias,
      minCapacity: 1,
      maxCapacity: 2,
      utilizationTarget: 0.7,
      schedules: [
        { schedule: businessHours('8'), maxCapacity: 5 },
        { schedule: businessHours('19'), maxCapacity: 2 },
      ],
    });
  }
}

/** The RES-3 example stacks. */
export interface ScalingPoliciesExamples {
  readonly scaling: ScalingPoliciesStack;
}

/** Adds the RES-3 example stack to `app`. */
export function addScalingPoliciesExamples(app: App, config: ExampleConfig): ScalingPoliciesExamples {
  const scaling = new ScalingPoliciesStack(app, 'Res3-ScalingPolicies', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'RES-3 ScalingPolicies: DynamoDB table and index capacity with throttle alarms, Lambda provisioned concurrency with a schedule',
  });
  return { scaling };
}
