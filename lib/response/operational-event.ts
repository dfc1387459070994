/**
 * RSP-4: one route of {@link OperationalEventRouting}: which events of one AWS service to match
 * and the sentence a person reads when one arrives. Each factory builds the event pattern from
 * typed filters and the message from fields that the service's own event carries (each cited),
 * so nobody writes an event pattern or an input transformer by hand.
 */
import { Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import {
  AutoScalingEventType, CodeBuildBuildStatus, CodeDeployDeploymentState, CodePipelineExecutionState,
  ConfigComplianceType, EcsStopCode, HealthEventCategory, RdsEventType,
} from './operational-event-filters';

/** Options of {@link OperationalEvent.autoScaling}. */
export interface AutoScalingEventOptions {
  /**
   * The Auto Scaling groups to watch, by name.
   * @default - every group of the account and region
   */
  readonly groupNames?: string[];
  /**
   * Which events.
   * @default - launches and terminations that failed
   */
  readonly detailTypes?: AutoScalingEventType[];
}

/** Options of {@link OperationalEvent.codeBuild}. */
export interface CodeBuildEventOptions {
  /**
   * The CodeBuild projects to watch, by name.
   * @default - every project of the account and region
   */
  readonly projectNames?: string[];
  /**
   * Which build states.
   * @default - FAILED and STOPPED
   */
  readonly states?: CodeBuildBuildStatus[];
}

/** Options of {@link OperationalEvent.codeDeploy}. */
export interface CodeDeployEventOptions {
  /**
   * The CodeDeploy applications to watch, by name.
   * @default - every application of the account and region
   */
  readonly applicationNames?: string[];
  /**
   * The deployment groups to watch, by name.
   * @default - every deployment group of the watched applications
   */
  readonly deploymentGroupNames?: string[];
  /**
   * Which deployment states.
   * @default - FAILURE and STOP
   */
  readonly states?: CodeDeployDeploymentState[];
}

/** Options of {@link OperationalEvent.codePipeline}. */
export interface CodePipelineEventOptions {
  /**
   * The pipelines to watch, by name.
   * @default - every pipeline of the account and region
   */
  readonly pipelineNames?: string[];
  /**
   * Which execution states.
   * @default - FAILED
   */
  readonly states?: CodePipelineExecutionState[];
}

/** Options of {@link OperationalEvent.ecs}. */
export interface EcsEventOptions {
  /**
   * The ECS clusters to watch, by ARN.
   * @default - every cluster of the account and region
   */
  readonly clusterArns?: string[];
  /**
   * Why the task stopped.
   * @default - an essential container exited, or the task failed to start
   */
  readonly stopCodes?: EcsStopCode[];
}

/** Options of {@link OperationalEvent.rds}. */
export interface RdsEventOptions {
  /**
   * Which kinds of RDS resource.
   * @default - DB instances and DB clusters
   */
  readonly detailTypes?: RdsEventType[];
  /**
   * The event categories (`failover`, `failure`, `low storage`, `maintenance`, `notification`,
   * ...; docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html). An event
   * matches when one of its categories is listed.
   * @default ['failover', 'failure']
   */
  readonly eventCategories?: string[];
  /**
   * The DB instance or cluster identifiers to watch.
   * @default - every instance and cluster of the account and region
   */
  readonly sourceIdentifiers?: string[];
}

/** Options of {@link OperationalEvent.configCompliance}. */
export interface ConfigComplianceEventOptions {
  /**
   * The AWS Config rules to watch, by name.
   * @default - every rule of the account and region
   */
  readonly ruleNames?: string[];
  /**
   * Which evaluation results.
   * @default - NON_COMPLIANT
   */
  readonly complianceTypes?: ConfigComplianceType[];
}

/** Options of {@link OperationalEvent.guardDuty}. */
export interface GuardDutyEventOptions {
  /**
   * The lowest severity to route: GuardDuty rates findings from 1.0 to 10.0 (Low 1.0-3.9,
   * Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0;
   * docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html).
   * @default 7 (High and Critical)
   */
  readonly minSeverity?: number;
}

/** Options of {@link OperationalEvent.health}. */
export interface HealthEventOptions {
  /**
   * The services whose events to route, as AWS Health names them (`EC2`, `RDS`, `LAMBDA`, ...).
   * @default - every service
   */
  readonly services?: string[];
  /**
   * Which categories.
   * @default - issues and scheduled changes
   */
  readonly eventTypeCategories?: HealthEventCategory[];
}

/** Options of {@link OperationalEvent.custom}. */
export interface CustomEventOptions {
  /**
   * A name for the route, used in construct ids (letters and digits).
   * @default 'Custom'
   */
  readonly name?: string;
  /** What the route matches, in words (the rule's description, at most 512 characters). */
  readonly description: string;
  /** The event pattern. It must name a `source` and a `detailType`. */
  readonly eventPattern: events.EventPattern;
  /** The message a person reads, with `events.EventField` placeholders. */
  readonly message: string;
  /**
   * The title of the chat notification.
   * @default - the description
   */
  readonly title?: string;
}

/** What a route is made of. */
interface RouteParts {
  readonly name: string;
  readonly description: string;
  readonly title: string;
  readonly eventPattern: events.EventPattern;
  readonly message: string;
  readonly problems: string[];
}

const field = (path: string): string => events.EventField.fromPath(path);
const WHERE = `account ${events.EventField.account}, ${events.EventField.region}`;

/**
 * Which events of one AWS service go to the notification topic, and the message a person reads.
 * Pass routes to {@link OperationalEventRouting}; each becomes one EventBridge rule.
 *
 * ```ts
 * OperationalEvent.codeBuild({ projectNames: ['api'], states: [CodeBuildBuildStatus.FAILED] });
 * OperationalEvent.guardDuty({ minSeverity: 4 });
 * ```
 */
export class OperationalEvent {
  /**
   * Amazon EC2 Auto Scaling launches and terminations
   * (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html).
   */
  public static autoScaling(options: AutoScalingEventOptions = {}): OperationalEvent {
    const problems: string[] = [];
    const detail = details({ AutoScalingGroupName: optional(problems, 'autoScaling', 'groupNames', options.groupNames) });
    return new OperationalEvent({
      name: 'AutoScaling',
      description: 'Amazon EC2 Auto Scaling instance launches and terminations',
      title: 'Auto Scaling',
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: list(problems, 'autoScaling', 'detailTypes', options.detailTypes,
          [AutoScalingEventType.LAUNCH_UNSUCCESSFUL, AutoScalingEventType.TERMINATE_UNSUCCESSFUL]),
        detail,
      },
      message: `Auto Scaling group ${field('$.detail.AutoScalingGroupName')}: ${field('$.detail-type')} `
        + `(instance ${field('$.detail.EC2InstanceId')}, status ${field('$.detail.StatusCode')}) in ${WHERE}. `
        + `${field('$.detail.Cause')} ${field('$.detail.StatusMessage')}`,
      problems,
    });
  }

  /** CodeBuild build state changes (docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html). */
  public static codeBuild(options: CodeBuildEventOptions = {}): OperationalEvent {
    const problems: string[] = [];
    return new OperationalEvent({
      name: 'CodeBuild',
      description: 'CodeBuild build state changes',
      title: 'CodeBuild',
      eventPattern: {
        source: ['aws.codebuild'],
        detailType: ['CodeBuild Build State Change'],
        detail: details({
          'project-name': optional(problems, 'codeBuild', 'projectNames', options.projectNames),
          'build-status': list(problems, 'codeBuild', 'states', options.states, [CodeBuildBuildStatus.FAILED, CodeBuildBuildStatus.STOPPED]),
        }),
      },
      message: `CodeBuild project ${field('$.detail.project-name')}: build ${field('$.detail.build-id')} `
        + `is ${field('$.detail.build-status')} (${WHERE}).`,
      problems,
    });
  }

  /**
   * CodeDeploy deployment state changes
   * (docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-cloudwatch-events.html).
   */
  public static codeDeploy(options: CodeDeployEventOptions = {}): OperationalEvent {
    const problems: string[] = [];
    return new OperationalEvent({
      name: 'CodeDeploy',
      description: 'CodeDeploy deployment state changes',
      title: 'CodeDeploy',
      eventPattern: {
        source: ['aws.codedeploy'],
        detailType: ['CodeDeploy Deployment State-change Notification'],
        detail: details({
          application: optional(problems, 'codeDeploy', 'applicationNames', options.applicationNames),
          deploymentGroup: optional(problems, 'codeDeploy', 'deploymentGroupNames', options.deploymentGroupNames),
          state: list(problems, 'codeDeploy', 'states', options.states, [CodeDeployDeploymentState.FAILURE, CodeDeployDeploymentState.STOP]),
        }),
      },
      message: `CodeDeploy ${field('$.detail.application')}/${field('$.detail.deploymentGroup')}: `
        + `deployment ${field('$.detail.deploymentId')} is ${field('$.detail.state')} (${WHERE}).`,
      problems,
    });
  }

  /**
   * CodePipeline execution state changes
   * (docs.aws.amazon.com/codepipeline/latest/userguide/detect-state-changes-cloudwatch-events.html).
   */
  public static codePipeline(options: CodePipelineEventOptions = {}): OperationalEvent {
    const problems: string[] = [];
    return new OperationalEvent({
      name: 'CodePipeline',
      description: 'CodePipeline pipeline execution state changes',
      title: 'CodePipeline',
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Pipeline Execution State Change'],
        detail: details({
          pipeline: optional(problems, 'codePipeline', 'pipelineNames', options.pipelineNames),
          state: list(problems, 'codePipeline', 'states', options.states, [CodePipelineExecutionState.FAILED]),
        }),
      },
      message: `CodePipeline ${field('$.detail.pipeline')}: execution ${field('$.detail.execution-id')} `
        + `is ${field('$.detail.state')} (${WHERE}).`,
      problems,
    });
  }

  /**
   * Amazon ECS tasks that stopped (docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html:
   * for a stopped task the event carries `stopCode` and `stoppedReason`).
   */
  public static ecs(options: EcsEventOptions = {}): OperationalEvent {
    const problems: string[] = [];
    return new OperationalEvent({
      name: 'Ecs',
      description: 'Amazon ECS tasks that stopped',
      title: 'ECS task stopped',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: details({
          clusterArn: optional(problems, 'ecs', 'clusterArns', options.clusterArns),
          lastStatus: ['STOPPED'],
          stopCode: list(problems, 'ecs', 'stopCodes', options.stopCodes, [EcsStopCode.ESSENTIAL_CONTAINER_EXITED, EcsStopCode.TASK_FAILED_TO_START]),
        }),
      },
      message: `ECS task ${field('$.detail.taskArn')} (${field('$.detail.group')}) in cluster ${field('$.detail.clusterArn')} `
        + `stopped: ${field('$.detail.stopCode')}, ${field('$.detail.stoppedReason')} (${WHERE}).`,
      problems,
    });
  }

  /**
   * Amazon RDS events: failover, failure, ... of DB instances and clusters
   * (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-cloudwatch-events.sample.html).
   */
  public static rds(options: RdsEventOptions = {}): OperationalEvent {
    const problems: string[] = [];
    return new OperationalEvent({
      name: 'Rds',
      description: 'Amazon RDS events of DB instances and clusters',
      title: 'RDS',
      eventPattern: {
        source: ['aws.rds'],
        detailType: list(problems, 'rds', 'detailTypes', options.detailTypes, [RdsEventType.DB_INSTANCE, RdsEventType.DB_CLUSTER]),
        detail: details({
          EventCategories: list(problems, 'rds', 'eventCategories', options.eventCategories, ['failover', 'failure']),
          SourceIdentifier: optional(problems, 'rds', 'sourceIdentifiers', options.sourceIdentifiers),
        }),
      },
      message: `RDS ${field('$.detail.SourceType')} ${field('$.detail.SourceIdentifier')}: ${field('$.detail.Message')} `
        + `(${field('$.detail.EventID')}, ${WHERE}, ${field('$.detail.Date')}).`,
      problems,
    });
  }

  /**
   * AWS Config rule compliance changes
   * (docs.aws.amazon.com/config/latest/developerguide/monitor-config-with-cloudwatchevents.html).
   */
  public static configCompliance(options: ConfigComplianceEventOptions = {}): OperationalEvent {
    const problems: string[] = [];
    return new OperationalEvent({
      name: 'ConfigCompliance',
      description: 'AWS Config rule compliance changes',
      title: 'AWS Config compliance',
      eventPattern: {
        source: ['aws.config'],
        detailType: ['Config Rules Compliance Change'],
        detail: details({
          configRuleName: optional(problems, 'configCompliance', 'ruleNames', options.ruleNames),
          newEvaluationResult: {
            complianceType: list(problems, 'configCompliance', 'complianceTypes', options.complianceTypes, [ConfigComplianceType.NON_COMPLIANT]),
          },
        }),
      },
      message: `AWS Config rule ${field('$.detail.configRuleName')}: ${field('$.detail.resourceType')} ${field('$.detail.resourceId')} `
        + `is ${field('$.detail.newEvaluationResult.complianceType')} (account ${field('$.detail.awsAccountId')}, ${field('$.detail.awsRegion')}).`,
      problems,
    });
  }

  /**
   * GuardDuty findings at or above a severity, matched numerically
   * (docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html; numeric matching:
   * docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-numeric-matching).
   */
  public static guardDuty(options: GuardDutyEventOptions = {}): OperationalEvent {
    const problems: string[] = [];
    const minSeverity = options.minSeverity ?? 7;
    if (!Token.isUnresolved(minSeverity) && !(Number.isFinite(minSeverity) && minSeverity >= 1 && minSeverity <= 10)) {
      problems.push(`guardDuty: minSeverity must be between 1 and 10 (GuardDuty's severity scale), got ${minSeverity}`);
    }
    return new OperationalEvent({
      name: 'GuardDuty',
      description: `GuardDuty findings of severity ${minSeverity} and above`,
      title: 'GuardDuty finding',
      eventPattern: {
        source: ['aws.guardduty'],
        detailType: ['GuardDuty Finding'],
        detail: { severity: events.Match.greaterThanOrEqual(minSeverity) },
      },
      message: `GuardDuty finding ${field('$.detail.type')} (severity ${field('$.detail.severity')}) in account ${field('$.detail.accountId')}, `
        + `${field('$.detail.region')}: ${field('$.detail.title')} Finding id ${field('$.detail.id')}.`,
      problems,
    });
  }

  /**
   * AWS Health events (docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html).
   * Events of global services (IAM, ...) arrive in us-east-1 only.
   */
  public static health(options: HealthEventOptions = {}): OperationalEvent {
    const problems: string[] = [];
    return new OperationalEvent({
      name: 'Health',
      description: 'AWS Health events',
      title: 'AWS Health',
      eventPattern: {
        source: ['aws.health'],
        detailType: ['AWS Health Event'],
        detail: details({
          service: optional(problems, 'health', 'services', options.services),
          eventTypeCategory: list(problems, 'health', 'eventTypeCategories', options.eventTypeCategories,
            [HealthEventCategory.ISSUE, HealthEventCategory.SCHEDULED_CHANGE]),
        }),
      },
      message: `AWS Health ${field('$.detail.eventTypeCategory')} for ${field('$.detail.service')}: ${field('$.detail.eventTypeCode')} `
        + `(${WHERE}), starting ${field('$.detail.startTime')}. ${field('$.detail.eventDescription[0].latestDescription')} `
        + `Event ${field('$.detail.eventArn')}`,
      problems,
    });
  }

  /**
   * Any other event, with a pattern and message of your own. The pattern must name a `source` and
   * a `detailType`: a rule that matches everything of a service (or everything) is refused.
   */
  public static custom(options: CustomEventOptions): OperationalEvent {
    const problems: string[] = [];
    const name = options.name ?? 'Custom';
    const what = `custom route ${name}`;
    if (!/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name)) problems.push(`${what}: name must be letters and digits (at most 64), starting with a letter`);
    nonEmpty(problems, what, 'eventPattern.source', options.eventPattern.source);
    nonEmpty(problems, what, 'eventPattern.detailType', options.eventPattern.detailType);
    if (!Token.isUnresolved(options.message) && options.message.trim().length === 0) problems.push(`${what}: message must not be empty`);
    // A rule's description holds at most 512 characters (docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html).
    if (!Token.isUnresolved(options.description) && options.description.length > 512) {
      problems.push(`${what}: description must be at most 512 characters (an EventBridge rule's limit), got ${options.description.length}`);
    }
    return new OperationalEvent({
      name,
      description: options.description,
      title: options.title ?? options.description,
      eventPattern: options.eventPattern,
      message: options.message,
      problems,
    });
  }

  /** The route's name, used in construct ids (`CodeBuild`, `GuardDuty`, ...). */
  public readonly name: string;
  /** What the route matches, in words: the rule's description. */
  public readonly description: string;
  /** The title of the chat notification. */
  public readonly title: string;
  /** The event pattern of the route's rule. */
  public readonly eventPattern: events.EventPattern;
  /** The message a person reads, with `events.EventField` placeholders. */
  public readonly message: string;
  /**
   * What is wrong with the route's options; {@link OperationalEventRouting} refuses a route with
   * any, naming them all.
   *
   * @internal
   */
  public readonly _problems: string[];

  private constructor(parts: RouteParts) {
    this.name = parts.name;
    this.description = parts.description;
    this.title = parts.title;
    this.eventPattern = parts.eventPattern;
    this.message = parts.message;
    this._problems = parts.problems;
  }
}

/**
 * The filter list to use: `given` when set, else `defaults`. An empty list is a problem: it says
 * "filter on this field" and names no value, an empty event pattern field that can only mean a
 * mistake (EventBridge matches a field against the values listed).
 */
function list<T extends string>(problems: string[], route: string, name: string, given: T[] | undefined, defaults: T[]): T[] {
  if (given === undefined) return defaults;
  nonEmpty(problems, route, name, given);
  return given;
}

function nonEmpty(problems: string[], route: string, name: string, given: string[] | undefined): void {
  if (given === undefined || (!Token.isUnresolved(given) && given.length === 0)) {
    problems.push(`${route}: ${name} must list at least one value: an empty list is an empty event pattern field (leave it out for the default)`);
  }
}

/** An optional filter list: `given`, or nothing when it is left out; an empty list is a problem. */
function optional(problems: string[], route: string, name: string, given: string[] | undefined): string[] | undefined {
  if (given === undefined) return undefined;
  nonEmpty(problems, route, name, given);
  return given;
}

/** The detail filter without the fields left out, or nothing when every field is left out. */
function details(fields: Record<string, unknown>): Record<string, unknown> | undefined {
  const detail = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  return Object.keys(detail).length > 0 ? detail : undefined;
}
