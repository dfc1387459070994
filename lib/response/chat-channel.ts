/**
 * RSP-4: the chat channel of {@link OperationalEventRouting}: a Slack or Microsoft Teams channel
 * of Amazon Q Developer in chat applications (formerly AWS Chatbot). The workspace or team must be
 * authorized in the Amazon Q Developer console first: that OAuth step has no API and no
 * CloudFormation resource, so its ids are inputs here.
 */
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';

/** The chat applications Amazon Q Developer delivers to. */
export enum ChatPlatform {
  /** Slack. */
  SLACK = 'SLACK',
  /** Microsoft Teams. */
  MICROSOFT_TEAMS = 'MICROSOFT_TEAMS',
}

/** What every chat channel takes. */
export interface ChatChannelOptions {
  /**
   * The name of the chat configuration: letters, digits, `-` and `_`, at most 128
   * (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-chatbot-slackchannelconfiguration.html).
   * Configurations are global resources of the account: the name must be unique in the account,
   * in every region.
   * @default - a name made from the construct path, unique per stack
   */
  readonly configurationName?: string;

  /**
   * The channel guardrails: the most any command run from the channel may do, whatever the
   * channel role allows. Amazon Q Developer applies `AdministratorAccess` when none is given
   * (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-chatbot-slackchannelconfiguration.html#cfn-chatbot-slackchannelconfiguration-guardrailpolicies), so one is
   * always set.
   * @default - a policy that denies every action: the channel only receives notifications
   */
  readonly guardrailPolicies?: iam.IManagedPolicy[];

  /**
   * What Amazon Q Developer logs to CloudWatch Logs (group `/aws/chatbot/<configuration name>`
   * in us-east-1, which the service creates with no expiry).
   * @default chatbot.LoggingLevel.NONE
   */
  readonly loggingLevel?: chatbot.LoggingLevel;
}

/** A Slack channel. */
export interface SlackChatChannelOptions extends ChatChannelOptions {
  /**
   * The id of the Slack workspace authorized in the Amazon Q Developer console (`T...`, upper-case
   * letters and digits).
   */
  readonly workspaceId: string;
  /** The id of the Slack channel (the letters and digits at the end of the channel's link). */
  readonly channelId: string;
}

/** A Microsoft Teams channel. */
export interface MicrosoftTeamsChatChannelOptions extends ChatChannelOptions {
  /** The id of the team authorized in the Amazon Q Developer console (a UUID). */
  readonly teamId: string;
  /** The id of the Microsoft Entra tenant of the team (a UUID). */
  readonly tenantId: string;
  /**
   * The id of the channel, URL-encoded as the channel's link shows it
   * (`19%3a...%40thread.tacv2`).
   */
  readonly channelId: string;
}

/**
 * Where {@link OperationalEventRouting} also posts each message: a Slack or a Microsoft Teams
 * channel of Amazon Q Developer in chat applications.
 *
 * ```ts
 * ChatChannel.slack({ workspaceId: 'T0123ABCD', channelId: 'C0123ABCDEF' });
 * ```
 */
export class ChatChannel {
  /** A Slack channel of a workspace authorized in the Amazon Q Developer console. */
  public static slack(options: SlackChatChannelOptions): ChatChannel {
    return new ChatChannel(ChatPlatform.SLACK, options, undefined);
  }

  /** A Microsoft Teams channel of a team authorized in the Amazon Q Developer console. */
  public static microsoftTeams(options: MicrosoftTeamsChatChannelOptions): ChatChannel {
    return new ChatChannel(ChatPlatform.MICROSOFT_TEAMS, undefined, options);
  }

  /** The chat application. */
  public readonly platform: ChatPlatform;
  /** The Slack channel, when the platform is Slack. */
  public readonly slackOptions?: SlackChatChannelOptions;
  /** The Teams channel, when the platform is Microsoft Teams. */
  public readonly microsoftTeamsOptions?: MicrosoftTeamsChatChannelOptions;

  private constructor(platform: ChatPlatform, slack: SlackChatChannelOptions | undefined, teams: MicrosoftTeamsChatChannelOptions | undefined) {
    this.platform = platform;
    this.slackOptions = slack;
    this.microsoftTeamsOptions = teams;
  }

  /** The options every platform shares. */
  public get options(): ChatChannelOptions {
    return (this.slackOptions ?? this.microsoftTeamsOptions)!;
  }
}
