/**
 * CICD-8 CodeGuruIntegration: CodeGuru Profiler for an application, and CodeGuru Reviewer as an
 * opt-in.
 *
 * The profiling group receives profiles from the application, whose role is granted exactly the
 * two publishing actions (ConfigureAgent, PostAgentProfile) on this group. Anomalies the Profiler
 * detects are sent to an SNS topic (`AnomalyDetectionNotificationConfiguration`); CodeGuru
 * Profiler publishes with its service-linked role, so the topic's key lets that role, and only
 * it, encrypt. A CodeGuru Reviewer association for a CodeCommit repository can be asked for, but
 * since 7 November 2025 the service creates no new associations: the construct warns at synth,
 * and the README names the replacements (Amazon Q Developer code reviews, Amazon Inspector code
 * security).
 */
import { Annotations, Stack } from 'aws-cdk-lib';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as profiler from 'aws-cdk-lib/aws-codeguruprofiler';
import * as reviewer from 'aws-cdk-lib/aws-codegurureviewer';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { NotificationTopic } from '../core/notification-topic';
import { acknowledge } from '../core/acknowledge';

/**
 * Props for {@link CodeGuruIntegration}.
 */
export interface CodeGuruIntegrationProps {
  /** The role the application runs with; it is allowed to publish profiles to the group. */
  readonly applicationRole: iam.IRole;

  /**
   * The profiling group's name.
   * @default - generated
   */
  readonly profilingGroupName?: string;

  /**
   * Where the application runs.
   * @default profiler.ComputePlatform.DEFAULT
   */
  readonly computePlatform?: profiler.ComputePlatform;

  /**
   * Where anomaly notifications go. A topic passed in must let CodeGuru Profiler's service-linked
   * role (`AWSServiceRoleForCodeGuruProfiler`) use its key.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * A CodeCommit repository to associate with CodeGuru Reviewer. Opt-in: the service takes no new
   * associations since 7 November 2025, so this only works in accounts that already use it; the
   * construct warns at synth.
   * @default - no CodeGuru Reviewer association
   */
  readonly reviewerRepository?: codecommit.IRepository;
}

/**
 * CICD-8: a CodeGuru Profiler profiling group the application publishes to, with anomaly
 * notifications to SNS, and an optional CodeGuru Reviewer association.
 *
 * ```ts
 * new CodeGuruIntegration(this, 'CodeGuru', { applicationRole: service.taskRole });
 * ```
 */
export class CodeGuruIntegration extends Construct {
  /** The profiling group. */
  public readonly profilingGroup: profiler.ProfilingGroup;
  /** The managed policy, attached to the application role, that allows publishing profiles. */
  public readonly publishPolicy: iam.ManagedPolicy;
  /** Where anomaly notifications go. */
  public readonly notificationTopic: sns.ITopic;
  /** The CodeGuru Reviewer association, when asked for. */
  public readonly repositoryAssociation?: reviewer.CfnRepositoryAssociation;

  constructor(scope: Construct, id: string, props: CodeGuruIntegrationProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.profilingGroup = new profiler.ProfilingGroup(this, 'ProfilingGroup', {
      profilingGroupName: props.profilingGroupName,
      computePlatform: props.computePlatform,
    });
    // The grant lands in a managed policy attached to the role (also for an imported role, which
    // would otherwise get an inline policy).
    this.publishPolicy = new iam.ManagedPolicy(this, 'PublishPolicy', {
      description: `Lets the application publish profiles to the CodeGuru Profiler group of ${this.node.path}`,
      roles: [props.applicationRole],
    });
    this.profilingGroup.grants.publish(new ManagedPolicyGrantee(props.applicationRole, this.publishPolicy));

    if (props.notificationTopic) {
      this.notificationTopic = props.notificationTopic;
    } else {
      const topic = new NotificationTopic(this, 'AnomalyNotifications', {
        displayName: `CodeGuru Profiler anomalies of ${this.node.path}`,
        publishingServices: [],
      });
      // CodeGuru Profiler publishes as its service-linked role, which may not exist yet when the
      // key is created: naming it as the principal would fail, so the statement matches it by ARN.
      // The role is `AWSServiceRoleForCodeGuruProfiler`; `AWSServiceRoleForCodeGuru-Profiler` (with
      // a hyphen) is the name of the AWS managed policy attached to it, not of the role.
      const serviceLinkedRole = `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/codeguru-profiler.amazonaws.com/AWSServiceRoleForCodeGuruProfiler`;
      topic.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AllowCodeGuruProfilerNotifications',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:PrincipalAccount': stack.account, 'kms:ViaService': `sns.${stack.region}.amazonaws.com` },
          ArnEquals: { 'aws:PrincipalArn': serviceLinkedRole },
        },
      }), false);
      this.notificationTopic = topic.topic;
    }
    // The L2 does not expose anomaly notifications (nor a default child): set them on its L1.
    const cfnGroup = this.profilingGroup.node.children.find((c): c is profiler.CfnProfilingGroup => c instanceof profiler.CfnProfilingGroup)!;
    cfnGroup.anomalyDetectionNotificationConfiguration = [{ channelUri: this.notificationTopic.topicArn }];

    if (props.reviewerRepository) {
      Annotations.of(this).addWarningV2('@devops-patterns/cicd:codeguru-reviewer-closed',
        'Amazon CodeGuru Reviewer creates no new repository associations since 7 November 2025: this association deploys only '
        + 'in accounts that already use the service. Use Amazon Q Developer code reviews or Amazon Inspector code security instead.');
      this.repositoryAssociation = new reviewer.CfnRepositoryAssociation(this, 'ReviewerAssociation', {
        name: props.reviewerRepository.repositoryName,
        type: 'CodeCommit',
      });
      // The construct's own warning above already says this, with what to use instead.
      acknowledge(this.repositoryAssociation, 'CloudFormation-Validate::W3697',
        'CodeGuru Reviewer is in maintenance mode; the association is an explicit opt-in and this construct warns at synth with the replacement to use, so the validator\'s note repeats that warning.');
    }
  }
}

/** A role as a grantee whose grants go to one managed policy attached to it. */
class ManagedPolicyGrantee implements iam.IGrantable {
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(role: iam.IRole, policy: iam.ManagedPolicy) {
    this.grantPrincipal = new ManagedPolicyPrincipal(role, policy);
  }
}

class ManagedPolicyPrincipal extends iam.PrincipalBase {
  public readonly assumeRoleAction = 'sts:AssumeRole';

  constructor(private readonly role: iam.IRole, private readonly policy: iam.ManagedPolicy) {
    super();
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    return this.role.grantPrincipal.policyFragment;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }

  public dedupeString(): string | undefined {
    return undefined;
  }
}
