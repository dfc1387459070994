import { Duration, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createEncryptionKey } from './encryption-key';
import { EncryptedLogGroup } from './log-group';
import { ServiceRole } from './service-role';

/** Props for {@link SecureBuildProject}. */
export interface SecureBuildProjectProps {
  /** What the project does, shown in the CodeBuild console and used in the role description. */
  readonly description: string;
  /**
   * Where the source comes from.
   * @default - the pipeline the project runs in (a CodePipeline project)
   */
  readonly source?: codebuild.ISource;
  /** The build specification. */
  readonly buildSpec: codebuild.BuildSpec;
  /**
   * The build image.
   * @default codebuild.LinuxBuildImage.STANDARD_7_0
   */
  readonly buildImage?: codebuild.IBuildImage;
  /**
   * Environment variables of every build.
   * @default - none
   */
  readonly environmentVariables?: Record<string, codebuild.BuildEnvironmentVariable>;
  /**
   * How long one build may run before CodeBuild stops it.
   * @default Duration.minutes(30)
   */
  readonly timeout?: Duration;
  /**
   * The key that encrypts build artifacts and cache. In a pipeline, pass the artifact bucket's key.
   * @default - a new customer managed key with rotation on
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long build logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Show a build badge (only for GitHub, Bitbucket and GitHub Enterprise sources).
   * @default false
   */
  readonly badge?: boolean;
}

/**
 * A CodeBuild project with the library's defaults, the one every pattern that builds uses: its
 * own role (grants in managed policies, assumable by CodeBuild only for this account), build logs
 * in an encrypted log group with retention, artifacts encrypted with a customer managed key, a
 * small unprivileged Linux build environment and a timeout.
 *
 * The wildcards the CodeBuild L2 grants the role (the project's own default log group and report
 * groups, the key's GenerateDataKey and ReEncrypt families) are acknowledged on the role's
 * grants policies, for this project only.
 */
export class SecureBuildProject extends Construct {
  /** The project. */
  public readonly project: codebuild.Project;
  /** The project's role. */
  public readonly role: ServiceRole;
  /** The build log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The key that encrypts build artifacts. */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: SecureBuildProjectProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.encryptionKey = props.encryptionKey ?? createEncryptionKey(this, 'Key', { description: `Encrypts build artifacts of ${this.node.path}` });
    this.role = new ServiceRole(this, 'Role', {
      // Confused-deputy protection: CodeBuild sends aws:SourceAccount when it assumes the role
      // (docs.aws.amazon.com/codebuild/latest/userguide/cross-service-confused-deputy-prevention.html).
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
      description: props.description.slice(0, 1000),
    });
    this.logGroup = new EncryptedLogGroup(this, 'Logs', { retention: props.logRetention }).logGroup;
    const common: codebuild.CommonProjectProps = {
      description: props.description.slice(0, 255),
      buildSpec: props.buildSpec,
      environment: {
        buildImage: props.buildImage ?? codebuild.LinuxBuildImage.STANDARD_7_0,
        computeType: codebuild.ComputeType.SMALL,
        privileged: false,
      },
      environmentVariables: props.environmentVariables,
      encryptionKey: this.encryptionKey,
      role: this.role,
      timeout: props.timeout ?? Duration.minutes(30),
      logging: { cloudWatch: { logGroup: this.logGroup } },
    };
    this.project = props.source
      ? new codebuild.Project(this, 'Project', { ...common, source: props.source, badge: props.badge })
      : new codebuild.PipelineProject(this, 'Project', common);

    this.role.acknowledgeWildcardResource(`arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:/aws/codebuild/${this.project.projectName}:*`,
      'CodeBuild writes build logs to log streams it names per build inside this project\'s own log group, so the grant covers that one log group\'s streams and nothing wider.');
    this.role.acknowledgeWildcardResource(`arn:${stack.partition}:codebuild:${stack.region}:${stack.account}:report-group/${this.project.projectName}-*`,
      'CodeBuild names the test report groups of a project after the project, so this wildcard covers only the report groups of this one project.');
    this.role.acknowledgeWildcardAction('kms:GenerateDataKey*',
      'The GenerateDataKey variants are granted on the project\'s encryption key only, which CodeBuild uses to encrypt build artifacts and cache.');
    this.role.acknowledgeWildcardAction('kms:ReEncrypt*',
      'The ReEncrypt variants are granted on the project\'s encryption key only, which CodeBuild uses to encrypt build artifacts and cache.');
  }
}
