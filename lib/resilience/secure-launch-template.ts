/**
 * The secure launch template that RES-1 (ManagedAutoScalingGroup) and RES-2 (SelfHealingInstance)
 * share: IMDSv2 only, an encrypted gp3 root volume, a security group without ingress and a role
 * with Systems Manager only. Internal to the resilience domain; not exported from the package.
 */
import { Lazy, Size, SizeRoundingBehavior, TagManager } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';

/** What the shared launch template is built from. */
export interface SecureLaunchTemplateOptions {
  readonly vpc: ec2.IVpc;
  readonly instanceType: ec2.InstanceType;
  readonly machineImage: ec2.IMachineImage;
  readonly userData?: ec2.UserData;
  readonly securityGroup?: ec2.ISecurityGroup;
  readonly role?: iam.IRole;
  readonly rootVolumeSize?: Size;
  readonly rootDeviceName?: string;
  readonly detailedMonitoring?: boolean;
  /** What the default role is for, after "Instance role of <path>: ". */
  readonly roleDescription: string;
  /** Enables hibernation (warm pools in the Hibernated state). */
  readonly hibernation?: boolean;
  /**
   * Tags the launch template also puts on the network interfaces of every instance, next to the
   * instance and its volumes (the L2 launch template tags only those two).
   */
  readonly tagNetworkInterfaces?: boolean;
}

/** The launch template and what it hands to every instance. */
export interface SecureLaunchTemplate {
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly securityGroup: ec2.ISecurityGroup;
  /** The role of the instances; a {@link ServiceRole} when the construct created it. */
  readonly role: iam.IRole;
  readonly instanceProfile: iam.IInstanceProfile;
  /** Whether the image is Windows. */
  readonly windows: boolean;
}

/** The size of the root volume when none is given. */
export const DEFAULT_ROOT_VOLUME_SIZE = Size.gibibytes(30);

/** Records a problem when `size` is not a size a gp3 volume can have. */
export function checkRootVolumeSize(check: PropsCheck, size: Size | undefined): void {
  if (size === undefined || size.isUnresolved()) return;
  const gib = size.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
  // gp3 volumes hold 1 GiB to 16 TiB (docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html).
  check.require(Number.isInteger(gib) && gib >= 1 && gib <= 16384, `rootVolumeSize must be a whole number of GiB from 1 to 16384 (gp3), got ${gib}`);
}

/**
 * Creates, under `scope` (ids `SecurityGroup`, `InstanceRole`, `InstanceProfile`,
 * `LaunchTemplate`), the security group, role, instance profile and launch template of the
 * instances, unless the security group or role is given.
 */
export function createSecureLaunchTemplate(scope: Construct, options: SecureLaunchTemplateOptions): SecureLaunchTemplate {
  const securityGroup = options.securityGroup ?? new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc: options.vpc,
    description: `Instance of ${scope.node.path}: no ingress unless added`.slice(0, 255),
    allowAllOutbound: true,
  });
  const role = options.role ?? createInstanceRole(scope, options.roleDescription);
  const instanceProfile = new iam.InstanceProfile(scope, 'InstanceProfile', { role });

  const windows = options.machineImage.getImage(scope).osType === ec2.OperatingSystemType.WINDOWS;
  const launchTemplate = new ec2.LaunchTemplate(scope, 'LaunchTemplate', {
    instanceType: options.instanceType,
    machineImage: options.machineImage,
    userData: options.userData,
    instanceProfile,
    securityGroup,
    detailedMonitoring: options.detailedMonitoring ?? true,
    // IMDSv2 only: a token is required for every metadata request.
    requireImdsv2: true,
    hibernationConfigured: options.hibernation ? true : undefined,
    blockDevices: [{
      deviceName: options.rootDeviceName ?? (windows ? '/dev/sda1' : '/dev/xvda'),
      // Encrypted with the account's EBS key (aws/ebs, AWS managed): the Auto Scaling
      // service-linked role can use it without a key policy statement.
      volume: ec2.BlockDeviceVolume.ebs((options.rootVolumeSize ?? DEFAULT_ROOT_VOLUME_SIZE).toGibibytes(), {
        encrypted: true,
        volumeType: ec2.EbsDeviceVolumeType.GP3,
        deleteOnTermination: true,
      }),
    }],
  });
  if (options.tagNetworkInterfaces) {
    // The L2 renders TagSpecifications for `instance` and `volume` from the launch template's tags
    // (Tags.of(...) included); `network-interface` is a valid resource type of launch template tag
    // specifications too (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ec2-launchtemplate-tagspecification.html).
    // Auto Scaling group tags reach instances only, never their volumes or network interfaces
    // (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html).
    (launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate).addPropertyOverride('LaunchTemplateData.TagSpecifications', Lazy.any({
      produce: () => {
        const tags = (TagManager.of(launchTemplate)?.renderTags() ?? []) as Array<{ Key: string; Value: string }>;
        return ['instance', 'volume', 'network-interface'].map((resourceType) => ({ ResourceType: resourceType, Tags: tags }));
      },
    }));
  }
  return { launchTemplate, securityGroup, role, instanceProfile, windows };
}

/** The default role: Systems Manager only, since there is no SSH key and no ingress. */
function createInstanceRole(scope: Construct, description: string): ServiceRole {
  const role = new ServiceRole(scope, 'InstanceRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description: `Instance role of ${scope.node.path}: ${description}`.slice(0, 1000),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
  });
  acknowledge(role.node.defaultChild!, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
    'The instance has no SSH key and its security group no ingress, so Systems Manager (Session Manager, Run Command, Patch Manager) is how a person reaches and patches it; AmazonSSMManagedInstanceCore is the AWS maintained minimum for the SSM agent and grants nothing on other resources.');
  return role;
}
