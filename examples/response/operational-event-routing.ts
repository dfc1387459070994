/**
 * RSP-4 example: in the workload account, the operational events the notes name (Auto Scaling,
 * CodeBuild, CodeDeploy, CodePipeline, ECS, RDS, AWS Config, GuardDuty, AWS Health) to one
 * encrypted topic as sentences, and to a Slack channel of Amazon Q Developer in chat applications.
 *
 * The Slack ids come from the context (`-c slackWorkspaceId=T... -c slackChannelId=C...`); the
 * defaults are placeholders, like the example accounts, so `cdk synth` needs nothing. The
 * workspace must have been authorized in the Amazon Q Developer console before a deployment.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  AutoScalingEventType, ChatChannel, CodeBuildBuildStatus, CodeDeployDeploymentState, CodePipelineExecutionState,
  HealthEventCategory, NotificationTopic, OperationalEvent, OperationalEventRouting,
} from '../../lib';
import { env, ExampleConfig } from '../config';

/** Props for {@link OperationalEventRoutingStack}. */
export interface OperationalEventRoutingStackProps extends StackProps {
  /** The Slack workspace authorized in the Amazon Q Developer console. */
  readonly slackWorkspaceId: string;
  /** The Slack channel the team watches. */
  readonly slackChannelId: string;
}

/** The operations notifications of the workload account. */
export class OperationalEventRoutingStack extends Stack {
  public readonly routing: OperationalEventRouting;

  constructor(scope: Construct, id: string, props: OperationalEventRoutingStackProps) {
    super(scope, id, props);
    const topic = new NotificationTopic(this, 'OperationsTopic', { displayName: 'Workload operations' });
    this.routing = new OperationalEventRouting(this, 'Operations', {
      notificationTopic: topic.topic,
      routes: [
        OperationalEvent.autoScaling({ detailTypes: [AutoScalingEventType.LAUNCH_UNSUCCESSFUL, AutoScalingEventType.TERMINATE_UNSUCCESSFUL] }),
        OperationalEvent.codeBuild({ states: [CodeBuildBuildStatus.FAILED] }),
        OperationalEvent.codeDeploy({ states: [CodeDeployDeploymentState.FAILURE, CodeDeployDeploymentState.STOP] }),
        OperationalEvent.codePipeline({ states: [CodePipelineExecutionState.FAILED, CodePipelineExecutionState.SUCCEEDED] }),
        OperationalEvent.ecs(),
        OperationalEvent.rds({ eventCategories: ['failover', 'failure', 'low storage'] }),
        OperationalEvent.configCompliance(),
        OperationalEvent.guardDuty({ minSeverity: 7 }),
        OperationalEvent.health({ eventTypeCategories: [HealthEventCategory.ISSUE, HealthEventCategory.SCHEDULED_CHANGE] }),
      ],
      chatChannel: ChatChannel.slack({
        workspaceId: props.slackWorkspaceId,
        channelId: props.slackChannelId,
        configurationName: 'workload-operations',
      }),
    });
  }
}

/** The RSP-4 example stacks. */
export interface OperationalEventRoutingExamples {
  readonly operationalEvents: OperationalEventRoutingStack;
}

/** Adds the RSP-4 example stack to `app`. */
export function addOperationalEventRoutingExamples(app: App, config: ExampleConfig): OperationalEventRoutingExamples {
  const context = (key: string, placeholder: string): string => {
    const value: unknown = app.node.tryGetContext(key);
    return typeof value === 'string' && value.length > 0 ? value : placeholder;
  };
  const operationalEvents = new OperationalEventRoutingStack(app, 'Rsp4-Workload-OperationalEvents', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'RSP-4 OperationalEventRouting: Auto Scaling, CodeBuild, CodeDeploy, CodePipeline, ECS, RDS, Config, GuardDuty and Health events to SNS and Slack (workload account)',
    slackWorkspaceId: context('slackWorkspaceId', 'T00000000'),
    slackChannelId: context('slackChannelId', 'C0000000000'),
  });
  return { operationalEvents };
}
