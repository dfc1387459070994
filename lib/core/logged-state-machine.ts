import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EncryptedLogGroup } from './log-group';
import { ServiceRole } from './service-role';

/**
 * Props for {@link LoggedStateMachine}.
 */
export interface LoggedStateMachineProps {
  /** The workflow: Step Functions states, usually AWS SDK service integration tasks. */
  readonly definition: sfn.IChainable;
  /** What the workflow does, shown on its role. */
  readonly description: string;
  /**
   * How long one execution may run.
   * @default Duration.minutes(30)
   */
  readonly timeout?: Duration;
}

/**
 * A standard Step Functions state machine the way every construct of this library runs one: a
 * {@link ServiceRole} (grants in one managed policy), every execution logged with its data to an
 * {@link EncryptedLogGroup}, X-Ray tracing on, and a timeout. Used for event-driven responses that
 * call AWS APIs directly through SDK service integrations, so no Lambda function is needed.
 */
export class LoggedStateMachine extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The role the state machine runs with. */
  public readonly role: ServiceRole;
  /** The log group that records every execution. */
  public readonly logGroup: EncryptedLogGroup;

  constructor(scope: Construct, id: string, props: LoggedStateMachineProps) {
    super(scope, id);
    this.role = new ServiceRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: props.description,
    });
    this.logGroup = new EncryptedLogGroup(this, 'Logs');
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
      role: this.role,
      timeout: props.timeout ?? Duration.minutes(30),
      tracingEnabled: true,
      logs: { destination: this.logGroup.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.role.acknowledgeOnGrants('AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray (xray:PutTraceSegments and related) have no resource-level permissions, so these statements must name every resource.');
  }

  /**
   * Lets the workflow publish to `topic` from `SnsPublish` tasks. The task itself grants only
   * `sns:Publish`; a topic encrypted with a customer managed key (every `NotificationTopic`)
   * also needs `kms:GenerateDataKey*` and `kms:Decrypt` on that key, or SNS refuses the message.
   */
  public grantPublish(topic: sns.ITopic): iam.Grant {
    const grant = topic.grantPublish(this.role);
    this.role.acknowledgeWildcardAction('kms:GenerateDataKey*',
      'SNS needs a data key of the notification topic\'s own KMS key to encrypt each published message; the GenerateDataKey variants are granted on that one key only.');
    return grant;
  }

  /**
   * An EventBridge target that starts this state machine with the event as input, through a
   * {@link ServiceRole} of its own (so its one grant, states:StartExecution on this state machine,
   * is in a managed policy).
   */
  public eventTarget(): events.IRuleTarget {
    const existing = this.node.tryFindChild('EventsRole') as ServiceRole | undefined;
    const role = existing ?? new ServiceRole(this, 'EventsRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `EventBridge starts ${this.node.path}`,
    });
    return new targets.SfnStateMachine(this.stateMachine, { role });
  }
}
