/**
 * CICD-1 ReleasePipeline: a CodePipeline (V2) from source to tested build to deployment.
 *
 * A change in CodeCommit reaches the pipeline through an EventBridge rule (never polling); a
 * GitHub repository reaches it through a CodeConnections connection, which pushes. CodeBuild runs
 * the tests and publishes their JUnit results to a report group; an optional manual approval
 * follows; the deploy stage hands the build output to a CodeDeploy server deployment group
 * ({@link ServerDeployment}, which stops and rolls back on alarm) and/or extracts it into S3
 * buckets, in this or other regions (each other region needs its artifact bucket, see
 * {@link ReleaseReplicationBucket}). The artifact bucket is versioned, KMS-encrypted and TLS-only.
 * An optional EventBridge schedule starts runs; every pipeline, stage, action and build state
 * change goes to an SNS topic through EventBridge. A custom action type can be registered for a
 * job worker.
 */
import { Duration, PhysicalName, Stack, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { acknowledge, acknowledgeWildcardAction, acknowledgeWildcardResource } from '../core/acknowledge';
import { EncryptedLogGroup } from '../core/log-group';
import { NotificationTopic } from '../core/notification-topic';
import { dataRemovalPolicy, isSandbox } from '../core/sandbox';
import { SecureBucket } from '../core/secure-bucket';
import { ServiceRole } from '../core/service-role';
import { acknowledgeProjectGrants } from './cicd-acknowledgements';
import { PropsCheck } from '../core/validation';
import { AppSpec } from './appspec';
import { ServerDeployment } from './server-deployment';

/** A GitHub repository reached through an AWS CodeConnections connection. */
export interface GitHubSourceOptions {
  /**
   * The ARN of the CodeConnections (formerly CodeStar Connections) connection, already authorized
   * in the console: `arn:<partition>:codeconnections:...` or the older
   * `arn:<partition>:codestar-connections:...`. The source action's role gets the `UseConnection`
   * action of the ARN's service prefix (both prefixes when the ARN is a token).
   */
  readonly connectionArn: string;
  /** The repository owner (user or organization). */
  readonly owner: string;
  /** The repository name. */
  readonly repo: string;
  /**
   * The branch that releases.
   * @default 'main'
   */
  readonly branch?: string;
}

/**
 * The IAM service prefixes a CodeConnections connection ARN can carry. AWS CodeStar Connections
 * was renamed AWS CodeConnections on 29 March 2024: connections created since (the console creates
 * them so from 1 July 2024) have `arn:<partition>:codeconnections:` ARNs, older ones keep
 * `arn:<partition>:codestar-connections:`, and "when specifying a resource in the IAM policy, the
 * service prefix needs to match that of the resource"
 * (https://docs.aws.amazon.com/dtconsole/latest/userguide/rename.html,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodeconnections.html).
 */
const CONNECTION_PREFIXES = ['codeconnections', 'codestar-connections'] as const;

/**
 * The `UseConnection` actions for `connectionArn`: the one of its service prefix, or both when the
 * prefix cannot be read at synth (a token), or none for an ARN of another service.
 */
function useConnectionActions(connectionArn: string): string[] {
  const service = connectionArn.split(':')[2];
  if (!connectionArn.startsWith('arn:') || service === undefined || Token.isUnresolved(service)) {
    return Token.isUnresolved(connectionArn) ? CONNECTION_PREFIXES.map((p) => `${p}:UseConnection`) : [];
  }
  return (CONNECTION_PREFIXES as readonly string[]).includes(service) ? [`${service}:UseConnection`] : [];
}

/**
 * The CodeStarSourceConnection source action of aws-cdk-lib, granting `UseConnection` with the
 * prefix of the connection's ARN. aws-cdk-lib 2.276's `CodeStarConnectionsSourceAction` grants
 * `codestar-connections:UseConnection` whatever the ARN, which does not match a `codeconnections`
 * connection; the rest (action type, artifact grants, configuration) is the same as its own.
 */
class ConnectionSourceAction extends actions.CodeStarConnectionsSourceAction {
  constructor(private readonly connectionProps: actions.CodeStarConnectionsSourceActionProps) {
    super(connectionProps);
  }

  protected bound(_scope: Construct, _stage: codepipeline.IStage, options: codepipeline.ActionBindOptions): codepipeline.ActionConfig {
    const p = this.connectionProps;
    options.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: useConnectionActions(p.connectionArn), resources: [p.connectionArn] }));
    options.bucket.grantReadWrite(options.role);
    options.bucket.grantPutAcl(options.role);
    return {
      configuration: {
        ConnectionArn: p.connectionArn,
        FullRepositoryId: `${p.owner}/${p.repo}`,
        BranchName: p.branch ?? 'master',
        DetectChanges: p.triggerOnPush,
      },
    };
  }
}

/** Where a {@link ReleasePipeline} takes its source from: CodeCommit or GitHub. */
export class ReleaseSource {
  /**
   * A CodeCommit repository; pushes to `branch` start the pipeline through an EventBridge rule.
   * @param repository the repository
   * @param branch the branch that releases (default 'main')
   */
  public static codeCommit(repository: codecommit.IRepository, branch?: string): ReleaseSource {
    return new ReleaseSource('CodeCommit', branch ?? 'main', repository, undefined);
  }

  /** A GitHub repository through a CodeConnections connection; pushes start the pipeline. */
  public static gitHub(options: GitHubSourceOptions): ReleaseSource {
    return new ReleaseSource('GitHub', options.branch ?? 'main', undefined, options);
  }

  /** The provider's name: `CodeCommit` or `GitHub`. */
  public readonly provider: string;
  /** The branch that releases. */
  public readonly branch: string;

  private constructor(provider: string, branch: string,
    private readonly repository: codecommit.IRepository | undefined,
    private readonly gitHubOptions: GitHubSourceOptions | undefined) {
    this.provider = provider;
    this.branch = branch;
  }

  /**
   * The problems with this source's options, for the pipeline's props check.
   * @internal
   */
  public _problems(): string[] {
    const arn = this.gitHubOptions?.connectionArn;
    if (arn === undefined || useConnectionActions(arn).length > 0) return [];
    return [`source connectionArn "${arn}" is not a CodeConnections connection ARN: expected arn:<partition>:codeconnections:<region>:<account>:connection/<id> (or the older codestar-connections form)`];
  }

  /** @internal */
  public _action(scope: Construct, output: codepipeline.Artifact, actionRole: iam.IRole): codepipeline.IAction {
    if (this.repository) {
      const eventRole = new ServiceRole(scope, 'SourceEventRole', {
        assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
        description: `EventBridge starts ${scope.node.path} on pushes to ${this.branch}`,
      });
      return new actions.CodeCommitSourceAction({
        actionName: 'CodeCommit',
        repository: this.repository,
        branch: this.branch,
        output,
        trigger: actions.CodeCommitTrigger.EVENTS,
        eventRole,
        role: actionRole,
      });
    }
    const gh = this.gitHubOptions!;
    return new ConnectionSourceAction({
      actionName: 'GitHub',
      connectionArn: gh.connectionArn,
      owner: gh.owner,
      repo: gh.repo,
      branch: this.branch,
      output,
      triggerOnPush: true,
      role: actionRole,
    });
  }
}

/** An S3 bucket the deploy stage extracts the build output into. */
export interface ReleaseS3Deployment {
  /** The bucket; in another region, `replicationBuckets` needs a bucket for that region. */
  readonly bucket: s3.IBucket;
  /**
   * A key prefix to extract under.
   * @default - the bucket root
   */
  readonly objectKey?: string;
}

/** A custom action type (`AWS::CodePipeline::CustomActionType`) that a job worker polls for. */
export interface ReleaseCustomActionType {
  /** The provider name, unique per account, region and category. */
  readonly provider: string;
  /**
   * The category.
   * @default codepipeline.ActionCategory.TEST
   */
  readonly category?: codepipeline.ActionCategory;
  /**
   * The version.
   * @default '1'
   */
  readonly version?: string;
}

/** Props for {@link ReleasePipeline}. */
export interface ReleasePipelineProps {
  /** Where the source comes from. */
  readonly source: ReleaseSource;
  /**
   * The pipeline's name.
   * @default - generated
   */
  readonly pipelineName?: string;
  /**
   * The commands of the test build, run in the source root. They must leave JUnit XML results
   * in `testReportDirectory`.
   * @default ['npm ci', 'npm test']
   */
  readonly testCommands?: string[];
  /**
   * Where the test commands leave JUnit XML results.
   * @default 'reports'
   */
  readonly testReportDirectory?: string;
  /**
   * A build spec that replaces the generated one (test commands, reports, appspec). It must
   * report to `testReportGroup` itself.
   * @default - generated from testCommands, testReportDirectory and appSpec
   */
  readonly buildSpec?: codebuild.BuildSpec;
  /**
   * The build image.
   * @default codebuild.LinuxBuildImage.STANDARD_7_0
   */
  readonly buildImage?: codebuild.IBuildImage;
  /**
   * The `appspec.yml` the build writes into the revision for the server deployment. Only with
   * the generated build spec.
   * @default - the source's own appspec.yml, if any
   */
  readonly appSpec?: AppSpec;
  /**
   * Ask a person to approve before the deploy stage; the request goes to the notification topic.
   * @default false
   */
  readonly manualApproval?: boolean;
  /**
   * The CodeDeploy server deployment group to deploy to. CodeDeploy starts an EC2 blue/green
   * deployment only from a deployment request like this action's: CloudFormation does not.
   * @default - no server deployment
   */
  readonly serverDeployment?: ServerDeployment;
  /**
   * Buckets to extract the build output into.
   * @default - none
   */
  readonly s3Deployments?: ReleaseS3Deployment[];
  /**
   * The artifact bucket. It must be versioned and KMS-encrypted.
   * @default - a new versioned, KMS-encrypted, TLS-only {@link SecureBucket}
   */
  readonly artifactBucket?: s3.IBucket;
  /**
   * Artifact buckets for other regions, by region, for the actions that run there. Each must be
   * KMS-encrypted and versioned (a {@link ReleaseReplicationBucket}).
   * @default - none: every action runs in the pipeline's region
   */
  readonly replicationBuckets?: { [region: string]: s3.IBucket };
  /**
   * An EventBridge schedule expression (`rate(1 day)`, `cron(0 6 ? * MON-FRI *)`) that starts
   * the pipeline.
   * @default - no scheduled runs
   */
  readonly schedule?: string;
  /**
   * Where pipeline, build and approval notifications go.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * Register a custom action type for a job worker.
   * @default - none
   */
  readonly customActionType?: ReleaseCustomActionType;
  /**
   * Sandbox mode: buckets, logs, report groups and keys are destroyed by `cdk destroy`.
   * @default - the `sandbox` context value
   */
  readonly sandbox?: boolean;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON_FIELD = /^[0-9A-Za-z*?,\-/#]+$/;

/** The problem with an EventBridge schedule expression, or undefined if it parses. */
function scheduleProblem(expression: string): string | undefined {
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    if (value < 1) return `schedule "${expression}" does not parse: the rate must be 1 or more`;
    const singular = !rate[2].endsWith('s');
    if (value === 1 && !singular) return `schedule "${expression}" does not parse: a rate of 1 takes a singular unit (rate(1 ${rate[2].slice(0, -1)}))`;
    if (value !== 1 && singular) return `schedule "${expression}" does not parse: a rate above 1 takes a plural unit (rate(${value} ${rate[2]}s))`;
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) {
    const fields = cron[1].trim().split(/\s+/);
    if (fields.length !== 6) return `schedule "${expression}" does not parse: cron takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`;
    if (!fields.every((f) => CRON_FIELD.test(f))) return `schedule "${expression}" does not parse: a cron field has characters EventBridge does not accept`;
    if ((fields[2] === '?') === (fields[4] === '?')) return `schedule "${expression}" does not parse: exactly one of day-of-month and day-of-week must be "?"`;
    return undefined;
  }
  return `schedule "${expression}" does not parse: use rate(value unit) or cron(minutes hours day-of-month month day-of-week year)`;
}

/**
 * CICD-1: source, tests with reports, optional approval and deployment, with every state change
 * sent to a person.
 *
 * ```ts
 * new ReleasePipeline(this, 'Release', {
 *   source: ReleaseSource.codeCommit(repository, 'main'),
 *   serverDeployment,
 *   manualApproval: true,
 * });
 * ```
 */
export class ReleasePipeline extends Construct {
  /** The pipeline. */
  public readonly pipeline: codepipeline.Pipeline;
  /** The artifact bucket of the pipeline's region. */
  public readonly artifactBucket: s3.IBucket;
  /** The test build project. */
  public readonly testProject: codebuild.PipelineProject;
  /** The report group of the test results. */
  public readonly testReportGroup: codebuild.ReportGroup;
  /** The pipeline's role. */
  public readonly role: ServiceRole;
  /** Where notifications go. */
  public readonly notificationTopic: sns.ITopic;
  /** The rule that sends pipeline, stage and action state changes to the topic. */
  public readonly pipelineStateRule: events.Rule;
  /** The rule that sends build state changes to the topic. */
  public readonly buildStateRule: events.Rule;
  /** The rule that starts scheduled runs. */
  public readonly scheduleRule?: events.Rule;

  private readonly customActionTypeArn?: string;

  constructor(scope: Construct, id: string, props: ReleasePipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const sandbox = isSandbox(this, props.sandbox);
    const replicationBuckets = props.replicationBuckets ?? {};

    const check = new PropsCheck(this, 'ReleasePipeline');
    for (const problem of props.source._problems()) check.add(problem);
    if (props.artifactBucket) checkArtifactBucket(check, 'artifactBucket', props.artifactBucket);
    for (const [region, bucket] of Object.entries(replicationBuckets)) {
      checkArtifactBucket(check, `replicationBuckets["${region}"]`, bucket);
      if (region === stack.region) check.add(`replicationBuckets["${region}"] is the pipeline's own region: use artifactBucket for it`);
    }
    const actionRegions: Array<[string, string | undefined]> = [
      ...(props.s3Deployments ?? []).map((d): [string, string | undefined] => [`S3 deployment to ${d.bucket.node.path}`, d.bucket.env.region]),
      ...(props.serverDeployment ? [[`server deployment ${props.serverDeployment.node.path}`, Stack.of(props.serverDeployment).region] as [string, string]] : []),
    ];
    for (const [what, region] of actionRegions) {
      if (region === undefined || Token.isUnresolved(region) || region === stack.region) continue;
      check.require(replicationBuckets[region] !== undefined,
        `${what} runs in ${region}, but replicationBuckets has no artifact bucket for ${region}: CodePipeline needs one in every region an action runs in (use a ReleaseReplicationBucket)`);
    }
    if (props.schedule !== undefined) {
      const problem = scheduleProblem(props.schedule);
      if (problem) check.add(problem);
    }
    check.require(!(props.appSpec && props.buildSpec),
      'appSpec is written by the generated build spec: with your own buildSpec, run appSpec.toShellCommand() in it instead');
    check.throwIfAny();

    this.notificationTopic = props.notificationTopic
      ?? new NotificationTopic(this, 'Notifications', { displayName: `Releases of ${this.node.path}`, sandbox }).topic;

    this.artifactBucket = props.artifactBucket ?? new SecureBucket(this, 'Artifacts', {
      sandbox,
      bucketProps: { lifecycleRules: [{ id: 'expire-old-artifacts', noncurrentVersionExpiration: Duration.days(90) }] },
    }).bucket;
    if (!props.artifactBucket) {
      acknowledge(this.artifactBucket.node.defaultChild!, 'NIST.800.53.R5-S3BucketReplicationEnabled',
        'Pipeline artifacts are re-created by every run from the versioned source revision, so a replica in a second region would keep nothing that the source does not already keep.');
    }

    this.role = new ServiceRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
      }),
      roleName: PhysicalName.GENERATE_IF_NEEDED, // named, so keys in other regions can name it
      description: `CodePipeline service role of ${this.node.path}`,
    });
    const crossRegion = Object.keys(replicationBuckets).length > 0;
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: codepipeline.ExecutionMode.QUEUED,
      role: this.role,
      artifactBucket: crossRegion ? undefined : this.artifactBucket,
      crossRegionReplicationBuckets: crossRegion ? { ...replicationBuckets, [stack.region]: this.artifactBucket } : undefined,
      restartExecutionOnUpdate: false,
    });

    const actionRole = (name: string): ServiceRole => new ServiceRole(this, `${name}ActionRole`, {
      assumedBy: new iam.ArnPrincipal(this.role.roleArn),
      roleName: PhysicalName.GENERATE_IF_NEEDED,
      description: `The ${name} action of ${this.node.path}`,
    });
    const actionRoles: ServiceRole[] = [];
    const newActionRole = (name: string): ServiceRole => {
      const role = actionRole(name);
      actionRoles.push(role);
      return role;
    };

    // Source
    const sourceOutput = new codepipeline.Artifact('Source');
    this.pipeline.addStage({ stageName: 'Source', actions: [props.source._action(this, sourceOutput, newActionRole('Source'))] });

    // Test, with reports
    this.testReportGroup = new codebuild.ReportGroup(this, 'TestReports', {
      type: codebuild.ReportGroupType.TEST,
      removalPolicy: dataRemovalPolicy(this, sandbox),
      deleteReports: sandbox,
    });
    const buildRole = new ServiceRole(this, 'BuildRole', {
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
      }),
      description: `CodeBuild role of the tests of ${this.node.path}`,
    });
    const buildLogs = new EncryptedLogGroup(this, 'BuildLogs', { sandbox }).logGroup;
    const reportDirectory = props.testReportDirectory ?? 'reports';
    const commands = [...(props.testCommands ?? ['npm ci', 'npm test'])];
    if (props.appSpec) commands.push(props.appSpec.toShellCommand());
    this.testProject = new codebuild.PipelineProject(this, 'Tests', {
      description: `Tests of ${this.node.path}`,
      role: buildRole,
      encryptionKey: this.artifactBucket.encryptionKey,
      environment: { buildImage: props.buildImage ?? codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.SMALL, privileged: false },
      logging: { cloudWatch: { logGroup: buildLogs } },
      timeout: Duration.minutes(30),
      buildSpec: props.buildSpec ?? codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { build: { commands } },
        reports: {
          [this.testReportGroup.reportGroupArn]: { 'files': ['**/*'], 'base-directory': reportDirectory, 'file-format': 'JUNITXML' },
        },
        artifacts: { files: ['**/*'] },
      }),
    });
    this.testReportGroup.grantWrite(this.testProject);
    const buildOutput = new codepipeline.Artifact('Build');
    this.pipeline.addStage({
      stageName: 'Test',
      actions: [new actions.CodeBuildAction({ actionName: 'UnitTests', project: this.testProject, input: sourceOutput, outputs: [buildOutput], role: newActionRole('Test') })],
    });

    // Approval
    if (props.manualApproval) {
      const approvalRole = newActionRole('Approve');
      this.pipeline.addStage({
        stageName: 'Approve',
        actions: [new actions.ManualApprovalAction({
          actionName: 'Approve',
          notificationTopic: this.notificationTopic,
          additionalInformation: `Approve the release of ${this.node.path} after the tests passed.`,
          role: approvalRole,
        })],
      });
      this.notificationTopic.masterKey?.grant(approvalRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    }

    // Deploy
    const deployActions: codepipeline.IAction[] = [];
    if (props.serverDeployment) {
      deployActions.push(new actions.CodeDeployServerDeployAction({
        actionName: 'CodeDeploy',
        deploymentGroup: props.serverDeployment.deploymentGroup,
        input: buildOutput,
        role: newActionRole('CodeDeploy'),
      }));
    }
    (props.s3Deployments ?? []).forEach((d, i) => {
      deployActions.push(new actions.S3DeployAction({
        actionName: `S3${i + 1}`,
        bucket: d.bucket,
        input: buildOutput,
        extract: true,
        objectKey: d.objectKey,
        role: newActionRole(`S3Deploy${i + 1}`),
      }));
    });
    if (deployActions.length > 0) this.pipeline.addStage({ stageName: 'Deploy', actions: deployActions });

    // Custom action type for a job worker
    if (props.customActionType) {
      const category = props.customActionType.category ?? codepipeline.ActionCategory.TEST;
      const version = props.customActionType.version ?? '1';
      new codepipeline.CustomActionRegistration(this, 'CustomActionType', {
        category,
        provider: props.customActionType.provider,
        version,
        artifactBounds: { minInputs: 0, maxInputs: 1, minOutputs: 0, maxOutputs: 1 },
      });
      this.customActionTypeArn = stack.formatArn({
        service: 'codepipeline', resource: 'actiontype', resourceName: `Custom/${category}/${props.customActionType.provider}/${version}`,
      });
    }

    // Scheduled runs
    if (props.schedule !== undefined) {
      this.scheduleRule = new events.Rule(this, 'Schedule', {
        description: `Scheduled runs of ${this.node.path}`,
        schedule: events.Schedule.expression(props.schedule),
        targets: [new targets.CodePipeline(this.pipeline, {
          eventRole: new ServiceRole(this, 'ScheduleRole', {
            assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
            description: `EventBridge starts ${this.node.path} on its schedule`,
          }),
        })],
      });
    }

    // State changes to a person
    this.pipelineStateRule = new events.Rule(this, 'PipelineStateChanges', {
      description: `Pipeline, stage and action state changes of ${this.node.path}`,
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: [
          'CodePipeline Pipeline Execution State Change',
          'CodePipeline Stage Execution State Change',
          'CodePipeline Action Execution State Change',
        ],
        detail: { pipeline: [this.pipeline.pipelineName] },
      },
      targets: [new targets.SnsTopic(this.notificationTopic, {
        message: events.RuleTargetInput.fromText(
          `CodePipeline ${events.EventField.fromPath('$.detail.pipeline')} (${events.EventField.fromPath('$.detail-type')}): `
          + `stage ${events.EventField.fromPath('$.detail.stage')} action ${events.EventField.fromPath('$.detail.action')} `
          + `is ${events.EventField.fromPath('$.detail.state')}, execution ${events.EventField.fromPath('$.detail.execution-id')}`,
        ),
      })],
    });
    this.buildStateRule = new events.Rule(this, 'BuildStateChanges', {
      description: `Test build state changes of ${this.node.path}`,
      eventPattern: {
        source: ['aws.codebuild'],
        detailType: ['CodeBuild Build State Change'],
        detail: { 'project-name': [this.testProject.projectName] },
      },
      targets: [new targets.SnsTopic(this.notificationTopic, {
        message: events.RuleTargetInput.fromText(
          `CodeBuild ${events.EventField.fromPath('$.detail.project-name')}: build ${events.EventField.fromPath('$.detail.build-id')} `
          + `is ${events.EventField.fromPath('$.detail.build-status')}`,
        ),
      })],
    });

    this.acknowledgeGeneratedGrants(props, actionRoles, buildRole);
  }

  /**
   * Lets a job worker poll for and complete jobs of the custom action type.
   */
  public grantJobWorker(grantee: iam.IGrantable): iam.Grant {
    if (!this.customActionTypeArn) throw new Error(`${this.node.path}: grantJobWorker needs customActionType`);
    iam.Grant.addToPrincipal({ grantee, actions: ['codepipeline:PollForJobs'], resourceArns: [this.customActionTypeArn] });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['codepipeline:AcknowledgeJob', 'codepipeline:GetJobDetails', 'codepipeline:PutJobSuccessResult', 'codepipeline:PutJobFailureResult'],
      resourceArns: ['*'],
    });
  }

  /**
   * The CodePipeline and CodeBuild L2 constructs grant with wildcard actions and object ARNs
   * (`grantRead`/`grantReadWrite`); each such finding is acknowledged here, on the one policy
   * that carries it, only when that policy carries it, with the reason it holds.
   */
  private acknowledgeGeneratedGrants(props: ReleasePipelineProps, actionRoles: ServiceRole[], buildRole: ServiceRole): void {
    const stack = Stack.of(this);
    const buckets: s3.IBucket[] = [this.artifactBucket, ...Object.values(props.replicationBuckets ?? {}), ...(props.s3Deployments ?? []).map((d) => d.bucket)];
    // A key in another region is granted on `*` by the KMS construct (it cannot name the key
    // across regions). Where that key is reached through an alias, the statement is narrowed to
    // the key carrying the alias.
    const remoteAliases = buckets
      .filter((b) => !Token.isUnresolved(b.env.region) && b.env.region !== stack.region)
      .map((b) => b.encryptionKey)
      .filter((k): k is kms.Alias => k instanceof kms.Alias)
      .map((k) => (k.node.defaultChild as kms.CfnAlias).aliasName) // the name as written, not the `aliasNameRef` token
      .filter((name) => !Token.isUnresolved(name));
    const remoteKeyReason = 'The artifact and target buckets of other regions are encrypted with keys of those regions, which the KMS construct can only grant on "*"; the statement carries a kms:ResourceAliases condition that limits it to the keys behind those buckets\' aliases.';
    const readWrite = 'CodePipeline stores and reads artifacts under generated object keys, so the pipeline\'s roles get the object actions of its artifact buckets, as the CodePipeline and CodeBuild constructs grant them, and no other bucket.';
    const keyReason = 'Artifacts are encrypted with the artifact bucket\'s key under generated data keys, so the roles need the key\'s data-key and re-encrypt actions on that one key.';
    const revisionReason = 'The CodeDeploy agent on each instance downloads revisions from the pipeline\'s artifact bucket under generated object keys, so the instance role reads the objects of that one bucket, as the CodeDeploy action grants it.';
    const targets: Array<[iam.PolicyDocument, IConstruct, string, iam.PolicyStatement[]]> = [this.role, ...actionRoles, buildRole]
      .map((r) => [r.grantsPolicy.document, r.grantsPolicy.node.defaultChild!, readWrite, r.grantedStatements]);
    for (const role of props.serverDeployment?.instanceRoles ?? []) {
      const policy = role instanceof ServiceRole ? role.grantsPolicy : role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
      const statements = role instanceof ServiceRole ? role.grantedStatements : [];
      if (policy) targets.push([policy.document, policy.node.defaultChild!, revisionReason, statements]);
    }
    for (const [document, resource, reason, statements] of targets) {
      if (remoteAliases.length > 0) {
        const wide = statements.filter((st) => st.resources.includes('*') && st.actions.every((a) => a.startsWith('kms:')));
        for (const st of wide) st.addCondition('ForAnyValue:StringEquals', { 'kms:ResourceAliases': remoteAliases });
        if (wide.length > 0) acknowledge(resource, 'AwsSolutions-IAM5[Resource::*]', remoteKeyReason);
      }
      const text = JSON.stringify(stack.resolve(document.toJSON()) ?? {});
      for (const bucket of buckets) {
        const arn = bucket.arnForObjects('*');
        if (text.includes(JSON.stringify(stack.resolve(arn)))) acknowledgeWildcardResource(resource, arn, reason);
      }
      for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*', 's3:PutObject*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        if (text.includes(`"${action}"`)) acknowledgeWildcardAction(resource, action, action.startsWith('kms') ? keyReason : reason);
      }
    }
    // The project's own log group and report groups, as the CodeBuild construct always grants them.
    acknowledgeProjectGrants(this.testProject, buildRole, false);
  }
}

/** Refuses an artifact bucket that is not KMS-encrypted or (when it can be seen) not versioned. */
function checkArtifactBucket(check: PropsCheck, name: string, bucket: s3.IBucket): void {
  check.require(bucket.encryptionKey !== undefined,
    `${name} (${bucket.node.path}) is not KMS-encrypted: CodePipeline artifacts must be encrypted with a customer managed key the pipeline's roles are granted`);
  const cfn = bucket.node.defaultChild;
  if (cfn instanceof s3.CfnBucket) {
    const versioning = Stack.of(bucket).resolve(cfn.versioningConfiguration) as { status?: string } | undefined;
    check.require(versioning?.status === 'Enabled',
      `${name} (${bucket.node.path}) is not versioned: CodePipeline requires a versioned artifact bucket`);
  }
}

