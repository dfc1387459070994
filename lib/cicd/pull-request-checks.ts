/**
 * CICD-2 PullRequestChecks: unit tests on every CodeCommit pull request, required for merging.
 *
 * A pull request that is created, or whose source branch is updated, raises an EventBridge event;
 * the rule starts a CodeBuild run on the pull request's source commit (the CodeBuild target with
 * an input transformer, no Lambda). The build itself reports back: its `post_build` phase posts a
 * comment on the pull request and approves it when the tests pass, with the AWS CLI and a role
 * granted exactly those two actions on this repository. An approval rule template (created by a
 * custom resource, as CloudFormation has none) makes that approval a requirement on pull requests
 * into the target branches. Pushes reach an SNS topic (repository triggers), and three managed
 * policies scoped to this repository match AWSCodeCommitReadOnly / PowerUser / FullAccess, the
 * power-user one denying pushes, merges and deletes on protected branches.
 */
import * as path from 'path';
import { CustomResource, Duration, Names, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SecureBuildProject } from '../core/build-project';
import { addEventNotification } from '../core/event-notification';
import { NotificationTopic } from '../core/notification-topic';
import { ServiceRole } from '../core/service-role';
import { SharedProvider } from '../core/shared-provider';
import { checkReservedConcurrency } from '../core/reserved-concurrency';
import { PropsCheck } from '../core/validation';

/**
 * Props for {@link PullRequestChecks}.
 */
export interface PullRequestChecksProps {
  /**
   * An existing repository to check. Give either this or `repositoryName`.
   * @default - a new repository named `repositoryName`
   */
  readonly repository?: codecommit.IRepository;

  /**
   * The name of a new repository to create. Give either this or `repository`.
   * @default - none; `repository` is used
   */
  readonly repositoryName?: string;

  /**
   * The commands that run the unit tests (the buildspec's `build` phase). Give these or
   * `buildSpec`.
   * @default - none
   */
  readonly testCommands?: string[];

  /**
   * Commands that prepare the build (the `install` phase), used with `testCommands`.
   * @default - none
   */
  readonly installCommands?: string[];

  /**
   * A complete inline buildspec (`BuildSpec.fromObject`) instead of `testCommands`. The
   * construct adds its `post_build` commands that report back to the pull request. A buildspec
   * file in the repository cannot be used: the reporting commands could not be added to it.
   * @default - built from `installCommands` and `testCommands`
   */
  readonly buildSpec?: codebuild.BuildSpec;

  /**
   * The build image.
   * @default codebuild.LinuxBuildImage.STANDARD_7_0
   */
  readonly buildImage?: codebuild.IBuildImage;

  /**
   * How long one test run may take.
   * @default Duration.minutes(30)
   */
  readonly buildTimeout?: Duration;

  /**
   * Pull requests into these branches are tested and need the test run's approval.
   * @default ['main']
   */
  readonly targetBranches?: string[];

  /**
   * Deny pushes, merges and deletes on `protectedBranches` in the power-user policy.
   * @default true
   */
  readonly branchProtection?: boolean;

  /**
   * The branches the power-user policy protects.
   * @default - the target branches
   */
  readonly protectedBranches?: string[];

  /**
   * The name of the approval rule template (unique in the account and region).
   * @default - derived from the construct path
   */
  readonly approvalRuleTemplateName?: string;

  /**
   * Where push events go. A topic passed in must already let CodeCommit (and EventBridge, for an
   * existing repository) use its key.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * The key that encrypts build artifacts and the build's cache.
   * @default - a new customer managed key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long the build logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Concurrency reserved for each of the two Lambda functions of the custom resource that
   * manages the approval rule template (its handler and the provider framework), a positive
   * whole number. Opt-in, because Lambda refuses a reservation that leaves fewer than 100 of the
   * account's concurrent executions unreserved, so it fails the deployment in accounts with a low
   * concurrency quota, such as new accounts. The provider is shared by every PullRequestChecks of
   * the stack, so they must all ask for the same value.
   * @default - none; the functions run within the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

/** CodeCommit actions that read a repository (AWSCodeCommitReadOnly, limited to one repository). */
const READ_ACTIONS = [
  'BatchDescribeMergeConflicts', 'BatchGetCommits', 'BatchGetPullRequests', 'BatchGetRepositories',
  'DescribeMergeConflicts', 'DescribePullRequestEvents', 'EvaluatePullRequestApprovalRules',
  'GetBlob', 'GetBranch', 'GetComment', 'GetCommentReactions', 'GetCommentsForComparedCommit',
  'GetCommentsForPullRequest', 'GetCommit', 'GetDifferences', 'GetFile', 'GetFolder', 'GetMergeCommit',
  'GetMergeConflicts', 'GetMergeOptions', 'GetPullRequest', 'GetPullRequestApprovalStates',
  'GetPullRequestOverrideState', 'GetRepository', 'GetRepositoryTriggers', 'GitPull',
  'ListAssociatedApprovalRuleTemplatesForRepository', 'ListBranches', 'ListFileCommitHistory',
  'ListPullRequests', 'ListTagsForResource',
];

/** Day-to-day work on a repository (AWSCodeCommitPowerUser, limited to one repository). */
const WRITE_ACTIONS = [
  'CreateBranch', 'CreateCommit', 'CreatePullRequest', 'CreatePullRequestApprovalRule',
  'CreateUnreferencedMergeCommit', 'DeleteBranch', 'DeleteCommentContent', 'DeleteFile',
  'DeletePullRequestApprovalRule', 'GitPush', 'MergeBranchesByFastForward', 'MergeBranchesBySquash',
  'MergeBranchesByThreeWay', 'MergePullRequestByFastForward', 'MergePullRequestBySquash',
  'MergePullRequestByThreeWay', 'PostCommentForComparedCommit', 'PostCommentForPullRequest',
  'PostCommentReply', 'PutCommentReaction', 'PutFile', 'PutRepositoryTriggers', 'TestRepositoryTriggers',
  'UpdateComment', 'UpdateDefaultBranch', 'UpdatePullRequestApprovalRuleContent',
  'UpdatePullRequestApprovalState', 'UpdatePullRequestDescription', 'UpdatePullRequestStatus',
  'UpdatePullRequestTitle', 'UpdateRepositoryDescription',
];

/** Administration of the repository itself (the rest of AWSCodeCommitFullAccess for one repository). */
const ADMIN_ACTIONS = [
  'AssociateApprovalRuleTemplateWithRepository', 'DeleteRepository',
  'DisassociateApprovalRuleTemplateFromRepository', 'OverridePullRequestApprovalRules',
  'TagResource', 'UntagResource', 'UpdateRepositoryEncryptionKey', 'UpdateRepositoryName',
];

/** The actions that change a branch, denied on protected branches (as in the CodeCommit user guide). */
const BRANCH_CHANGING_ACTIONS = [
  'GitPush', 'DeleteBranch', 'PutFile',
  'MergeBranchesByFastForward', 'MergeBranchesBySquash', 'MergeBranchesByThreeWay',
  'MergePullRequestByFastForward', 'MergePullRequestBySquash', 'MergePullRequestByThreeWay',
];

/** The two actions the test run uses to report back to the pull request. */
const REPORT_ACTIONS = ['codecommit:PostCommentForPullRequest', 'codecommit:UpdatePullRequestApprovalState'];

const cc = (actions: string[]): string[] => actions.map((a) => `codecommit:${a}`);

/**
 * CICD-2: unit tests on every CodeCommit pull request, whose passing run is a required approval.
 *
 * ```ts
 * new PullRequestChecks(this, 'Checks', {
 *   repositoryName: 'service',
 *   installCommands: ['npm ci'],
 *   testCommands: ['npm test'],
 * });
 * ```
 */
export class PullRequestChecks extends Construct {
  /** The repository whose pull requests are checked. */
  public readonly repository: codecommit.IRepository;
  /** The CodeBuild project that runs the unit tests and reports back. */
  public readonly project: codebuild.Project;
  /** The role of the test runs; it is the approval pool of the approval rule template. */
  public readonly buildRole: ServiceRole;
  /** The EventBridge rule on pull request events that starts the test run. */
  public readonly pullRequestRule: events.Rule;
  /** The approval rule template (a custom resource). */
  public readonly approvalRuleTemplate: CustomResource;
  /** The name of the approval rule template. */
  public readonly approvalRuleTemplateName: string;
  /** Where push events go. */
  public readonly notificationTopic: sns.ITopic;
  /** Read-only access to this repository (AWSCodeCommitReadOnly in spirit). */
  public readonly readOnlyPolicy: iam.ManagedPolicy;
  /** Day-to-day access to this repository, protected branches excepted (AWSCodeCommitPowerUser in spirit). */
  public readonly powerUserPolicy: iam.ManagedPolicy;
  /** Full control of this repository (AWSCodeCommitFullAccess in spirit). */
  public readonly fullAccessPolicy: iam.ManagedPolicy;
  /** The log group of the test runs. */
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: PullRequestChecksProps) {
    super(scope, id);
    const targetBranches = props.targetBranches ?? ['main'];
    const branchProtection = props.branchProtection ?? true;
    const protectedBranches = props.protectedBranches ?? targetBranches;

    const check = new PropsCheck(this, 'PullRequestChecks');
    check.require((props.repository === undefined) !== (props.repositoryName === undefined),
      'give exactly one of repository (an existing repository) and repositoryName (a new one)');
    const hasCommands = (props.testCommands ?? []).length > 0;
    check.require(hasCommands || props.buildSpec !== undefined,
      'the test project has no buildspec: set testCommands (the commands that run the unit tests) or buildSpec');
    check.require(!(hasCommands && props.buildSpec), 'set testCommands or buildSpec, not both');
    if (props.buildSpec && !props.buildSpec.isImmediate) {
      check.add('buildSpec must be inline (BuildSpec.fromObject): a buildspec file in the repository cannot carry the commands that report back to the pull request');
    }
    check.require(targetBranches.length > 0, 'targetBranches is empty: no pull request would be tested');
    if (branchProtection) {
      check.require(protectedBranches.length > 0,
        'branchProtection is on but protectedBranches is empty: name the branches to protect, or set branchProtection to false');
    }
    for (const branch of [...targetBranches, ...protectedBranches]) {
      check.require(/^[^\s~^:?*[\\]+$/.test(branch) && !branch.startsWith('refs/'),
        `"${branch}" is not a branch name (give it without refs/heads/)`);
    }
    checkReservedConcurrency(check, props.reservedConcurrentExecutions);
    check.throwIfAny();

    const stack = Stack.of(this);

    // The repository: a new one carries its push triggers; for an existing one, CloudFormation
    // cannot add triggers, so its push events reach the topic through EventBridge instead.
    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: `Repository events of ${this.node.path}`,
      publishingServices: ['events.amazonaws.com', 'codecommit.amazonaws.com'],
    }).topic;
    if (props.repositoryName !== undefined) {
      const repository = new codecommit.Repository(this, 'Repository', {
        repositoryName: props.repositoryName,
        description: `Pull requests into ${targetBranches.join(', ')} need passing unit tests (${this.node.path}).`,
      });
      repository.notify(this.notificationTopic.topicArn, {
        name: 'push-events',
        events: [codecommit.RepositoryEventTrigger.UPDATE_REF, codecommit.RepositoryEventTrigger.CREATE_REF, codecommit.RepositoryEventTrigger.DELETE_REF],
      });
      this.notificationTopic.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'CodeCommitTriggers',
        principals: [new iam.ServicePrincipal('codecommit.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.notificationTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ArnEquals: { 'aws:SourceArn': repository.repositoryArn } },
      }));
      this.repository = repository;
    } else {
      this.repository = props.repository!;
      const pushEvents = this.repository.onStateChange('PushEvents', {
        description: `Push events of ${this.repository.repositoryName} (${this.node.path})`,
        eventPattern: { detail: { event: ['referenceCreated', 'referenceUpdated', 'referenceDeleted'] } },
      });
      const detail = (name: string) => events.EventField.fromPath(`$.detail.${name}`);
      addEventNotification(pushEvents, this.notificationTopic,
        `${detail('event')} of ${detail('referenceFullName')} in ${detail('repositoryName')} (commit ${detail('commitId')}).`);
    }

    // The test run.
    const testSpec = props.buildSpec ?? codebuild.BuildSpec.fromObject({
      version: '0.2',
      phases: {
        ...(props.installCommands?.length ? { install: { commands: props.installCommands } } : {}),
        build: { commands: props.testCommands },
      },
    });
    const build = new SecureBuildProject(this, 'UnitTests', {
      description: `Unit tests of pull requests into ${targetBranches.join(', ')} of ${this.repository.repositoryName}, which approve them (${this.node.path})`,
      source: codebuild.Source.codeCommit({ repository: this.repository }),
      buildSpec: codebuild.mergeBuildSpecs(testSpec, reportBackSpec()),
      buildImage: props.buildImage,
      environmentVariables: { REPOSITORY_NAME: { value: this.repository.repositoryName } },
      encryptionKey: props.encryptionKey,
      timeout: props.buildTimeout,
      logRetention: props.logRetention,
    });
    this.project = build.project;
    this.buildRole = build.role;
    this.logGroup = build.logGroup;
    // Exactly the two actions that report back, on this repository only.
    this.repository.grant(this.buildRole, ...REPORT_ACTIONS);

    // Pull request created or source branch updated -> a build of the pull request's commit.
    const field = (name: string) => events.EventField.fromPath(`$.detail.${name}`);
    const eventRole = new ServiceRole(this, 'StartBuildRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `Starts the unit tests of ${this.node.path} on pull request events`,
    });
    this.pullRequestRule = this.repository.onPullRequestStateChange('PullRequestEvents', {
      description: `Unit tests on pull requests into ${targetBranches.join(', ')} (${this.node.path})`,
      eventPattern: {
        detail: {
          event: ['pullRequestCreated', 'pullRequestSourceBranchUpdated'],
          destinationReference: targetBranches.map((b) => `refs/heads/${b}`),
        },
      },
    });
    this.pullRequestRule.addTarget(new targets.CodeBuildProject(this.project, {
      eventRole,
      event: events.RuleTargetInput.fromObject({
        sourceVersion: field('sourceCommit'),
        environmentVariablesOverride: [
          { name: 'PR_ID', value: field('pullRequestId'), type: 'PLAINTEXT' },
          { name: 'PR_REVISION_ID', value: field('revisionId'), type: 'PLAINTEXT' },
          { name: 'PR_SOURCE_COMMIT', value: field('sourceCommit'), type: 'PLAINTEXT' },
          { name: 'PR_DESTINATION_COMMIT', value: field('destinationCommit'), type: 'PLAINTEXT' },
        ],
      }),
    }));

    // The approval rule template: one approval from the test runs' role, on pull requests into
    // the target branches. CloudFormation has no resource for it.
    this.approvalRuleTemplateName = props.approvalRuleTemplateName
      ?? `${Names.uniqueResourceName(this, { maxLength: 80, separator: '-' })}-unit-tests`;
    const content = stack.toJsonString({
      Version: '2018-11-08',
      DestinationReferences: targetBranches.map((b) => `refs/heads/${b}`),
      Statements: [{
        Type: 'Approvers',
        NumberOfApprovalsNeeded: 1,
        ApprovalPoolMembers: [`arn:${stack.partition}:sts::${stack.account}:assumed-role/${this.buildRole.roleName}/*`],
      }],
    });
    const provider = SharedProvider.of(this, {
      resourceType: 'CodeCommitApprovalRuleTemplate',
      handlerDir: path.join(__dirname, 'handlers', 'approval-rule-template'),
      description: 'Manages the CodeCommit approval rule templates of the PullRequestChecks in this stack',
      timeout: Duration.minutes(2),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    });
    provider.grant([new iam.PolicyStatement({
      actions: cc(['CreateApprovalRuleTemplate', 'UpdateApprovalRuleTemplateContent', 'UpdateApprovalRuleTemplateDescription', 'DeleteApprovalRuleTemplate']),
      resources: ['*'],
    })], 'CodeCommit approval rule template actions (Create, UpdateContent, UpdateDescription, Delete ApprovalRuleTemplate) have no resource-level permissions, so they must name every resource; associations are limited to the repositories of the PullRequestChecks in this stack.');
    this.repository.grant(provider.handler.role, 'codecommit:AssociateApprovalRuleTemplateWithRepository', 'codecommit:DisassociateApprovalRuleTemplateFromRepository');
    this.approvalRuleTemplate = provider.resource(this, 'ApprovalRuleTemplate', {
      TemplateName: this.approvalRuleTemplateName,
      TemplateDescription: `Pull requests need a passing unit test run of ${this.project.projectName}`,
      TemplateContent: content,
      RepositoryNames: [this.repository.repositoryName],
    });
    // The handler needs its permissions, this repository's association included, when it runs.
    this.approvalRuleTemplate.node.addDependency(provider.handler.role.grantsDependable);

    // Repository-scoped access policies.
    const repositoryArn = this.repository.repositoryArn;
    this.readOnlyPolicy = new iam.ManagedPolicy(this, 'ReadOnlyPolicy', {
      description: `Read-only access to the CodeCommit repository ${this.repository.repositoryName}`,
      statements: [new iam.PolicyStatement({ sid: 'ReadRepository', actions: cc(READ_ACTIONS), resources: [repositoryArn] })],
    });
    const powerUser = [
      new iam.PolicyStatement({ sid: 'ReadRepository', actions: cc(READ_ACTIONS), resources: [repositoryArn] }),
      new iam.PolicyStatement({ sid: 'WorkOnRepository', actions: cc(WRITE_ACTIONS), resources: [repositoryArn] }),
    ];
    if (branchProtection) {
      powerUser.push(new iam.PolicyStatement({
        sid: 'DenyChangesToProtectedBranches',
        effect: iam.Effect.DENY,
        actions: cc(BRANCH_CHANGING_ACTIONS),
        resources: [repositoryArn],
        conditions: {
          StringEqualsIfExists: { 'codecommit:References': protectedBranches.map((b) => `refs/heads/${b}`) },
          Null: { 'codecommit:References': 'false' },
        },
      }));
    }
    this.powerUserPolicy = new iam.ManagedPolicy(this, 'PowerUserPolicy', {
      description: `Day-to-day access to the CodeCommit repository ${this.repository.repositoryName}${branchProtection ? `; no pushes, merges or deletes on ${protectedBranches.join(', ')}` : ''}`,
      statements: powerUser,
    });
    this.fullAccessPolicy = new iam.ManagedPolicy(this, 'FullAccessPolicy', {
      description: `Full control of the CodeCommit repository ${this.repository.repositoryName}, including merges into protected branches`,
      statements: [new iam.PolicyStatement({ sid: 'AdministerRepository', actions: cc([...READ_ACTIONS, ...WRITE_ACTIONS, ...ADMIN_ACTIONS]), resources: [repositoryArn] })],
    });
  }
}

/**
 * The `post_build` phase that reports the result to the pull request with the AWS CLI: a comment
 * with the result and a link to the build, and the approval when the tests passed (revoked when
 * they failed, in case an earlier run of the same revision approved it). Builds started without
 * a pull request (by hand) skip it.
 */
function reportBackSpec(): codebuild.BuildSpec {
  return codebuild.BuildSpec.fromObject({
    version: '0.2',
    phases: {
      post_build: {
        commands: [[
          'if [ -z "${PR_ID:-}" ]; then',
          '  echo "Not started by a pull request: nothing to report."',
          'else',
          '  if [ "$CODEBUILD_BUILD_SUCCEEDING" = "1" ]; then RESULT=passed; STATE=APPROVE; else RESULT=failed; STATE=REVOKE; fi',
          '  aws codecommit post-comment-for-pull-request --repository-name "$REPOSITORY_NAME" --pull-request-id "$PR_ID" --before-commit-id "$PR_DESTINATION_COMMIT" --after-commit-id "$PR_SOURCE_COMMIT" --content "Unit tests ${RESULT} on commit ${PR_SOURCE_COMMIT}: ${CODEBUILD_BUILD_URL}"',
          '  aws codecommit update-pull-request-approval-state --pull-request-id "$PR_ID" --revision-id "$PR_REVISION_ID" --approval-state "$STATE" || [ "$STATE" = "REVOKE" ]',
          'fi',
        ].join('\n')],
      },
    },
  });
}
