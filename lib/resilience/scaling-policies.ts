/**
 * RES-3 ScalingPolicies: Application Auto Scaling for the resources that scale beyond EC2, one
 * typed entry point per kind of resource.
 *
 * Application Auto Scaling adjusts a scalable dimension of a resource between a minimum and a
 * maximum: the provisioned read and write capacity of a DynamoDB table and of each of its global
 * secondary indexes, the desired task count of an ECS service, the number of Aurora Replicas of a
 * cluster, the provisioned concurrency of a Lambda alias. It does so with target tracking (keep a
 * predefined metric at a value), step scaling (adjust by steps on an alarm's breach) and scheduled
 * actions (new bounds at a time). Each entry point registers one scalable target per dimension
 * with the right namespace, resource id and dimension, adds the policies for that kind, and
 * refuses what the service would refuse later or silently ignore: a DynamoDB target outside
 * 20-90 %, a minimum above the maximum, more than 15 Aurora Replicas, overlapping steps. The
 * service works with its own service-linked role per service (created by Application Auto
 * Scaling on the first registration in the account), so the construct creates no role. For
 * DynamoDB it also alarms on `WriteThrottleEvents` of the table and of every scaled index: writes
 * still throttled after auto scaling had time to act mean the maximum is too low.
 */
import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { addAlarmNotification } from '../core/alarm-notification';
import { NotificationTopic } from '../core/notification-topic';
import { PropsCheck } from '../core/validation';

/** New bounds for a scalable target from a point in time on (an Application Auto Scaling scheduled action). */
export interface ScheduledCapacity {
  /**
   * When the new bounds apply: `ScheduleExpression.cron(...)` (recurring), `.rate(...)` or
   * `.at(...)` (once); the expression's time zone is the action's time zone.
   */
  readonly schedule: scheduler.ScheduleExpression;
  /**
   * The new minimum capacity.
   * @default - the minimum is left as it is
   */
  readonly minCapacity?: number;
  /**
   * The new maximum capacity.
   * @default - the maximum is left as it is
   */
  readonly maxCapacity?: number;
}

/** Target tracking of one DynamoDB capacity (read or write) of a table or an index. */
export interface DynamoDbCapacityScaling {
  /** The fewest capacity units auto scaling provisions (at least 1). */
  readonly minCapacity: number;
  /** The most capacity units auto scaling provisions. */
  readonly maxCapacity: number;
  /**
   * The consumed-to-provisioned ratio to keep, in percent, between 20 and 90 (the range DynamoDB
   * auto scaling accepts).
   * @default 70
   */
  readonly targetUtilizationPercent?: number;
}

/** Auto scaling of one global secondary index of a table. */
export interface DynamoDbIndexScaling {
  /** The index's name. */
  readonly indexName: string;
  /**
   * Target tracking of the index's read capacity.
   * @default - the index's read capacity is not scaled
   */
  readonly read?: DynamoDbCapacityScaling;
  /**
   * Target tracking of the index's write capacity. A scaled index gets a `WriteThrottleEvents`
   * alarm of its own.
   * @default - the index's write capacity is not scaled
   */
  readonly write?: DynamoDbCapacityScaling;
}

/** Props of {@link ScalingPolicies.dynamoDbTable}. */
export interface DynamoDbTableScalingProps {
  /**
   * The table, in provisioned capacity mode (`BillingMode.PROVISIONED`): Application Auto
   * Scaling adjusts provisioned capacity only. For a table defined in this app the construct
   * reads the mode and refuses an on-demand table; for an imported table it cannot, and warns.
   * A `TableV2` is refused: it scales through its own `Capacity.autoscaled(...)`.
   */
  readonly table: dynamodb.ITable;
  /**
   * Target tracking of the table's read capacity.
   * @default - the table's read capacity is not scaled
   */
  readonly read?: DynamoDbCapacityScaling;
  /**
   * Target tracking of the table's write capacity.
   * @default - the table's write capacity is not scaled
   */
  readonly write?: DynamoDbCapacityScaling;
  /**
   * Auto scaling of global secondary indexes, each with capacity of its own.
   * @default - no index is scaled
   */
  readonly globalSecondaryIndexes?: DynamoDbIndexScaling[];
  /**
   * Where a person is told that writes are throttled.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** One step of a step scaling policy: the change to make while the metric is in [lower, upper). */
export interface ScalingStep {
  /**
   * The step's lower bound (inclusive), in the metric's unit.
   * @default - no lower bound (only the first step may leave it out)
   */
  readonly lower?: number;
  /**
   * The step's upper bound (exclusive), in the metric's unit.
   * @default - no upper bound (only the last step may leave it out)
   */
  readonly upper?: number;
  /** The change in tasks (positive to scale out, negative to scale in, 0 for none). */
  readonly change: number;
}

/** Step scaling of an ECS service on a metric. */
export interface EcsStepScaling {
  /** The metric the steps are measured on (CloudWatch alarms are created on it). */
  readonly metric: cloudwatch.IMetric;
  /** The steps, in ascending order of their bounds, without gaps or overlaps; at least two. */
  readonly steps: ScalingStep[];
  /**
   * How long after a scaling activity before the next one may start.
   * @default Duration.minutes(5)
   */
  readonly cooldown?: Duration;
}

/** Props of {@link ScalingPolicies.ecsService}. */
export interface EcsServiceScalingProps {
  /** The service whose desired task count is scaled. */
  readonly service: ecs.IBaseService;
  /** The fewest tasks. */
  readonly minCapacity: number;
  /** The most tasks. */
  readonly maxCapacity: number;
  /**
   * Target tracking of the service's average CPU utilization, in percent (1-100).
   * @default 70 when neither `memoryTargetPercent` nor `stepScaling` is given, otherwise none
   */
  readonly cpuTargetPercent?: number;
  /**
   * Target tracking of the service's average memory utilization, in percent (1-100).
   * @default - none
   */
  readonly memoryTargetPercent?: number;
  /**
   * Step scaling on a metric of your own (queue depth, latency, ...).
   * @default - none
   */
  readonly stepScaling?: EcsStepScaling;
  /**
   * New bounds at given times.
   * @default - none
   */
  readonly schedules?: ScheduledCapacity[];
}

/** Props of {@link ScalingPolicies.auroraReplicas}. */
export interface AuroraReplicaScalingProps {
  /** The Aurora cluster (provisioned or Serverless v2 readers) whose replica count is scaled. */
  readonly cluster: rds.IDatabaseCluster;
  /** The fewest Aurora Replicas auto scaling keeps (0-15). */
  readonly minCapacity: number;
  /** The most Aurora Replicas (at most 15: a cluster has one writer and up to 15 replicas). */
  readonly maxCapacity: number;
  /**
   * Target tracking of the replicas' average CPU utilization, in percent (1-100).
   * @default 70 when `averageConnectionsTarget` is not given, otherwise none
   */
  readonly cpuTargetPercent?: number;
  /**
   * Target tracking of the replicas' average number of database connections.
   * @default - none
   */
  readonly averageConnectionsTarget?: number;
  /**
   * New bounds at given times.
   * @default - none
   */
  readonly schedules?: ScheduledCapacity[];
}

/** Props of {@link ScalingPolicies.lambdaProvisionedConcurrency}. */
export interface LambdaProvisionedConcurrencyScalingProps {
  /** The alias whose provisioned concurrency is scaled (provisioned concurrency is billed per unit while it is configured). */
  readonly alias: lambda.IAlias;
  /** The fewest provisioned concurrent executions. */
  readonly minCapacity: number;
  /** The most provisioned concurrent executions. */
  readonly maxCapacity: number;
  /**
   * The share of provisioned concurrency in use to keep (`ProvisionedConcurrencyUtilization`),
   * between 0.1 and 0.9.
   * @default 0.7
   */
  readonly utilizationTarget?: number;
  /**
   * New bounds at given times (warm capacity ahead of a known peak).
   * @default - none
   */
  readonly schedules?: ScheduledCapacity[];
}

/** The limits one kind of scalable dimension has. */
interface CapacityRule {
  /** What the capacity counts, for messages. */
  readonly unit: string;
  readonly min: number;
  readonly max?: number;
  readonly maxWhy?: string;
}

const DYNAMODB_CAPACITY: CapacityRule = { unit: 'capacity units', min: 1 };
const ECS_TASKS: CapacityRule = { unit: 'tasks', min: 0 };
// An Aurora DB cluster has one primary instance and up to 15 Aurora Replicas
// (docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-replicas-adding.html).
const AURORA_REPLICAS: CapacityRule = { unit: 'replicas', min: 0, max: 15, maxWhy: 'an Aurora cluster has at most 15 Aurora Replicas' };
const LAMBDA_CONCURRENCY: CapacityRule = { unit: 'concurrent executions', min: 0 };

/**
 * The service-linked role Application Auto Scaling uses for each namespace
 * (docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html,
 * "Service-linked role ARN reference"). Application Auto Scaling creates it on the first
 * RegisterScalableTarget of that service in the account; its permissions are AWS managed.
 */
const SERVICE_LINKED_ROLES: Record<string, [string, string]> = {
  dynamodb: ['dynamodb.application-autoscaling.amazonaws.com', 'AWSServiceRoleForApplicationAutoScaling_DynamoDBTable'],
  ecs: ['ecs.application-autoscaling.amazonaws.com', 'AWSServiceRoleForApplicationAutoScaling_ECSService'],
  rds: ['rds.application-autoscaling.amazonaws.com', 'AWSServiceRoleForApplicationAutoScaling_RDSCluster'],
  lambda: ['lambda.application-autoscaling.amazonaws.com', 'AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency'],
};

const known = (n: number | undefined): n is number => n !== undefined && !Token.isUnresolved(n);

/**
 * RES-3: Application Auto Scaling policies for one resource, created through the entry point of
 * its kind.
 *
 * ```ts
 * ScalingPolicies.dynamoDbTable(this, 'OrdersScaling', {
 *   table,
 *   read: { minCapacity: 5, maxCapacity: 100 },
 *   write: { minCapacity: 5, maxCapacity: 50, targetUtilizationPercent: 60 },
 * });
 * ScalingPolicies.lambdaProvisionedConcurrency(this, 'ApiWarm', { alias, minCapacity: 1, maxCapacity: 10 });
 * ```
 */
export class ScalingPolicies extends Construct {
  /**
   * Target tracking of a DynamoDB table's read and write capacity and of its global secondary
   * indexes (`DynamoDBReadCapacityUtilization`, `DynamoDBWriteCapacityUtilization`), with a
   * `WriteThrottleEvents` alarm on the table and on each scaled index.
   */
  public static dynamoDbTable(scope: Construct, id: string, props: DynamoDbTableScalingProps): ScalingPolicies {
    const self = new ScalingPolicies(scope, id);
    self.scaleTable(props);
    return self;
  }

  /**
   * Desired task count of an ECS service: target tracking on average CPU
   * (`ECSServiceAverageCPUUtilization`) and/or memory, step scaling on a metric of your own,
   * scheduled bounds.
   */
  public static ecsService(scope: Construct, id: string, props: EcsServiceScalingProps): ScalingPolicies {
    const self = new ScalingPolicies(scope, id);
    self.scaleService(props);
    return self;
  }

  /**
   * Number of Aurora Replicas of a cluster: target tracking on the readers' average CPU
   * (`RDSReaderAverageCPUUtilization`) or connections, scheduled bounds.
   */
  public static auroraReplicas(scope: Construct, id: string, props: AuroraReplicaScalingProps): ScalingPolicies {
    const self = new ScalingPolicies(scope, id);
    self.scaleReplicas(props);
    return self;
  }

  /**
   * Provisioned concurrency of a Lambda alias: target tracking on
   * `LambdaProvisionedConcurrencyUtilization` and scheduled bounds.
   */
  public static lambdaProvisionedConcurrency(scope: Construct, id: string, props: LambdaProvisionedConcurrencyScalingProps): ScalingPolicies {
    const self = new ScalingPolicies(scope, id);
    self.scaleAlias(props);
    return self;
  }

  /** The scalable targets, one per scaled dimension. */
  public readonly scalableTargets: appscaling.ScalableTarget[] = [];
  /** The target tracking policies. */
  public readonly targetTrackingPolicies: appscaling.TargetTrackingScalingPolicy[] = [];
  /** The step scaling policies (each with the alarms aws-cdk-lib creates for its steps). */
  public readonly stepScalingPolicies: appscaling.StepScalingPolicy[] = [];
  /** The `WriteThrottleEvents` alarms (DynamoDB only). */
  public readonly throttleAlarms: cloudwatch.Alarm[] = [];
  private topic?: sns.ITopic;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
  }

  /** Where a person is told that writes are throttled (DynamoDB only; undefined for the other kinds). */
  public get notificationTopic(): sns.ITopic | undefined {
    return this.topic;
  }

  private scaleTable(props: DynamoDbTableScalingProps): void {
    const check = new PropsCheck(this, 'ScalingPolicies');
    const indexes = props.globalSecondaryIndexes ?? [];
    check.require(props.read !== undefined || props.write !== undefined || indexes.some((i) => i.read || i.write),
      'give read, write or globalSecondaryIndexes with read or write: there is nothing to scale');
    this.checkCapacity(check, 'read', props.read);
    this.checkCapacity(check, 'write', props.write);
    const seen = new Set<string>();
    indexes.forEach((index, i) => {
      const name = Token.isUnresolved(index.indexName) ? `globalSecondaryIndexes[${i}]` : `index ${index.indexName}`;
      check.require(index.read !== undefined || index.write !== undefined, `${name}: give read or write (or leave the index out)`);
      if (!Token.isUnresolved(index.indexName)) {
        check.require(!seen.has(index.indexName), `${name} is given more than once`);
        seen.add(index.indexName);
      }
      this.checkCapacity(check, `${name} read`, index.read);
      this.checkCapacity(check, `${name} write`, index.write);
    });
    this.checkTable(check, props.table, [...seen]);
    check.throwIfAny();

    const topic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', { displayName: 'DynamoDB write throttling' }).topic;
    this.topic = topic;
    const tableName = props.table.tableName;
    const role = this.serviceLinkedRole('dynamodb');

    const scale = (idPrefix: string, resourceId: string, kind: 'table' | 'index', which: 'Read' | 'Write', capacity?: DynamoDbCapacityScaling) => {
      if (!capacity) return;
      const target = this.target(`${idPrefix}${which}`, {
        serviceNamespace: appscaling.ServiceNamespace.DYNAMODB,
        resourceId,
        scalableDimension: `dynamodb:${kind}:${which}CapacityUnits`,
        minCapacity: capacity.minCapacity,
        maxCapacity: capacity.maxCapacity,
        role,
      }, props.table);
      this.track(target, `${which}Utilization`, {
        targetValue: capacity.targetUtilizationPercent ?? 70,
        predefinedMetric: which === 'Read' ? appscaling.PredefinedMetric.DYNAMODB_READ_CAPACITY_UTILIZATION : appscaling.PredefinedMetric.DYNAMODB_WRITE_CAPACITY_UTILIZATION,
      });
    };
    scale('Table', `table/${tableName}`, 'table', 'Read', props.read);
    scale('Table', `table/${tableName}`, 'table', 'Write', props.write);
    this.throttleAlarm('Table', { TableName: tableName }, `table ${tableName}`, props.write?.maxCapacity, topic);
    indexes.forEach((index, i) => {
      const idPrefix = `Index${i}`;
      scale(idPrefix, `table/${tableName}/index/${index.indexName}`, 'index', 'Read', index.read);
      scale(idPrefix, `table/${tableName}/index/${index.indexName}`, 'index', 'Write', index.write);
      this.throttleAlarm(idPrefix, { TableName: tableName, GlobalSecondaryIndexName: index.indexName },
        `index ${index.indexName} of table ${tableName}`, index.write?.maxCapacity, topic);
    });
  }

  private scaleService(props: EcsServiceScalingProps): void {
    const check = new PropsCheck(this, 'ScalingPolicies');
    this.checkBounds(check, '', props.minCapacity, props.maxCapacity, ECS_TASKS);
    check.inRange('cpuTargetPercent', known(props.cpuTargetPercent) ? props.cpuTargetPercent : undefined, 1, 100);
    check.inRange('memoryTargetPercent', known(props.memoryTargetPercent) ? props.memoryTargetPercent : undefined, 1, 100);
    if (props.stepScaling) checkSteps(check, props.stepScaling.steps);
    this.checkSchedules(check, props.schedules, ECS_TASKS);
    check.throwIfAny();

    const target = this.target('Tasks', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      resourceId: `service/${props.service.cluster.clusterName}/${props.service.serviceName}`,
      scalableDimension: 'ecs:service:DesiredCount',
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
      role: this.serviceLinkedRole('ecs'),
    }, props.service);
    const cpu = props.cpuTargetPercent ?? (props.memoryTargetPercent === undefined && !props.stepScaling ? 70 : undefined);
    if (cpu !== undefined) this.track(target, 'CpuUtilization', { targetValue: cpu, predefinedMetric: appscaling.PredefinedMetric.ECS_SERVICE_AVERAGE_CPU_UTILIZATION });
    if (props.memoryTargetPercent !== undefined) {
      this.track(target, 'MemoryUtilization', { targetValue: props.memoryTargetPercent, predefinedMetric: appscaling.PredefinedMetric.ECS_SERVICE_AVERAGE_MEMORY_UTILIZATION });
    }
    if (props.stepScaling) {
      this.stepScalingPolicies.push(target.scaleOnMetric('StepScaling', {
        metric: props.stepScaling.metric,
        scalingSteps: props.stepScaling.steps.map((s) => ({ lower: s.lower, upper: s.upper, change: s.change })),
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        cooldown: props.stepScaling.cooldown ?? Duration.minutes(5),
      }));
    }
    this.schedule(target, props.schedules);
  }

  private scaleReplicas(props: AuroraReplicaScalingProps): void {
    const check = new PropsCheck(this, 'ScalingPolicies');
    this.checkBounds(check, '', props.minCapacity, props.maxCapacity, AURORA_REPLICAS);
    check.inRange('cpuTargetPercent', known(props.cpuTargetPercent) ? props.cpuTargetPercent : undefined, 1, 100);
    if (known(props.averageConnectionsTarget)) {
      check.require(props.averageConnectionsTarget > 0, `averageConnectionsTarget must be above 0, got ${props.averageConnectionsTarget}`);
    }
    this.checkSchedules(check, props.schedules, AURORA_REPLICAS);
    check.throwIfAny();

    const target = this.target('Replicas', {
      serviceNamespace: appscaling.ServiceNamespace.RDS,
      resourceId: `cluster:${props.cluster.clusterIdentifier}`,
      scalableDimension: 'rds:cluster:ReadReplicaCount',
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
      role: this.serviceLinkedRole('rds'),
    }, props.cluster);
    const cpu = props.cpuTargetPercent ?? (props.averageConnectionsTarget === undefined ? 70 : undefined);
    if (cpu !== undefined) this.track(target, 'CpuUtilization', { targetValue: cpu, predefinedMetric: appscaling.PredefinedMetric.RDS_READER_AVERAGE_CPU_UTILIZATION });
    if (props.averageConnectionsTarget !== undefined) {
      this.track(target, 'Connections', { targetValue: props.averageConnectionsTarget, predefinedMetric: appscaling.PredefinedMetric.RDS_READER_AVERAGE_DATABASE_CONNECTIONS });
    }
    this.schedule(target, props.schedules);
  }

  private scaleAlias(props: LambdaProvisionedConcurrencyScalingProps): void {
    const check = new PropsCheck(this, 'ScalingPolicies');
    this.checkBounds(check, '', props.minCapacity, props.maxCapacity, LAMBDA_CONCURRENCY);
    // The same range aws-cdk-lib's Alias.addAutoScaling().scaleOnUtilization() enforces.
    check.inRange('utilizationTarget', known(props.utilizationTarget) ? props.utilizationTarget : undefined, 0.1, 0.9);
    this.checkSchedules(check, props.schedules, LAMBDA_CONCURRENCY);
    check.throwIfAny();

    const target = this.target('ProvisionedConcurrency', {
      serviceNamespace: appscaling.ServiceNamespace.LAMBDA,
      resourceId: `function:${props.alias.version.lambda.functionName}:${props.alias.aliasName}`,
      scalableDimension: 'lambda:function:ProvisionedConcurrency',
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
      role: this.serviceLinkedRole('lambda'),
    }, props.alias);
    // LambdaProvisionedConcurrencyUtilization is the alias's ProvisionedConcurrencyUtilization
    // (docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html#managing-provisioned-concurency).
    this.track(target, 'Utilization', {
      targetValue: props.utilizationTarget ?? 0.7,
      predefinedMetric: appscaling.PredefinedMetric.LAMBDA_PROVISIONED_CONCURRENCY_UTILIZATION,
    });
    this.schedule(target, props.schedules);
  }

  /** A scalable target that is registered after the resource it scales exists. */
  private target(id: string, props: appscaling.ScalableTargetProps, resource: IConstruct): appscaling.ScalableTarget {
    const target = new appscaling.ScalableTarget(this, id, props);
    // RegisterScalableTarget fails on a resource that does not exist yet (an Aurora cluster
    // without its instances, an alias before its version): depend on everything the resource is
    // made of when it is defined in this app.
    target.node.addDependency(resource);
    this.scalableTargets.push(target);
    return target;
  }

  private track(target: appscaling.ScalableTarget, id: string, props: appscaling.BasicTargetTrackingScalingPolicyProps): void {
    this.targetTrackingPolicies.push(target.scaleToTrackMetric(id, props));
  }

  private schedule(target: appscaling.ScalableTarget, schedules: ScheduledCapacity[] = []): void {
    schedules.forEach((s, i) => {
      target.scaleOnSchedule(`schedule-${i + 1}`, {
        schedule: appscaling.Schedule.expression(s.schedule.expressionString),
        timeZone: s.schedule.timeZone,
        minCapacity: s.minCapacity,
        maxCapacity: s.maxCapacity,
      });
    });
  }

  /**
   * The service-linked role of `namespace`, imported: passing its ARN keeps aws-cdk-lib's
   * ScalableTarget from creating a role of its own (which Application Auto Scaling would not need).
   */
  private serviceLinkedRole(namespace: string): iam.IRole {
    const [service, name] = SERVICE_LINKED_ROLES[namespace];
    return iam.Role.fromRoleArn(this, `${namespace}ServiceLinkedRole`,
      Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `aws-service-role/${service}/${name}` }));
  }

  /**
   * An alarm when writes are still throttled after auto scaling had time to react. DynamoDB auto
   * scaling acts after two consecutive minutes over the target and UpdateTable then takes several
   * minutes, during which writes above the old capacity are throttled
   * (docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html); throttled
   * writes in 3 of 5 minutes is past that. `WriteThrottleEvents` with the TableName dimension
   * counts the table only; an index needs GlobalSecondaryIndexName too (same page).
   */
  private throttleAlarm(idPrefix: string, dimensionsMap: Record<string, string>, what: string, maxCapacity: number | undefined, topic: sns.ITopic): void {
    const alarm = new cloudwatch.Metric({
      namespace: 'AWS/DynamoDB', metricName: 'WriteThrottleEvents', dimensionsMap, statistic: 'Sum', period: Duration.minutes(1),
    }).createAlarm(this, `${idPrefix}WriteThrottleAlarm`, {
      alarmDescription: `Writes to ${what} are throttled in 3 of the last 5 minutes: the provisioned write capacity cannot keep up. `
        + (maxCapacity !== undefined && !Token.isUnresolved(maxCapacity)
          ? `If its write capacity is at the auto scaling maximum (${maxCapacity}), raise the maximum; otherwise look for a hot partition key.`
          : 'Raise its write capacity, or scale it with auto scaling; otherwise look for a hot partition key.'),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    addAlarmNotification(alarm, topic);
    this.throttleAlarms.push(alarm);
  }

  private checkCapacity(check: PropsCheck, name: string, capacity?: DynamoDbCapacityScaling): void {
    if (!capacity) return;
    this.checkBounds(check, `${name} `, capacity.minCapacity, capacity.maxCapacity, DYNAMODB_CAPACITY);
    // DynamoDB auto scaling takes a target utilization between 20 and 90 percent
    // (docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.Console.html).
    const target = capacity.targetUtilizationPercent;
    if (known(target) && (target < 20 || target > 90)) {
      check.add(`${name} targetUtilizationPercent must be between 20 and 90 (DynamoDB auto scaling's range), got ${target}`);
    }
  }

  private checkBounds(check: PropsCheck, prefix: string, min: number, max: number, rule: CapacityRule): void {
    if (known(min)) {
      check.require(Number.isSafeInteger(min) && min >= rule.min, `${prefix}minCapacity must be a whole number of at least ${rule.min} ${rule.unit}, got ${min}`);
    }
    if (known(max)) {
      check.require(Number.isSafeInteger(max) && max >= Math.max(rule.min, 1), `${prefix}maxCapacity must be a whole number of at least ${Math.max(rule.min, 1)} ${rule.unit}, got ${max}`);
      if (rule.max !== undefined) check.require(max <= rule.max, `${prefix}maxCapacity must be at most ${rule.max} (${rule.maxWhy}), got ${max}`);
    }
    if (known(min) && known(max)) check.require(min <= max, `${prefix}minCapacity (${min}) must not exceed maxCapacity (${max})`);
  }

  private checkSchedules(check: PropsCheck, schedules: ScheduledCapacity[] | undefined, rule: CapacityRule): void {
    (schedules ?? []).forEach((s, i) => {
      const name = `schedules[${i}] `;
      check.require(s.minCapacity !== undefined || s.maxCapacity !== undefined, `${name}must set minCapacity, maxCapacity or both`);
      if (known(s.minCapacity)) check.require(Number.isSafeInteger(s.minCapacity) && s.minCapacity >= rule.min, `${name}minCapacity must be a whole number of at least ${rule.min} ${rule.unit}, got ${s.minCapacity}`);
      if (known(s.maxCapacity)) {
        check.require(Number.isSafeInteger(s.maxCapacity) && s.maxCapacity >= 0, `${name}maxCapacity must be a whole number of at least 0 ${rule.unit}, got ${s.maxCapacity}`);
        if (rule.max !== undefined) check.require(s.maxCapacity <= rule.max, `${name}maxCapacity must be at most ${rule.max} (${rule.maxWhy}), got ${s.maxCapacity}`);
      }
      if (known(s.minCapacity) && known(s.maxCapacity)) check.require(s.minCapacity <= s.maxCapacity, `${name}minCapacity (${s.minCapacity}) must not exceed maxCapacity (${s.maxCapacity})`);
    });
  }

  /**
   * What the construct can know about the table: a `Table` of this app carries its billing mode
   * and its indexes; an imported `ITable` carries neither.
   */
  private checkTable(check: PropsCheck, table: dynamodb.ITable, indexNames: string[]): void {
    const resource = table.node.defaultChild;
    if (resource instanceof dynamodb.CfnGlobalTable) {
      check.add('table is a TableV2 (AWS::DynamoDB::GlobalTable), which scales through its own billing: Billing.provisioned({ readCapacity: Capacity.autoscaled(...), ... }); a second scalable target on it would conflict');
      return;
    }
    if (!(resource instanceof dynamodb.CfnTable)) {
      Annotations.of(this).addWarningV2('@devops-patterns/scaling-policies-imported-table',
        'The table is imported, so its billing mode cannot be read here: it must be in provisioned capacity mode (PROVISIONED), or RegisterScalableTarget fails on deploy; the index names cannot be checked either.');
      return;
    }
    const stack = Stack.of(this);
    const mode = stack.resolve(resource.billingMode);
    check.require(mode !== 'PAY_PER_REQUEST',
      'table is in on-demand capacity mode (PAY_PER_REQUEST): Application Auto Scaling adjusts provisioned capacity only; create it with billingMode PROVISIONED');
    const defined = stack.resolve(resource.globalSecondaryIndexes);
    if (Array.isArray(defined)) {
      const names = new Set(defined.map((d: { indexName?: string }) => d.indexName));
      for (const name of indexNames) check.require(names.has(name), `index ${name} is not a global secondary index of the table (it has: ${[...names].join(', ') || 'none'})`);
    } else if (defined === undefined) {
      for (const name of indexNames) check.add(`index ${name} is not a global secondary index of the table (it has none)`);
    }
  }
}

/** Refuses step sets Application Auto Scaling or aws-cdk-lib would refuse or misread. */
function checkSteps(check: PropsCheck, steps: ScalingStep[]): void {
  // aws-cdk-lib's StepScalingPolicy splits the steps into a scale-in and a scale-out alarm and
  // needs at least two intervals to do so.
  if (steps.length < 2) {
    check.add(`stepScaling.steps must hold at least 2 steps (one on each side of a threshold), got ${steps.length}`);
    return;
  }
  steps.forEach((s, i) => {
    check.require(s.lower !== undefined || s.upper !== undefined, `stepScaling.steps[${i}] needs a lower or an upper bound`);
    if (known(s.lower) && known(s.upper)) check.require(s.lower < s.upper, `stepScaling.steps[${i}] is empty: lower (${s.lower}) must be below upper (${s.upper})`);
    if (i > 0 && s.lower === undefined) check.add(`stepScaling.steps[${i}] has no lower bound: only the first step may be open below`);
    if (i < steps.length - 1 && s.upper === undefined) check.add(`stepScaling.steps[${i}] has no upper bound: only the last step may be open above`);
    check.require(Number.isSafeInteger(s.change), `stepScaling.steps[${i}].change must be a whole number of tasks, got ${s.change}`);
  });
  for (let i = 1; i < steps.length; i++) {
    const prevUpper = steps[i - 1].upper;
    const lower = steps[i].lower;
    if (known(prevUpper) && known(lower) && lower < prevUpper) {
      check.add(`stepScaling.steps[${i - 1}] and steps[${i}] overlap: [${steps[i - 1].lower ?? '-∞'}, ${prevUpper}) and [${lower}, ${steps[i].upper ?? '∞'})`);
    }
  }
  check.require(steps.some((s) => s.change !== 0), 'stepScaling.steps all have change 0: the policy would never scale');
}
