/**
 * RSP-4 OperationalEventRouting: one place where the operational events of a workload reach a
 * person, in words.
 *
 * Auto Scaling, CodeBuild, CodeDeploy, CodePipeline, ECS, RDS, AWS Config, GuardDuty and AWS
 * Health all send their events to EventBridge, each in its own shape. Each {@link OperationalEvent}
 * route picks events of one service with typed filters and turns them into a sentence built from
 * the event's own fields; the construct makes one rule per route that sends that sentence to the
 * notification topic (through `addEventNotification`, so an encrypted topic works). With a chat
 * channel, the same rules also post each sentence, as an Amazon Q Developer custom notification,
 * to a Slack or Microsoft Teams channel through a second topic; the channel's role holds no
 * permission and its guardrail denies every action unless you pass your own.
 */
import { Names } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { addEventNotification } from '../core/event-notification';
import { allowServiceOnTopicKey, NotificationTopic } from '../core/notification-topic';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';
import { ChatChannel, ChatPlatform } from './chat-channel';
import { OperationalEvent } from './operational-event';

/** Props for {@link OperationalEventRouting}. */
export interface OperationalEventRoutingProps {
  /** The events to route, one rule each. At least one. */
  readonly routes: OperationalEvent[];

  /**
   * Where a person is told: each matched event arrives as a sentence.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * A Slack or Microsoft Teams channel that also receives every message, through Amazon Q
   * Developer in chat applications.
   * @default - no chat channel
   */
  readonly chatChannel?: ChatChannel;
}

/** The Slack ids CloudFormation accepts (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-chatbot-slackchannelconfiguration.html). */
const SLACK_WORKSPACE_ID = /^[0-9A-Z]{1,255}$/;
const SLACK_CHANNEL_ID = /^[A-Za-z0-9]{1,256}$/;
/** The Teams ids (docs.aws.amazon.com/chatbot/latest/APIReference/API_TeamsChannelConfiguration.html). */
const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
const TEAMS_CHANNEL_ID = /^[a-zA-Z0-9-_=+/.,]*%3[aA][a-zA-Z0-9-_=+/.,]*%40[a-zA-Z0-9-_=+/.,]*$/;
/** Configuration names: letters, digits, `-` and `_`, 1 to 128. */
const CONFIGURATION_NAME = /^[A-Za-z0-9-_]{1,128}$/;

/**
 * RSP-4: routes the operational events of Auto Scaling, CodeBuild, CodeDeploy, CodePipeline, ECS,
 * RDS, AWS Config, GuardDuty and AWS Health to SNS as readable messages, and optionally to a Slack
 * or Teams channel.
 *
 * ```ts
 * new OperationalEventRouting(this, 'Ops', {
 *   routes: [OperationalEvent.codePipeline(), OperationalEvent.guardDuty({ minSeverity: 7 })],
 *   chatChannel: ChatChannel.slack({ workspaceId: 'T0123ABCD', channelId: 'C0123ABCDEF' }),
 * });
 * ```
 */
export class OperationalEventRouting extends Construct {
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;
  /** One rule per route, in the order of the routes. */
  public readonly rules: events.Rule[] = [];
  /** The topic the chat channel subscribes to (custom notifications), when there is a channel. */
  public readonly chatTopic?: sns.ITopic;
  /**
   * The role Amazon Q Developer assumes for the channel, when there is a channel. It holds no
   * permission: grant to it what people may do from the channel (within the guardrails).
   */
  public readonly chatRole?: iam.IRole;
  /** The chat configuration (`AWS::Chatbot::SlackChannelConfiguration` or `...MicrosoftTeamsChannelConfiguration`). */
  public readonly chatConfiguration?: IConstruct;

  constructor(scope: Construct, id: string, props: OperationalEventRoutingProps) {
    super(scope, id);
    const check = new PropsCheck(this, 'OperationalEventRouting');
    check.require(props.routes.length > 0, 'routes must list at least one route: an empty list routes no event to anyone');
    for (const route of props.routes) for (const problem of route._problems) check.add(problem);
    if (props.chatChannel) checkChatChannel(check, props.chatChannel);
    check.throwIfAny();

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: 'Operational events',
    }).topic;

    if (props.chatChannel) {
      // A chat channel shows only notifications it can render; text of our own must come as an
      // Amazon Q Developer custom notification (JSON), which would be unreadable by e-mail, so the
      // channel gets a topic of its own (docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html).
      this.chatTopic = new NotificationTopic(this, 'ChatNotifications', { displayName: 'Operational events (chat)' }).topic;
      const chat = this.createChatConfiguration(props.chatChannel, this.chatTopic);
      this.chatRole = chat.role;
      this.chatConfiguration = chat.configuration;
    }

    const used = new Map<string, number>();
    for (const route of props.routes) {
      const n = (used.get(route.name) ?? 0) + 1;
      used.set(route.name, n);
      const rule = new events.Rule(this, n === 1 ? route.name : `${route.name}${n}`, {
        description: `${route.description} (${this.node.path})`.slice(0, 512),
        eventPattern: route.eventPattern,
      });
      addEventNotification(rule, this.notificationTopic, route.message);
      if (this.chatTopic) {
        // The custom notification schema: version 1.0, source "custom", content title and
        // description (docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html#event-schema).
        // EventBridge escapes the event's values placed inside JSON strings of the template
        // (docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
        rule.addTarget(new targets.SnsTopic(this.chatTopic, {
          message: events.RuleTargetInput.fromObject({
            version: '1.0',
            source: 'custom',
            content: { title: route.title, description: route.message },
          }),
        }));
        allowServiceOnTopicKey(this.chatTopic, 'events.amazonaws.com');
      }
      this.rules.push(rule);
    }
  }

  private createChatConfiguration(channel: ChatChannel, topic: sns.ITopic): { role: iam.IRole; configuration: IConstruct } {
    const options = channel.options;
    const role = new ServiceRole(this, 'ChatRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: `Amazon Q Developer chat channel of ${this.node.path}: notifications only until granted more`.slice(0, 1000),
    });
    const guardrails = options.guardrailPolicies ?? [new iam.ManagedPolicy(this, 'ChatGuardrail', {
      description: `Guardrail of the chat channel of ${this.node.path}: no action may be run from the channel`.slice(0, 1000),
      statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['*'], resources: ['*'] })],
    })];
    const configurationName = options.configurationName
      ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-', allowedSpecialCharacters: '-_' });
    const loggingLevel = options.loggingLevel ?? chatbot.LoggingLevel.NONE;

    if (channel.platform === ChatPlatform.SLACK) {
      const slack = channel.slackOptions!;
      const configuration = new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: configurationName,
        slackWorkspaceId: slack.workspaceId,
        slackChannelId: slack.channelId,
        role,
        guardrailPolicies: guardrails,
        notificationTopics: [topic],
        loggingLevel,
      });
      return { role, configuration };
    }
    const teams = channel.microsoftTeamsOptions!;
    const configuration = new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, 'MicrosoftTeams', {
      configurationName,
      teamId: teams.teamId,
      teamsTenantId: teams.tenantId,
      teamsChannelId: teams.channelId,
      iamRoleArn: role.roleArn,
      guardrailPolicies: guardrails.map((p) => p.managedPolicyArn),
      snsTopicArns: [topic.topicArn],
      loggingLevel,
    });
    return { role, configuration };
  }
}

/** The ids CloudFormation accepts, and a name within the limit; tokens are left to deploy time. */
function checkChatChannel(check: PropsCheck, channel: ChatChannel): void {
  const name = channel.options.configurationName;
  check.matches('chatChannel.configurationName', name, CONFIGURATION_NAME, 'letters, digits, - and _ (at most 128)');
  if (channel.platform === ChatPlatform.SLACK) {
    const slack = channel.slackOptions!;
    check.matches('chatChannel.workspaceId', slack.workspaceId, SLACK_WORKSPACE_ID, 'a Slack workspace id (upper-case letters and digits, from the Amazon Q Developer console)');
    check.matches('chatChannel.channelId', slack.channelId, SLACK_CHANNEL_ID, 'a Slack channel id (letters and digits)');
  } else {
    const teams = channel.microsoftTeamsOptions!;
    check.matches('chatChannel.teamId', teams.teamId, UUID, 'a Microsoft Teams team id (a UUID, from the Amazon Q Developer console)');
    check.matches('chatChannel.tenantId', teams.tenantId, UUID, 'a Microsoft Entra tenant id (a UUID)');
    check.matches('chatChannel.channelId', teams.channelId, TEAMS_CHANNEL_ID, 'a URL-encoded Teams channel id such as 19%3a...%40thread.tacv2');
  }
}
