/**
 * IAC-6 helper types: what a custom patch baseline approves, and how the maintenance window runs
 * `AWS-RunPatchBaseline`. The allowed values come from the CloudFormation reference of
 * AWS::SSM::PatchBaseline (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ssm-patchbaseline.html)
 * and the Patch Manager filter reference (docs.aws.amazon.com/systems-manager/latest/APIReference/API_PatchFilter.html).
 */

/** The operating system a patch baseline is for (AWS::SSM::PatchBaseline OperatingSystem). */
export enum PatchOperatingSystem {
  /** Amazon Linux 2023. */
  AMAZON_LINUX_2023 = 'AMAZON_LINUX_2023',
  /** Amazon Linux 2. */
  AMAZON_LINUX_2 = 'AMAZON_LINUX_2',
  /** Red Hat Enterprise Linux. */
  REDHAT_ENTERPRISE_LINUX = 'REDHAT_ENTERPRISE_LINUX',
  /** Rocky Linux. */
  ROCKY_LINUX = 'ROCKY_LINUX',
  /** AlmaLinux. */
  ALMA_LINUX = 'ALMA_LINUX',
  /** Oracle Linux. */
  ORACLE_LINUX = 'ORACLE_LINUX',
  /** CentOS. */
  CENTOS = 'CENTOS',
  /** SUSE Linux Enterprise Server. */
  SUSE = 'SUSE',
  /** Windows Server. */
  WINDOWS = 'WINDOWS',
}

/**
 * A patch classification (the CLASSIFICATION filter). The constants are the values of the Amazon
 * Linux / RHEL family; Windows and SUSE use other names, given with {@link PatchClassification.of}.
 */
export class PatchClassification {
  /** Security updates. */
  public static readonly SECURITY = new PatchClassification('Security');
  /** Bug fixes. */
  public static readonly BUGFIX = new PatchClassification('Bugfix');
  /** Enhancements. */
  public static readonly ENHANCEMENT = new PatchClassification('Enhancement');
  /** Recommended updates. */
  public static readonly RECOMMENDED = new PatchClassification('Recommended');
  /** New packages. */
  public static readonly NEWPACKAGE = new PatchClassification('Newpackage');
  /** Windows Server: security updates. */
  public static readonly WINDOWS_SECURITY_UPDATES = new PatchClassification('SecurityUpdates');
  /** Windows Server: critical updates. */
  public static readonly WINDOWS_CRITICAL_UPDATES = new PatchClassification('CriticalUpdates');

  /** Any other value the operating system's CLASSIFICATION filter accepts. */
  public static of(value: string): PatchClassification {
    return new PatchClassification(value);
  }

  private constructor(/** The filter value. */ public readonly value: string) {}
}

/**
 * A patch severity (the SEVERITY filter, MSRC_SEVERITY on Windows). The constants are the values
 * of the Amazon Linux / RHEL family; others are given with {@link PatchSeverity.of}.
 */
export class PatchSeverity {
  /** Critical. */
  public static readonly CRITICAL = new PatchSeverity('Critical');
  /** Important. */
  public static readonly IMPORTANT = new PatchSeverity('Important');
  /** Medium. */
  public static readonly MEDIUM = new PatchSeverity('Medium');
  /** Low. */
  public static readonly LOW = new PatchSeverity('Low');

  /** Any other value the operating system's severity filter accepts (Windows: `Moderate`, `Unspecified`). */
  public static of(value: string): PatchSeverity {
    return new PatchSeverity(value);
  }

  private constructor(/** The filter value. */ public readonly value: string) {}
}

/** How a missing approved patch is reported in patch compliance. */
export enum PatchComplianceLevel {
  /** Critical. */
  CRITICAL = 'CRITICAL',
  /** High. */
  HIGH = 'HIGH',
  /** Medium. */
  MEDIUM = 'MEDIUM',
  /** Low. */
  LOW = 'LOW',
  /** Informational. */
  INFORMATIONAL = 'INFORMATIONAL',
  /** Unspecified. */
  UNSPECIFIED = 'UNSPECIFIED',
}

/** One approval rule of a custom patch baseline. */
export interface PatchApprovalRule {
  /**
   * The classifications the rule approves.
   * @default - every classification
   */
  readonly classifications?: PatchClassification[];

  /**
   * The severities the rule approves.
   * @default - every severity
   */
  readonly severities?: PatchSeverity[];

  /**
   * Days after a patch's release before it is approved, 0 to 360.
   * @default 7
   */
  readonly approveAfterDays?: number;

  /**
   * How a missing patch approved by this rule is reported.
   * @default PatchComplianceLevel.UNSPECIFIED
   */
  readonly complianceLevel?: PatchComplianceLevel;

  /**
   * Also install non-security updates from the repositories (Linux only).
   * @default false
   */
  readonly enableNonSecurity?: boolean;
}

/** What `AWS-RunPatchBaseline` does on each target. */
export enum PatchOperation {
  /** Install the approved patches that are missing. */
  INSTALL = 'Install',
  /** Only report which approved patches are missing. */
  SCAN = 'Scan',
}

/** Whether `AWS-RunPatchBaseline` reboots a node after installing. */
export enum PatchRebootOption {
  /** Reboot when a patch was installed and needs it. */
  REBOOT_IF_NEEDED = 'RebootIfNeeded',
  /** Never reboot; patches needing a reboot show as InstalledPendingReboot. */
  NO_REBOOT = 'NoReboot',
}

/**
 * The tag that puts a managed node in a patch group. `Patch Group` is the classic key;
 * `PatchGroup` (no space) is required where tags in instance metadata are on, since metadata tag
 * keys cannot hold spaces (docs.aws.amazon.com/systems-manager/latest/userguide/patch-manager-patch-groups.html).
 */
export enum PatchGroupTagKey {
  /** `Patch Group`. */
  PATCH_GROUP = 'Patch Group',
  /** `PatchGroup`, for nodes with tags in instance metadata. */
  PATCHGROUP = 'PatchGroup',
}
