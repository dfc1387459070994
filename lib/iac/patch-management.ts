/**
 * IAC-6 PatchManagement: Patch Manager for a patch group of EC2 and on-premises nodes, with the
 * pieces around it that CloudFormation leaves to the user.
 *
 * The predefined baselines (`AWS-AmazonLinux2023DefaultPatchBaseline` and the others) cannot be
 * changed, so the construct creates a custom baseline (approval rules with typed classification
 * and severity filters, approved and rejected patches) and registers it for one patch group: the
 * nodes whose `Patch Group` tag holds that value. A maintenance window on a schedule that must
 * parse as Systems Manager reads it, whose cutoff must leave time inside its duration, targets
 * those nodes by tag and runs `AWS-RunPatchBaseline` with a custom, least-privilege task role; the
 * command output lands in a KMS-encrypted bucket, written by the nodes themselves
 * ({@link PatchManagement.grantOutputWrite}). Next to it: a composite Command document that
 * downloads a document (`aws:downloadContent`) and runs it (`aws:runDocument`); an Automation
 * runbook that launches an instance, patches it, images it and terminates it (a patched AMI on
 * demand, never at deploy); and the service role for a hybrid activation of on-premises servers
 * (CloudFormation has no activation resource, so the stack outputs the `create-activation` command).
 * Failed window tasks and failed AMI builds reach the notification topic.
 */
import { CfnOutput, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { addEventNotification } from '../core/event-notification';
import { acknowledgeNotReplicated } from '../core/not-replicated';
import { NotificationTopic } from '../core/notification-topic';
import { SecureBucket } from '../core/secure-bucket';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';
import { DownloadSource } from './download-source';
import {
  PatchApprovalRule, PatchClassification, PatchComplianceLevel, PatchGroupTagKey, PatchOperatingSystem,
  PatchOperation, PatchRebootOption, PatchSeverity,
} from './patch-baseline-rules';
import { ssmScheduleProblem } from './ssm-schedule';

/** The composite Command document: download a document, then run it. */
export interface CompositeDocumentOptions {
  /** Where `aws:downloadContent` fetches the document. */
  readonly source: DownloadSource;
  /**
   * Parameters for the downloaded document, passed by `aws:runDocument`.
   * @default - the downloaded document's defaults
   */
  readonly documentParameters?: Record<string, string>;
}

/** The Automation runbook that builds a patched AMI. */
export interface AmiBuildOptions {
  /**
   * The public SSM parameter that names the source AMI, resolved when the automation starts.
   * @default '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64'
   */
  readonly sourceAmiParameter?: string;

  /**
   * The build instance's type.
   * @default t3.micro
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The subnet the build instance starts in; it needs a route to the Systems Manager endpoints.
   * @default - EC2 picks a subnet of the region's default VPC
   */
  readonly subnet?: ec2.ISubnet;
}

/** Props for {@link PatchManagement}. */
export interface PatchManagementProps {
  /** The patch group: the value of the nodes' `Patch Group` tag, registered with the baseline. */
  readonly patchGroup: string;

  /**
   * The tag key that holds the patch group.
   * @default PatchGroupTagKey.PATCH_GROUP
   */
  readonly patchGroupTagKey?: PatchGroupTagKey;

  /**
   * The operating system of the baseline.
   * @default PatchOperatingSystem.AMAZON_LINUX_2023
   */
  readonly operatingSystem?: PatchOperatingSystem;

  /**
   * The approval rules of the baseline.
   * @default - security patches of critical and important severity, 7 days after release,
   * reported as CRITICAL when missing
   */
  readonly approvalRules?: PatchApprovalRule[];

  /**
   * Patches approved whatever the rules say (package names or KB ids).
   * @default - none
   */
  readonly approvedPatches?: string[];

  /**
   * Patches never installed, even as a dependency (`RejectedPatchesAction: BLOCK`).
   * @default - none
   */
  readonly rejectedPatches?: string[];

  /**
   * When the window opens: a Systems Manager cron, rate or at expression, written with
   * `events.Schedule.cron()`, `.rate()` or `.expression()`.
   */
  readonly schedule: events.Schedule;

  /**
   * The IANA time zone the schedule is read in (`Europe/Berlin`).
   * @default - UTC
   */
  readonly scheduleTimezone?: string;

  /**
   * How long the window stays open, 1 to 24 hours (whole hours).
   * @default Duration.hours(3)
   */
  readonly duration?: Duration;

  /**
   * How long before the window closes no new task starts, 0 to 23 hours, less than `duration`.
   * @default Duration.hours(1)
   */
  readonly cutoff?: Duration;

  /**
   * What `AWS-RunPatchBaseline` does.
   * @default PatchOperation.INSTALL
   */
  readonly operation?: PatchOperation;

  /**
   * Whether nodes reboot after installing.
   * @default PatchRebootOption.REBOOT_IF_NEEDED
   */
  readonly rebootOption?: PatchRebootOption;

  /**
   * How many nodes are patched at once: a number or a percentage.
   * @default '10%'
   */
  readonly maxConcurrency?: string;

  /**
   * How many failures stop the task: a number or a percentage.
   * @default '10%'
   */
  readonly maxErrors?: string;

  /**
   * The bucket the command output goes to. The nodes write it with their own credentials.
   * @default - a new KMS-encrypted SecureBucket
   */
  readonly outputBucket?: s3.IBucket;

  /**
   * The key prefix of the command output.
   * @default 'patching'
   */
  readonly outputKeyPrefix?: string;

  /**
   * The composite document (`aws:downloadContent` then `aws:runDocument`).
   * @default - no composite document
   */
  readonly compositeDocument?: CompositeDocumentOptions;

  /**
   * The AMI build runbook's settings.
   * @default - Amazon Linux 2023, t3.micro, the default VPC
   */
  readonly amiBuild?: AmiBuildOptions;

  /**
   * How many on-premises servers the printed `create-activation` command lets register.
   * @default 10
   */
  readonly hybridRegistrationLimit?: number;

  /**
   * Where a person is told about failed patch tasks and AMI builds.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

const DEFAULT_SOURCE_AMI = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
/** The tag the AMI build puts on its instance and volume, and the only instances it may stop, image or terminate. */
const BUILD_TAG = 'devops-patterns:ami-build';
const DOWNLOAD_DIR = 'downloads';
/** Names of windows, baselines: ^[a-zA-Z0-9_\-.]{3,128}$ (AWS::SSM::MaintenanceWindow Name, AWS::SSM::PatchBaseline Name). */
const SSM_NAME_MAX = 128;
/** Tag values and patch group names (AWS::SSM::PatchBaseline PatchGroups: 1-256 characters). */
const PATCH_GROUP = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;
/** RegisterTaskWithMaintenanceWindow MaxConcurrency / MaxErrors patterns. */
const MAX_CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const MAX_ERRORS = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;

/**
 * IAC-6: a custom patch baseline for a patch group, a maintenance window that patches the group's
 * nodes with `AWS-RunPatchBaseline` and keeps the output in an encrypted bucket, a composite
 * Command document, an AMI build runbook and a hybrid activation role.
 *
 * ```ts
 * const patching = new PatchManagement(this, 'Patching', {
 *   patchGroup: 'web',
 *   schedule: events.Schedule.cron({ weekDay: 'SUN', hour: '3', minute: '0' }),
 *   scheduleTimezone: 'Europe/Berlin',
 * });
 * patching.grantOutputWrite(instanceRole);
 * ```
 */
export class PatchManagement extends Construct {
  /** The custom patch baseline, registered for the patch group. */
  public readonly patchBaseline: ssm.CfnPatchBaseline;
  /** The maintenance window. */
  public readonly maintenanceWindow: ssm.CfnMaintenanceWindow;
  /** The window target: the nodes tagged with the patch group. */
  public readonly windowTarget: ssm.CfnMaintenanceWindowTarget;
  /** The `AWS-RunPatchBaseline` task. */
  public readonly patchTask: ssm.CfnMaintenanceWindowTask;
  /** The role Systems Manager assumes to run the task. */
  public readonly taskRole: ServiceRole;
  /** Where the command output goes. */
  public readonly outputBucket: s3.IBucket;
  /** The key prefix of the command output. */
  public readonly outputKeyPrefix: string;
  /** The composite document, when asked for. */
  public readonly compositeDocument?: ssm.CfnDocument;
  /** The Automation runbook that builds a patched AMI. */
  public readonly amiBuildDocument: ssm.CfnDocument;
  /** The role the AMI build runbook runs as. */
  public readonly automationRole: ServiceRole;
  /** The role of the AMI build instance. */
  public readonly buildInstanceRole: ServiceRole;
  /** The instance profile of the AMI build instance. */
  public readonly buildInstanceProfile: iam.InstanceProfile;
  /** The service role of a hybrid activation: the credentials on-premises nodes get. */
  public readonly hybridActivationRole: ServiceRole;
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;
  /** The rules that tell the topic about failed patch tasks and AMI builds. */
  public readonly rules: events.Rule[] = [];

  private readonly outputKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: PatchManagementProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const os = props.operatingSystem ?? PatchOperatingSystem.AMAZON_LINUX_2023;
    const rules = props.approvalRules ?? [defaultRule(os)];
    const duration = props.duration ?? Duration.hours(3);
    const cutoff = props.cutoff ?? Duration.hours(1);
    const durationHours = duration.toHours({ integral: false });
    const cutoffHours = cutoff.toHours({ integral: false });
    const maxConcurrency = props.maxConcurrency ?? '10%';
    const maxErrors = props.maxErrors ?? '10%';
    this.outputKeyPrefix = (props.outputKeyPrefix ?? 'patching').replace(/\/+$/, '');

    const check = new PropsCheck(this, 'PatchManagement');
    check.matches('patchGroup', props.patchGroup, PATCH_GROUP, '1 to 256 letters, digits, spaces or _.:/=+-@');
    const expression = props.schedule.expressionString;
    if (!Token.isUnresolved(expression)) {
      // docs.aws.amazon.com/systems-manager/latest/userguide/reference-cron-and-rate-expressions.html
      const problem = ssmScheduleProblem(expression);
      check.require(problem === undefined, `schedule "${expression}" does not parse as a Systems Manager maintenance window schedule: ${problem}`);
    }
    if (props.scheduleTimezone !== undefined && !Token.isUnresolved(props.scheduleTimezone)) {
      check.require(isTimeZone(props.scheduleTimezone), `scheduleTimezone must be an IANA time zone such as Europe/Berlin, got "${props.scheduleTimezone}"`);
    }
    // AWS::SSM::MaintenanceWindow: Duration 1-24 hours, Cutoff 0-23 hours, and the cutoff must be
    // shorter than the duration (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ssm-maintenancewindow.html).
    check.require(Number.isInteger(durationHours) && durationHours >= 1 && durationHours <= 24, `duration must be 1 to 24 whole hours, got ${durationHours} hours`);
    check.require(Number.isInteger(cutoffHours) && cutoffHours >= 0 && cutoffHours <= 23, `cutoff must be 0 to 23 whole hours, got ${cutoffHours} hours`);
    check.require(cutoffHours < durationHours,
      `the window (duration ${durationHours} hours) must be longer than its cutoff (${cutoffHours} hours): no task could start`);
    check.matches('maxConcurrency', maxConcurrency, MAX_CONCURRENCY, 'a number of nodes (1, 2, ...) or a percentage (1% to 100%)');
    check.matches('maxErrors', maxErrors, MAX_ERRORS, 'a number of errors (0, 1, ...) or a percentage (0% to 100%)');
    rules.forEach((rule, i) => {
      // PatchRule: ApproveAfterDays 0-360 (docs.aws.amazon.com/systems-manager/latest/APIReference/API_PatchRule.html).
      check.inRange(`approvalRules[${i}].approveAfterDays`, rule.approveAfterDays, 0, 360);
      check.require((rule.classifications?.length ?? 0) + (rule.severities?.length ?? 0) > 0,
        `approvalRules[${i}] must name classifications or severities: a rule without filters would approve every patch`);
    });
    check.require(rules.length <= 10, `a patch baseline holds at most 10 approval rules, got ${rules.length}`);
    check.positiveWholeNumber('hybridRegistrationLimit', props.hybridRegistrationLimit);
    check.require(!props.outputKeyPrefix || !props.outputKeyPrefix.startsWith('/'), 'outputKeyPrefix must not start with /');
    check.throwIfAny();

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', { displayName: 'Patch management' }).topic;

    if (props.outputBucket) {
      this.outputBucket = props.outputBucket;
      this.outputKey = props.outputBucket.encryptionKey;
    } else {
      const secure = new SecureBucket(this, 'Output');
      acknowledgeNotReplicated(secure.bucket, 'Patch command output is a per-run record of what was installed on each node; patch compliance itself stays in Systems Manager, so a second-region copy protects nothing an operator needs.');
      this.outputBucket = secure.bucket;
      this.outputKey = secure.encryptionKey;
    }

    const baseName = Names.uniqueResourceName(this, { maxLength: SSM_NAME_MAX - 10, separator: '-' });
    const tagKey = props.patchGroupTagKey ?? PatchGroupTagKey.PATCH_GROUP;

    this.patchBaseline = new ssm.CfnPatchBaseline(this, 'Baseline', {
      name: `${baseName}-baseline`,
      description: `Custom patch baseline of patch group ${props.patchGroup} (${this.node.path})`.slice(0, 1024),
      operatingSystem: os,
      approvalRules: { patchRules: rules.map((r) => patchRule(r, os)) },
      approvedPatches: props.approvedPatches,
      rejectedPatches: props.rejectedPatches,
      rejectedPatchesAction: props.rejectedPatches?.length ? 'BLOCK' : undefined,
      patchGroups: [props.patchGroup],
    });

    this.maintenanceWindow = new ssm.CfnMaintenanceWindow(this, 'Window', {
      name: `${baseName}-window`,
      description: `Patches patch group ${props.patchGroup} (${this.node.path})`.slice(0, 128),
      schedule: expression,
      scheduleTimezone: props.scheduleTimezone,
      duration: durationHours,
      cutoff: cutoffHours,
      allowUnassociatedTargets: false,
    });

    this.windowTarget = new ssm.CfnMaintenanceWindowTarget(this, 'Target', {
      windowId: this.maintenanceWindow.ref,
      resourceType: 'INSTANCE',
      name: `${baseName}-nodes`,
      description: `Nodes tagged ${tagKey}=${props.patchGroup}`.slice(0, 128),
      targets: [{ key: `tag:${tagKey}`, values: [props.patchGroup] }],
    });

    this.taskRole = this.createTaskRole();
    this.patchTask = new ssm.CfnMaintenanceWindowTask(this, 'PatchTask', {
      windowId: this.maintenanceWindow.ref,
      name: `${baseName}-patch`,
      description: `AWS-RunPatchBaseline ${props.operation ?? PatchOperation.INSTALL} on patch group ${props.patchGroup}`.slice(0, 128),
      taskType: 'RUN_COMMAND',
      taskArn: 'AWS-RunPatchBaseline',
      priority: 1,
      targets: [{ key: 'WindowTargetIds', values: [this.windowTarget.ref] }],
      maxConcurrency,
      maxErrors,
      serviceRoleArn: this.taskRole.roleArn,
      cutoffBehavior: 'CANCEL_TASK',
      taskInvocationParameters: {
        maintenanceWindowRunCommandParameters: {
          parameters: {
            Operation: [props.operation ?? PatchOperation.INSTALL],
            RebootOption: [props.rebootOption ?? PatchRebootOption.REBOOT_IF_NEEDED],
          },
          outputS3BucketName: this.outputBucket.bucketName,
          outputS3KeyPrefix: this.outputKeyPrefix,
        },
      },
    });
    this.patchTask.node.addDependency(this.taskRole.grantsDependable);

    if (props.compositeDocument) this.compositeDocument = this.createCompositeDocument(props.compositeDocument);

    this.buildInstanceRole = this.createBuildInstanceRole();
    this.buildInstanceProfile = new iam.InstanceProfile(this, 'BuildInstanceProfile', { role: this.buildInstanceRole });
    this.automationRole = this.createAutomationRole();
    this.amiBuildDocument = this.createAmiBuildDocument(props.amiBuild ?? {});

    this.hybridActivationRole = this.createHybridRole();
    this.grantOutputWrite(this.hybridActivationRole);
    new CfnOutput(this, 'CreateActivationCommand', {
      description: `Registers on-premises servers for ${this.node.path} (CloudFormation has no activation resource); tag them ${tagKey}=${props.patchGroup} after they register`,
      value: `aws ssm create-activation --region ${stack.region} --iam-role ${this.hybridActivationRole.roleName} `
        + `--registration-limit ${props.hybridRegistrationLimit ?? 10} --default-instance-name ${props.patchGroup.replace(/[^A-Za-z0-9_.-]/g, '-')}`,
    });

    this.notifyFailures();
  }

  /**
   * Lets `grantee` write the patch command output: `s3:PutObject` under the output prefix, the
   * bucket's encryption configuration, and the bucket key. Grant it to the instance profile role
   * of every EC2 node of the patch group: SSM Agent uploads the output with the node's own
   * credentials, not with the task role
   * (docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html). The
   * hybrid activation role gets it already.
   */
  public grantOutputWrite(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [this.outputBucket.arnForObjects(`${this.outputKeyPrefix}/*`)],
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetEncryptionConfiguration'], resourceArns: [this.outputBucket.bucketArn] });
    this.outputKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
    if (grantee.grantPrincipal instanceof ServiceRole) {
      grantee.grantPrincipal.acknowledgeWildcardResource(this.outputBucket.arnForObjects(`${this.outputKeyPrefix}/*`),
        'SSM Agent names each output object after the command id, instance id and plugin at run time; the grant covers only the patch output prefix of this bucket.');
    }
    return grant;
  }

  /** The role Systems Manager assumes for the task: send AWS-RunPatchBaseline to the targets and follow it. */
  private createTaskRole(): ServiceRole {
    const stack = Stack.of(this);
    // A custom role rather than the service-linked role, as the SSM API reference recommends for
    // maintenance window tasks (MaintenanceWindowTask.ServiceRoleArn,
    // docs.aws.amazon.com/systems-manager/latest/APIReference/API_RegisterTaskWithMaintenanceWindow.html).
    const role = new ServiceRole(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
      description: `Runs the patch task of ${this.node.path}`.slice(0, 1000),
    });
    const instances = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
    const managedInstances = stack.formatArn({ service: 'ssm', resource: 'managed-instance', resourceName: '*' });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ssm:SendCommand'],
      resources: [awsDocumentArn(stack, 'AWS-RunPatchBaseline'), instances, managedInstances],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ssm:CancelCommand', 'ssm:ListCommands', 'ssm:ListCommandInvocations', 'ssm:GetCommandInvocation'],
      resources: ['*'],
    }));
    const reason = 'The window resolves its targets from the patch group tag at run time, so the node ids are not known at deploy time; the command is limited to the AWS-RunPatchBaseline document.';
    role.acknowledgeWildcardResource(instances, reason);
    role.acknowledgeWildcardResource(managedInstances, reason);
    role.acknowledgeWildcardResource('*', 'ListCommands, ListCommandInvocations, GetCommandInvocation and CancelCommand take no resource ARN (Service Authorization Reference, Systems Manager), so they can only be granted on *.');
    return role;
  }

  private createCompositeDocument(options: CompositeDocumentOptions): ssm.CfnDocument {
    const stack = Stack.of(this);
    const { source } = options;
    return new ssm.CfnDocument(this, 'CompositeDocument', {
      documentType: 'Command',
      documentFormat: 'JSON',
      updateMethod: 'NewVersion',
      content: {
        schemaVersion: '2.2',
        description: `Downloads ${source.fileName} (${source.sourceType}) and runs it (${this.node.path})`,
        mainSteps: [
          {
            action: 'aws:downloadContent',
            name: 'DownloadDocument',
            inputs: { sourceType: source.sourceType, sourceInfo: stack.toJsonString(source.sourceInfo), destinationPath: DOWNLOAD_DIR },
          },
          {
            action: 'aws:runDocument',
            name: 'RunDownloadedDocument',
            inputs: {
              documentType: 'LocalPath',
              documentPath: `${DOWNLOAD_DIR}/${source.fileName}`,
              ...(options.documentParameters ? { documentParameters: stack.toJsonString(options.documentParameters) } : {}),
            },
          },
        ],
      },
    });
  }

  private createBuildInstanceRole(): ServiceRole {
    const role = new ServiceRole(this, 'BuildInstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Instance role of the AMI build of ${this.node.path}: Systems Manager only`.slice(0, 1000),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    acknowledge(role.node.defaultChild!, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'The build instance is patched through Run Command and has no SSH key; AmazonSSMManagedInstanceCore is the AWS maintained minimum for SSM Agent and grants nothing on other resources.');
    return role;
  }

  /** The role the AMI build runs as: launch, command, stop, image and terminate only its own tagged instance. */
  private createAutomationRole(): ServiceRole {
    const stack = Stack.of(this);
    // Trust scoped to automation executions of this account
    // (docs.aws.amazon.com/systems-manager/latest/userguide/cross-service-confused-deputy-prevention.html).
    const role = new ServiceRole(this, 'AutomationRole', {
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ssm', region: '*', resource: 'automation-execution', resourceName: '*' }) },
      }),
      description: `Runs the AMI build of ${this.node.path}`.slice(0, 1000),
    });
    const ec2Arn = (resource: string, account = stack.account) => stack.formatArn({ service: 'ec2', account, resource, resourceName: '*' });
    const tagValue = this.buildTagValue;
    // RunInstances authorizes every resource it touches
    // (docs.aws.amazon.com/AWSEC2/latest/UserGuide/ExamplePolicies_EC2.html#iam-example-runinstances):
    // the instance and its volumes only with the build tag, the rest as they are.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:RunInstances'],
      resources: [ec2Arn('instance'), ec2Arn('volume')],
      conditions: { StringEquals: { [`aws:RequestTag/${BUILD_TAG}`]: tagValue } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:RunInstances'],
      resources: [ec2Arn('image', ''), ec2Arn('subnet'), ec2Arn('security-group'), ec2Arn('network-interface')],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:CreateTags'],
      resources: [ec2Arn('instance'), ec2Arn('volume')],
      conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:StopInstances', 'ec2:TerminateInstances', 'ec2:CreateImage'],
      resources: [ec2Arn('instance')],
      conditions: { StringEquals: { [`aws:ResourceTag/${BUILD_TAG}`]: tagValue } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:CreateImage'],
      resources: [ec2Arn('image', ''), ec2Arn('snapshot', '')],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ssm:SendCommand'],
      resources: [awsDocumentArn(stack, 'AWS-RunPatchBaseline'), ec2Arn('instance')],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'ec2:DescribeImages',
        'ssm:DescribeInstanceInformation', 'ssm:ListCommands', 'ssm:ListCommandInvocations', 'ssm:GetCommandInvocation'],
      resources: ['*'],
    }));
    // The build instance's role, to EC2 only.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [this.buildInstanceRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    }));
    const launched = 'The build instance, its volume, image and snapshot get their ids when the automation runs; instance and volume are limited by the build tag the runbook sets at launch.';
    for (const r of ['instance', 'volume', 'subnet', 'security-group', 'network-interface']) role.acknowledgeWildcardResource(ec2Arn(r), launched);
    for (const r of ['image', 'snapshot']) role.acknowledgeWildcardResource(ec2Arn(r, ''), launched);
    role.acknowledgeWildcardResource('*', 'The Describe and List calls the runbook polls with take no resource ARN (Service Authorization Reference, EC2 and Systems Manager), so they can only be granted on *.');
    return role;
  }

  /** The value of the build tag: unique to this construct. */
  private get buildTagValue(): string {
    return Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
  }

  /**
   * The AMI build runbook, in the shape of AWS-UpdateLinuxAmi: launch from the source AMI, patch
   * with AWS-RunPatchBaseline, stop, image, terminate; a failure after launch still terminates
   * (docs.aws.amazon.com/systems-manager/latest/userguide/automation-actions.html).
   */
  private createAmiBuildDocument(options: AmiBuildOptions): ssm.CfnDocument {
    const instanceIds = ['{{ LaunchInstance.InstanceIds }}'];
    const tags = [{ Key: BUILD_TAG, Value: this.buildTagValue }, { Key: 'Name', Value: `ami-build ${this.node.path}`.slice(0, 256) }];
    const terminateOnFailure = { onFailure: 'step:TerminateInstance', isCritical: true };
    return new ssm.CfnDocument(this, 'AmiBuild', {
      documentType: 'Automation',
      documentFormat: 'JSON',
      updateMethod: 'NewVersion',
      content: {
        schemaVersion: '0.3',
        description: `Builds a patched AMI: launch, AWS-RunPatchBaseline, image, terminate (${this.node.path})`,
        assumeRole: '{{ AutomationAssumeRole }}',
        parameters: {
          AutomationAssumeRole: { type: 'String', description: 'The role the automation runs as.', default: this.automationRole.roleArn },
          SourceAmiId: { type: 'String', description: 'The AMI to patch.', default: `{{ssm:${options.sourceAmiParameter ?? DEFAULT_SOURCE_AMI}}}` },
          InstanceType: { type: 'String', description: 'The build instance type.', default: (options.instanceType ?? new ec2.InstanceType('t3.micro')).toString() },
          IamInstanceProfileName: { type: 'String', description: 'The build instance profile.', default: this.buildInstanceProfile.instanceProfileName },
          TargetAmiName: { type: 'String', description: 'The name of the new AMI.', default: 'patched-{{global:DATE_TIME}}' },
        },
        mainSteps: [
          {
            name: 'LaunchInstance',
            action: 'aws:runInstances',
            maxAttempts: 3,
            timeoutSeconds: 1200,
            onFailure: 'Abort',
            inputs: {
              ImageId: '{{ SourceAmiId }}',
              InstanceType: '{{ InstanceType }}',
              MinInstanceCount: 1,
              MaxInstanceCount: 1,
              IamInstanceProfileName: '{{ IamInstanceProfileName }}',
              ...(options.subnet ? { SubnetId: options.subnet.subnetId } : {}),
              TagSpecifications: [{ ResourceType: 'instance', Tags: tags }, { ResourceType: 'volume', Tags: tags }],
            },
          },
          {
            name: 'InstallPatches',
            action: 'aws:runCommand',
            maxAttempts: 3,
            timeoutSeconds: 3600,
            ...terminateOnFailure,
            inputs: { DocumentName: 'AWS-RunPatchBaseline', InstanceIds: instanceIds, Parameters: { Operation: 'Install', RebootOption: 'RebootIfNeeded' } },
          },
          {
            name: 'StopInstance',
            action: 'aws:changeInstanceState',
            maxAttempts: 3,
            timeoutSeconds: 1200,
            ...terminateOnFailure,
            inputs: { InstanceIds: instanceIds, DesiredState: 'stopped' },
          },
          {
            name: 'CreateImage',
            action: 'aws:createImage',
            maxAttempts: 3,
            ...terminateOnFailure,
            inputs: { InstanceId: '{{ LaunchInstance.InstanceIds }}', ImageName: '{{ TargetAmiName }}', NoReboot: true },
          },
          {
            name: 'TerminateInstance',
            action: 'aws:changeInstanceState',
            maxAttempts: 3,
            onFailure: 'Continue',
            isEnd: true,
            inputs: { InstanceIds: instanceIds, DesiredState: 'terminated' },
          },
        ],
        outputs: ['CreateImage.ImageId'],
      },
    });
  }

  /** The role a hybrid activation hands to on-premises nodes. */
  private createHybridRole(): ServiceRole {
    const stack = Stack.of(this);
    // aws:SourceArn of a hybrid activation is the account's ARN in the activation's region
    // (docs.aws.amazon.com/systems-manager/latest/userguide/hybrid-multicloud-service-role.html,
    // .../cross-service-confused-deputy-prevention.html#hybrid-activation-policy-example).
    const role = new ServiceRole(this, 'HybridActivationRole', {
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnEquals: { 'aws:SourceArn': `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:*` },
      }),
      description: `Service role of hybrid activations for ${this.node.path}: what on-premises nodes may do`.slice(0, 1000),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    acknowledge(role.node.defaultChild!, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'AmazonSSMManagedInstanceCore is the policy AWS documents for the hybrid activation service role: the minimum SSM Agent on an on-premises node needs, kept current by AWS.');
    return role;
  }

  /** Failed patch tasks and failed AMI builds, in words, to the topic. */
  private notifyFailures(): void {
    const field = (path: string) => events.EventField.fromPath(path);
    // docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-systems-manager-event-examples.html
    const taskRule = new events.Rule(this, 'PatchTaskFailed', {
      description: `A patch task of ${this.node.path} failed, timed out or was cancelled`.slice(0, 512),
      eventPattern: {
        source: ['aws.ssm'],
        detailType: ['Maintenance Window Task Execution State-change Notification'],
        detail: { 'window-id': [this.maintenanceWindow.ref], 'status': ['FAILED', 'TIMED_OUT', 'CANCELLED'] },
      },
    });
    addEventNotification(taskRule, this.notificationTopic,
      `The patch task of maintenance window ${field('$.detail.window-id')} ended ${field('$.detail.status')} in ${field('$.account')} ${field('$.region')} `
      + `(window execution ${field('$.detail.window-execution-id')}). The command output is in s3://${this.outputBucket.bucketName}/${this.outputKeyPrefix}/; `
      + 'patch compliance shows which nodes are missing patches.');
    const buildRule = new events.Rule(this, 'AmiBuildFailed', {
      description: `The AMI build of ${this.node.path} failed, timed out or was cancelled`.slice(0, 512),
      eventPattern: {
        source: ['aws.ssm'],
        detailType: ['EC2 Automation Execution Status-change Notification'],
        detail: { Definition: [this.amiBuildDocument.ref], Status: ['Failed', 'TimedOut', 'Cancelled'] },
      },
    });
    addEventNotification(buildRule, this.notificationTopic,
      `The AMI build ${field('$.detail.ExecutionId')} of runbook ${field('$.detail.Definition')} ended ${field('$.detail.Status')} in ${field('$.account')} ${field('$.region')}. `
      + 'The runbook terminates its build instance after a failure; its steps show where it stopped.');
    this.rules.push(taskRule, buildRule);
  }
}

function defaultRule(os: PatchOperatingSystem): PatchApprovalRule {
  const windows = os === PatchOperatingSystem.WINDOWS;
  return {
    classifications: windows
      ? [PatchClassification.WINDOWS_SECURITY_UPDATES, PatchClassification.WINDOWS_CRITICAL_UPDATES]
      : [PatchClassification.SECURITY],
    severities: [PatchSeverity.CRITICAL, PatchSeverity.IMPORTANT],
    approveAfterDays: 7,
    complianceLevel: PatchComplianceLevel.CRITICAL,
  };
}

function patchRule(rule: PatchApprovalRule, os: PatchOperatingSystem): ssm.CfnPatchBaseline.RuleProperty {
  const filters: ssm.CfnPatchBaseline.PatchFilterProperty[] = [];
  if (rule.classifications?.length) filters.push({ key: 'CLASSIFICATION', values: rule.classifications.map((c) => c.value) });
  // Windows rates severity with the Microsoft Security Response Center scale (MSRC_SEVERITY).
  if (rule.severities?.length) filters.push({ key: os === PatchOperatingSystem.WINDOWS ? 'MSRC_SEVERITY' : 'SEVERITY', values: rule.severities.map((s) => s.value) });
  return {
    approveAfterDays: rule.approveAfterDays ?? 7,
    complianceLevel: rule.complianceLevel ?? PatchComplianceLevel.UNSPECIFIED,
    enableNonSecurity: os === PatchOperatingSystem.WINDOWS ? undefined : rule.enableNonSecurity ?? false,
    patchFilterGroup: { patchFilters: filters },
  };
}

/**
 * The ARN of a document AWS owns, as IAM policies name it: an empty account field
 * (`arn:aws:ssm:<region>::document/AWS-RunPatchBaseline`; "The account ID shouldn't be specified
 * in the ARN for Amazon owned public documents",
 * docs.aws.amazon.com/systems-manager/latest/userguide/automation-setup-identity-based-policies.html).
 */
function awsDocumentArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: name });
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return /^[A-Za-z]/.test(zone);
  } catch {
    return false;
  }
}
