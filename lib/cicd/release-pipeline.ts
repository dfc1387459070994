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
import { Duration, IResource, PhysicalName, Stack, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SecureBuildProject } from '../core/build-project';
import { addEventNotification } from '../core/event-notification';
import { NotificationTopic } from '../core/notification-topic';
import { dataRemovalPolicy, isSandbox } from '../core/sandbox';
import { SecureBucket } from '../core/secure-bucket';
import { ServiceRole } from '../core/service-role';
import { ConstructPropsError, PropsCheck } from '../core/validation';
import { AppSpec } from './appspec';
import { remoteArtifactBucket, remoteKeyGrantTarget, RemoteKeyGrantTarget } from './cross-region-artifacts';
import { ReleaseSource } from './release-source';
import { acknowledgeNotReplicated } from '../core/not-replicated';

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
   * The CodeDeploy EC2/on-premises deployment group to deploy to: a `ServerDeployment`'s
   * `deploymentGroup` (CICD-4), or any group, imported ones included. CodeDeploy starts an EC2
   * blue/green deployment only from a deployment request like this action's: CloudFormation does not.
   *
   * The CodeDeploy action grants the instance role of each Auto Scaling group the group lists
   * read access to the artifact bucket (the agent downloads revisions with it): `s3:GetObject*`,
   * `s3:GetBucket*` and `s3:List*` on the bucket and its objects, `kms:Decrypt` on its key. That
   * role is yours, so the checks' wildcard findings on it are yours to acknowledge.
   * @default - no server deployment
   */
  readonly serverDeploymentGroup?: codedeploy.IServerDeploymentGroup;
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
   * When EventBridge starts the pipeline: `events.Schedule.cron({ minute: '0', hour: '3' })`,
   * `events.Schedule.rate(Duration.days(1))`.
   * @default - no scheduled runs
   */
  readonly schedule?: events.Schedule;
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
}

/**
 * CICD-1: source, tests with reports, optional approval and deployment, with every state change
 * sent to a person.
 *
 * ```ts
 * new ReleasePipeline(this, 'Release', {
 *   source: ReleaseSource.codeCommit(repository, 'main'),
 *   serverDeploymentGroup: deployment.deploymentGroup,
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
  public readonly testProject: codebuild.Project;
  /** The role of the test build project. */
  public readonly testProjectRole: ServiceRole;
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
    const sandbox = isSandbox(this);
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
      ...(props.serverDeploymentGroup ? [[`server deployment group ${props.serverDeploymentGroup.node.path}`, props.serverDeploymentGroup.env.region] as [string, string]] : []),
    ];
    for (const [what, region] of actionRegions) {
      if (region === undefined || Token.isUnresolved(region) || region === stack.region) continue;
      check.require(replicationBuckets[region] !== undefined,
        `${what} runs in ${region}, but replicationBuckets has no artifact bucket for ${region}: CodePipeline needs one in every region an action runs in (use a ReleaseReplicationBucket)`);
    }
    // Buckets of other regions: their keys are granted through their aliases (or literal key ARNs).
    const remote = new Map<s3.IBucket, { bucket: s3.IBucket; target?: RemoteKeyGrantTarget }>();
    const remoteBuckets: Array<[string, s3.IBucket]> = [
      ...Object.entries(replicationBuckets).filter(([region]) => region !== stack.region).map(([region, b]): [string, s3.IBucket] => [`replicationBuckets["${region}"]`, b]),
      ...(props.s3Deployments ?? []).map((d, i): [string, s3.IBucket] => [`s3Deployments[${i}].bucket`, d.bucket])
        .filter(([, b]) => !Token.isUnresolved(b.env.region) && b.env.region !== stack.region),
    ];
    for (const [name, bucket] of remoteBuckets) {
      if (remote.has(bucket) || !bucket.encryptionKey) continue;
      const target = remoteKeyGrantTarget(this, bucket);
      check.require(target !== undefined,
        `${name} (${bucket.node.path}) is in ${bucket.env.region} and its key can be named from ${stack.region} only through an alias or a literal key ARN: encrypt it with a key reached through an alias (a ReleaseReplicationBucket does)`);
      if (target) remote.set(bucket, { bucket: remoteArtifactBucket(this, `Remote${remote.size + 1}`, bucket, target), target });
    }
    check.require(!(props.appSpec && props.buildSpec),
      'appSpec is written by the generated build spec: with your own buildSpec, run appSpec.toShellCommand() in it instead');
    check.throwIfAny();
    const pipelineView = (bucket: s3.IBucket): s3.IBucket => remote.get(bucket)?.bucket ?? bucket;
    const remoteKeyTargets = [...remote.values()].map((r) => r.target!);

    this.notificationTopic = props.notificationTopic
      ?? new NotificationTopic(this, 'Notifications', { displayName: `Releases of ${this.node.path}` }).topic;

    this.artifactBucket = props.artifactBucket ?? new SecureBucket(this, 'Artifacts', {
      bucketProps: { lifecycleRules: [{ id: 'expire-old-artifacts', noncurrentVersionExpiration: Duration.days(90) }] },
    }).bucket;
    if (!props.artifactBucket) {
      acknowledgeNotReplicated(this.artifactBucket,
        'Pipeline artifacts are re-created by every run from the versioned source revision, so a replica in a second region would keep nothing that the source does not already keep.');
    }

    this.role = new ServiceRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
      }),
      roleName: PhysicalName.GENERATE_IF_NEEDED, // named, so keys in other regions can name it
      description: `CodePipeline service role of ${this.node.path}`,
    });
    // The pipeline role reads and writes the artifacts of every artifact bucket, those of regions
    // whose first action a later addStage() adds included: acknowledged for all of them now.
    const replicationViews = Object.values(replicationBuckets).map(pipelineView);
    this.acknowledgeArtifactAccess(this.role, [this.artifactBucket, ...replicationViews], true, remoteKeyTargets);
    const crossRegion = Object.keys(replicationBuckets).length > 0;
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: codepipeline.ExecutionMode.QUEUED,
      role: this.role,
      artifactBucket: crossRegion ? undefined : this.artifactBucket,
      crossRegionReplicationBuckets: crossRegion
        ? { ...Object.fromEntries(Object.entries(replicationBuckets).map(([region, b]) => [region, pipelineView(b)])), [stack.region]: this.artifactBucket }
        : undefined,
      restartExecutionOnUpdate: false,
    });

    const actionRole = (name: string): ServiceRole => new ServiceRole(this, `${name}ActionRole`, {
      assumedBy: new iam.ArnPrincipal(this.role.roleArn),
      roleName: PhysicalName.GENERATE_IF_NEEDED,
      description: `The ${name} action of ${this.node.path}`,
    });
    /** The artifact bucket of the region `target` is in, as the pipeline's constructs use it. */
    const artifactBucketFor = (target: IResource): s3.IBucket => {
      const region = target.env.region;
      return Token.isUnresolved(region) || region === stack.region || !replicationBuckets[region] ? this.artifactBucket : pipelineView(replicationBuckets[region]);
    };

    // Source
    const sourceOutput = new codepipeline.Artifact('Source');
    const sourceRole = actionRole('Source');
    this.acknowledgeArtifactAccess(sourceRole, [this.artifactBucket], true, []);
    this.pipeline.addStage({ stageName: 'Source', actions: [props.source._action(this, sourceOutput, sourceRole)] });

    // Test, with reports
    this.testReportGroup = new codebuild.ReportGroup(this, 'TestReports', {
      type: codebuild.ReportGroupType.TEST,
      removalPolicy: dataRemovalPolicy(this),
      deleteReports: sandbox,
    });
    const reportDirectory = props.testReportDirectory ?? 'reports';
    const commands = [...(props.testCommands ?? ['npm ci', 'npm test'])];
    if (props.appSpec) commands.push(props.appSpec.toShellCommand());
    const tests = new SecureBuildProject(this, 'Tests', {
      description: `Tests of ${this.node.path}`,
      // Build artifacts are pipeline artifacts: encrypted with the artifact bucket's key.
      encryptionKey: this.artifactBucket.encryptionKey,
      buildImage: props.buildImage,
      buildSpec: props.buildSpec ?? codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { build: { commands } },
        reports: {
          [this.testReportGroup.reportGroupArn]: { 'files': ['**/*'], 'base-directory': reportDirectory, 'file-format': 'JUNITXML' },
        },
        artifacts: { files: ['**/*'] },
      }),
    });
    this.testProject = tests.project;
    this.testProjectRole = tests.role;
    this.testReportGroup.grantWrite(this.testProject);
    this.acknowledgeArtifactAccess(tests.role, [this.artifactBucket], true, []);
    const buildOutput = new codepipeline.Artifact('Build');
    this.pipeline.addStage({
      stageName: 'Test',
      actions: [new actions.CodeBuildAction({ actionName: 'UnitTests', project: this.testProject, input: sourceOutput, outputs: [buildOutput], role: actionRole('Test') })],
    });

    // Approval
    if (props.manualApproval) {
      const approvalRole = actionRole('Approve');
      this.pipeline.addStage({
        stageName: 'Approve',
        actions: [new actions.ManualApprovalAction({
          actionName: 'Approve',
          notificationTopic: this.notificationTopic,
          additionalInformation: `Approve the release of ${this.node.path} after the tests passed.`,
          role: approvalRole,
        })],
      });
      if (this.notificationTopic.masterKey) {
        this.notificationTopic.masterKey.grant(approvalRole, 'kms:GenerateDataKey', 'kms:Decrypt');
        approvalRole.acknowledgeWildcardAction('kms:GenerateDataKey*',
          'The approval request is published to the notification topic, which SNS encrypts under data keys of the topic\'s key; the GenerateDataKey variants are granted on that one key.');
      }
    }

    // Deploy
    const deployActions: codepipeline.IAction[] = [];
    if (props.serverDeploymentGroup) {
      const role = actionRole('CodeDeploy');
      this.acknowledgeArtifactAccess(role, [artifactBucketFor(props.serverDeploymentGroup)], false, []);
      deployActions.push(new actions.CodeDeployServerDeployAction({
        actionName: 'CodeDeploy',
        deploymentGroup: props.serverDeploymentGroup,
        input: buildOutput,
        role,
      }));
    }
    (props.s3Deployments ?? []).forEach((d, i) => {
      const role = actionRole(`S3Deploy${i + 1}`);
      const bucket = pipelineView(d.bucket);
      this.acknowledgeArtifactAccess(role, [artifactBucketFor(d.bucket)], false, []);
      this.acknowledgeArtifactAccess(role, [bucket], true, remote.get(d.bucket)?.target ? [remote.get(d.bucket)!.target!] : []);
      deployActions.push(new actions.S3DeployAction({
        actionName: `S3${i + 1}`,
        bucket,
        input: buildOutput,
        extract: true,
        objectKey: d.objectKey,
        role,
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
        schedule: props.schedule,
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
    });
    addEventNotification(this.pipelineStateRule, this.notificationTopic,
      `CodePipeline ${events.EventField.fromPath('$.detail.pipeline')} (${events.EventField.fromPath('$.detail-type')}): `
      + `stage ${events.EventField.fromPath('$.detail.stage')} action ${events.EventField.fromPath('$.detail.action')} `
      + `is ${events.EventField.fromPath('$.detail.state')}, execution ${events.EventField.fromPath('$.detail.execution-id')}`);
    this.buildStateRule = new events.Rule(this, 'BuildStateChanges', {
      description: `Test build state changes of ${this.node.path}`,
      eventPattern: {
        source: ['aws.codebuild'],
        detailType: ['CodeBuild Build State Change'],
        detail: { 'project-name': [this.testProject.projectName] },
      },
    });
    addEventNotification(this.buildStateRule, this.notificationTopic,
      `CodeBuild ${events.EventField.fromPath('$.detail.project-name')}: build ${events.EventField.fromPath('$.detail.build-id')} `
      + `is ${events.EventField.fromPath('$.detail.build-status')}`);
  }

  /**
   * Lets a job worker poll for and complete jobs of the custom action type.
   */
  public grantJobWorker(grantee: iam.IGrantable): iam.Grant {
    if (!this.customActionTypeArn) {
      throw new ConstructPropsError(this.node.path, 'ReleasePipeline', ['grantJobWorker needs customActionType: there is no custom action type whose jobs a worker could poll for']);
    }
    iam.Grant.addToPrincipal({ grantee, actions: ['codepipeline:PollForJobs'], resourceArns: [this.customActionTypeArn] });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['codepipeline:AcknowledgeJob', 'codepipeline:GetJobDetails', 'codepipeline:PutJobSuccessResult', 'codepipeline:PutJobFailureResult'],
      resourceArns: ['*'],
    });
  }

  /**
   * Acknowledges, on one role this construct created, the findings of the artifact grants the
   * CodePipeline and CodeBuild constructs make to it: the object ARNs of `buckets` (CodePipeline
   * names artifact objects per run), the wildcard actions of `IBucket.grantRead()` (and of
   * `grantReadWrite()` with the key's write actions when `write`), and the keys of other regions
   * granted through their aliases. Decided from the props, not from the policies, so grants made
   * later (an `addStage()`) are covered on every grants policy of the role.
   */
  private acknowledgeArtifactAccess(role: ServiceRole, buckets: s3.IBucket[], write: boolean, remoteKeys: RemoteKeyGrantTarget[]): void {
    const objects = 'CodePipeline stores and reads artifacts under object keys it generates per run, so this role of the pipeline gets the object actions on the objects of the pipeline\'s artifact and deployment buckets, as the CodePipeline constructs grant them, and no other bucket.';
    const actionsReason = 'These are the action families of the aws-cdk bucket and key grants the CodePipeline constructs make for artifacts (read, and for writing roles write), limited to the pipeline\'s artifact and deployment buckets and their keys.';
    for (const bucket of buckets) role.acknowledgeWildcardResource(bucket.arnForObjects('*'), objects);
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', ...(write ? ['s3:DeleteObject*', 's3:Abort*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'] : [])]) {
      role.acknowledgeWildcardAction(action, actionsReason);
    }
    for (const target of remoteKeys.filter((t) => t.conditions !== undefined)) {
      role.acknowledgeWildcardResource(target.resource,
        'A key of another region has no ARN the pipeline\'s stack can name before deployment; this grant covers the keys of that one region and account and carries a kms:ResourceAliases condition that limits it to the key behind the artifact bucket\'s alias.');
    }
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

