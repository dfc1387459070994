/**
 * RSP-4: the values each {@link OperationalEvent} source can be filtered on, as enums, so a route
 * is picked from a list instead of typed into an event pattern. Each value is the exact string the
 * service puts in its event; the doc of each enum names the page that lists them.
 */

/**
 * The Amazon EC2 Auto Scaling events a route can match: launches and terminations, successful or
 * not. Their `detail` carries `AutoScalingGroupName`, `EC2InstanceId`, `StatusCode`, `Cause` and
 * `StatusMessage` (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html).
 */
export enum AutoScalingEventType {
  /** An instance was launched. */
  LAUNCH_SUCCESSFUL = 'EC2 Instance Launch Successful',
  /** An instance could not be launched (capacity, quota, launch template, ...). */
  LAUNCH_UNSUCCESSFUL = 'EC2 Instance Launch Unsuccessful',
  /** An instance was terminated. */
  TERMINATE_SUCCESSFUL = 'EC2 Instance Terminate Successful',
  /** An instance could not be terminated. */
  TERMINATE_UNSUCCESSFUL = 'EC2 Instance Terminate Unsuccessful',
}

/**
 * The `build-status` of a "CodeBuild Build State Change" event
 * (docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html).
 */
export enum CodeBuildBuildStatus {
  /** The build started. */
  IN_PROGRESS = 'IN_PROGRESS',
  /** The build succeeded. */
  SUCCEEDED = 'SUCCEEDED',
  /** The build failed. */
  FAILED = 'FAILED',
  /** The build was stopped. */
  STOPPED = 'STOPPED',
}

/**
 * The `state` of a "CodeDeploy Deployment State-change Notification" event
 * (docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-cloudwatch-events.html).
 */
export enum CodeDeployDeploymentState {
  /** The deployment started. */
  START = 'START',
  /** The deployment succeeded. */
  SUCCESS = 'SUCCESS',
  /** The deployment failed. */
  FAILURE = 'FAILURE',
  /** The deployment was stopped. */
  STOP = 'STOP',
  /** A blue/green deployment is ready to reroute traffic. */
  READY = 'READY',
}

/**
 * The `state` of a "CodePipeline Pipeline Execution State Change" event
 * (docs.aws.amazon.com/codepipeline/latest/userguide/detect-state-changes-cloudwatch-events.html).
 */
export enum CodePipelineExecutionState {
  /** The execution started. */
  STARTED = 'STARTED',
  /** The execution succeeded. */
  SUCCEEDED = 'SUCCEEDED',
  /** A failed execution was retried. */
  RESUMED = 'RESUMED',
  /** The execution failed. */
  FAILED = 'FAILED',
  /** The execution was canceled (a newer one took its place in a stage). */
  CANCELED = 'CANCELED',
  /** A newer execution overtook this one. */
  SUPERSEDED = 'SUPERSEDED',
  /** The execution is stopping. */
  STOPPING = 'STOPPING',
  /** The execution was stopped. */
  STOPPED = 'STOPPED',
}

/**
 * Why an Amazon ECS task stopped: the `stopCode` of an "ECS Task State Change" event of a stopped
 * task (docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html, stopCode).
 */
export enum EcsStopCode {
  /** The task could not start (image pull, resources, network, ...). */
  TASK_FAILED_TO_START = 'TaskFailedToStart',
  /** An essential container of the task exited, which stops the task. */
  ESSENTIAL_CONTAINER_EXITED = 'EssentialContainerExited',
  /** Someone called StopTask. */
  USER_INITIATED = 'UserInitiated',
  /** The service scheduler stopped it (scale-in, deployment, unhealthy). */
  SERVICE_SCHEDULER_INITIATED = 'ServiceSchedulerInitiated',
  /** A Fargate Spot task was interrupted. */
  SPOT_INTERRUPTION = 'SpotInterruption',
  /** The task's infrastructure is being retired. */
  TERMINATION_NOTICE = 'TerminationNotice',
}

/**
 * The Amazon RDS events a route can match; their `detail` carries `EventCategories`,
 * `SourceType`, `SourceIdentifier`, `Message` and `EventID`
 * (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-cloudwatch-events.sample.html).
 */
export enum RdsEventType {
  /** Events of DB instances (failover of a Multi-AZ instance, failure, low storage, ...). */
  DB_INSTANCE = 'RDS DB Instance Event',
  /** Events of DB clusters (Aurora and Multi-AZ DB cluster failover, failure, ...). */
  DB_CLUSTER = 'RDS DB Cluster Event',
  /** Events of DB snapshots. */
  DB_SNAPSHOT = 'RDS DB Snapshot Event',
  /** Events of DB cluster snapshots. */
  DB_CLUSTER_SNAPSHOT = 'RDS DB Cluster Snapshot Event',
}

/**
 * The compliance an AWS Config rule found, `newEvaluationResult.complianceType` of a
 * "Config Rules Compliance Change" event
 * (docs.aws.amazon.com/config/latest/developerguide/monitor-config-with-cloudwatchevents.html).
 */
export enum ConfigComplianceType {
  /** The resource complies. */
  COMPLIANT = 'COMPLIANT',
  /** The resource does not comply. */
  NON_COMPLIANT = 'NON_COMPLIANT',
  /** The rule does not apply to the resource. */
  NOT_APPLICABLE = 'NOT_APPLICABLE',
  /** The rule could not evaluate the resource. */
  INSUFFICIENT_DATA = 'INSUFFICIENT_DATA',
}

/**
 * The `eventTypeCategory` of an "AWS Health Event"
 * (docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html).
 */
export enum HealthEventCategory {
  /** A service issue that may affect resources of the account. */
  ISSUE = 'issue',
  /** A planned change: maintenance, instance retirement, ... */
  SCHEDULED_CHANGE = 'scheduledChange',
  /** Something the account should know or do (certificate expiry, deprecation, ...). */
  ACCOUNT_NOTIFICATION = 'accountNotification',
  /** AWS is investigating a possible issue. */
  INVESTIGATION = 'investigation',
}
