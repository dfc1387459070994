/**
 * CICD-3 GitHubWebhookBuild: a CodeBuild project that GitHub starts through a webhook.
 *
 * GitHub calls the CodeBuild webhook on pushes and pull requests; filter groups decide which of
 * them start a build (pushes to the given branches, pull requests into them that are created,
 * updated or reopened). The project reports its status back to GitHub, shows a build badge,
 * encrypts its artifacts with a customer managed key and writes its logs to an encrypted log
 * group with retention. Build state changes reach an SNS topic through EventBridge, and a
 * CloudWatch dashboard shows the project's CodeBuild metrics (builds, duration, succeeded,
 * failed). The GitHub credentials (`GitHubSourceCredentials` or a CodeConnections connection set
 * as the account's source credential) are needed at deployment only; synth needs none.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SecureBuildProject } from '../core/build-project';
import { addEventNotification } from '../core/event-notification';
import { NotificationTopic } from '../core/notification-topic';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';

/**
 * Props for {@link GitHubWebhookBuild}.
 */
export interface GitHubWebhookBuildProps {
  /** The GitHub user or organization that owns the repository. */
  readonly owner: string;

  /** The GitHub repository name. */
  readonly repo: string;

  /**
   * Regular expressions of branch names whose pushes start a build (`main`, `release/.*`). Each
   * is matched against the whole branch name (the construct anchors it as `^refs/heads/<re>$`),
   * so give it without `^`, `$` or `refs/heads/`. An empty list turns push builds off.
   * @default ['main']
   */
  readonly pushBranches?: string[];

  /**
   * Regular expressions of the base branches of pull requests that start a build when they are
   * created, updated or reopened, matched like `pushBranches`. An empty list turns pull request
   * builds off.
   * @default - the push branches
   */
  readonly pullRequestBaseBranches?: string[];

  /**
   * Webhook filter groups to use instead of the ones built from `pushBranches` and
   * `pullRequestBaseBranches`.
   * @default - built from the branch lists
   */
  readonly filterGroups?: codebuild.FilterGroup[];

  /**
   * The buildspec.
   * @default - `buildspec.yml` at the root of the repository
   */
  readonly buildSpec?: codebuild.BuildSpec;

  /**
   * The build image.
   * @default codebuild.LinuxBuildImage.STANDARD_7_0
   */
  readonly buildImage?: codebuild.IBuildImage;

  /**
   * How long one build may take.
   * @default Duration.minutes(30)
   */
  readonly buildTimeout?: Duration;

  /**
   * The key that encrypts build artifacts and cache.
   * @default - a new customer managed key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Where build state changes go.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * How long build logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The dashboard's name.
   * @default - generated
   */
  readonly dashboardName?: string;
}

/**
 * CICD-3: a CodeBuild project built by GitHub webhooks, with badge, encrypted logs, build state
 * notifications and a metrics dashboard.
 *
 * ```ts
 * new GitHubWebhookBuild(this, 'Build', { owner: 'my-org', repo: 'service', pushBranches: ['main'] });
 * ```
 */
export class GitHubWebhookBuild extends Construct {
  /** The CodeBuild project. */
  public readonly project: codebuild.Project;
  /** The project's role. */
  public readonly role: ServiceRole;
  /** The build log group. */
  public readonly logGroup: logs.ILogGroup;
  /** Where build state changes go. */
  public readonly notificationTopic: sns.ITopic;
  /** The EventBridge rule on build state changes. */
  public readonly buildStateRule: events.Rule;
  /** The dashboard of the project's CodeBuild metrics. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: GitHubWebhookBuildProps) {
    super(scope, id);
    const pushBranches = props.pushBranches ?? ['main'];
    const prBranches = props.pullRequestBaseBranches ?? pushBranches;

    const check = new PropsCheck(this, 'GitHubWebhookBuild');
    check.require(props.owner.length > 0 && props.repo.length > 0, 'owner and repo must name a GitHub repository');
    for (const [name, patterns] of [['pushBranches', pushBranches], ['pullRequestBaseBranches', prBranches]] as const) {
      for (const pattern of patterns) {
        try {
          new RegExp(pattern);
          check.require(!pattern.startsWith('^') && !pattern.endsWith('$') && !pattern.startsWith('refs/'),
            `${name}: "${pattern}" must be a branch-name expression without ^, $ or refs/heads/ (the construct anchors it)`);
        } catch (error) {
          check.add(`${name}: "${pattern}" is not a valid regular expression (${(error as Error).message})`);
        }
      }
    }
    const ref = (branch: string) => `^refs/heads/${branch}$`;
    const filterGroups = props.filterGroups ?? [
      ...pushBranches.map((b) => codebuild.FilterGroup.inEventOf(codebuild.EventAction.PUSH).andHeadRefIs(ref(b))),
      ...prBranches.map((b) => codebuild.FilterGroup.inEventOf(
        codebuild.EventAction.PULL_REQUEST_CREATED, codebuild.EventAction.PULL_REQUEST_UPDATED, codebuild.EventAction.PULL_REQUEST_REOPENED,
      ).andBaseRefIs(ref(b))),
    ];
    check.require(filterGroups.length > 0,
      'the webhook has no filter group, so it would build every push and pull request event: give pushBranches, pullRequestBaseBranches or filterGroups');
    check.throwIfAny();

    const build = new SecureBuildProject(this, 'Project', {
      description: `Webhook builds of github.com/${props.owner}/${props.repo} (${this.node.path})`,
      source: codebuild.Source.gitHub({
        owner: props.owner,
        repo: props.repo,
        webhook: true,
        webhookFilters: filterGroups,
        reportBuildStatus: true,
      }),
      badge: true,
      buildSpec: props.buildSpec ?? codebuild.BuildSpec.fromSourceFilename('buildspec.yml'),
      buildImage: props.buildImage,
      timeout: props.buildTimeout,
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
    });
    this.project = build.project;
    this.role = build.role;
    this.logGroup = build.logGroup;

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: `Build state of ${this.node.path}`,
      publishingServices: ['events.amazonaws.com'],
    }).topic;
    this.buildStateRule = this.project.onStateChange('BuildStateChange', { description: `Build state changes of ${this.node.path}` });
    addEventNotification(this.buildStateRule, this.notificationTopic,
      `Build ${events.EventField.fromPath('$.detail.build-id')} of ${events.EventField.fromPath('$.detail.project-name')} `
      + `is ${events.EventField.fromPath('$.detail.build-status')}.`);

    const period = Duration.minutes(5);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: [[
        new cloudwatch.GraphWidget({ title: 'Builds', left: [this.project.metricBuilds({ period })], width: 6 }),
        new cloudwatch.GraphWidget({ title: 'Duration', left: [this.project.metricDuration({ period, statistic: 'Average' })], width: 6 }),
        new cloudwatch.GraphWidget({ title: 'Succeeded builds', left: [this.project.metricSucceededBuilds({ period })], width: 6 }),
        new cloudwatch.GraphWidget({ title: 'Failed builds', left: [this.project.metricFailedBuilds({ period })], width: 6 }),
      ]],
    });
  }
}
