/**
 * RES-10 ScheduledSnapshots: EBS snapshots on a schedule, two ways.
 *
 * - Data Lifecycle Manager (the managed way): a lifecycle policy snapshots every volume carrying
 *   the target tags on a cron schedule, keeps the newest `retainCount`, and optionally copies each
 *   snapshot to other regions, encrypted with a key of that region, with its own retention.
 * - The notes' variant: EventBridge Scheduler calls EC2 `CreateSnapshot` directly (a universal
 *   target, no Lambda) for each volume named, with a role that may snapshot only those volumes.
 *   Scheduler does not delete old snapshots; DLM or AWS Backup does.
 *
 * AWS Backup is the better choice when snapshots must be governed across services and accounts
 * (vaults, vault lock, organization-wide backup policies, restore testing); DLM is the lighter
 * choice for EBS volumes and EBS-backed AMIs of one account.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as dlm from 'aws-cdk-lib/aws-dlm';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';

/** A copy of every snapshot into another region. */
export interface SnapshotCopy {
  /** The region to copy to. */
  readonly region: string;
  /**
   * The key of that region that encrypts the copies. A key passed in must let the lifecycle
   * role use it (kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey,
   * kms:CreateGrant).
   * @default - the region's default EBS encryption key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long copies are kept in that region, in whole days (DLM keeps cross-region copies by age,
   * not by count).
   * @default Duration.days(7)
   */
  readonly retainFor?: Duration;
}

/** Props for {@link ScheduledSnapshots}. */
export interface ScheduledSnapshotsProps {
  /**
   * Volumes carrying all of these tags are snapshotted by the lifecycle policy.
   */
  readonly targetTags: Record<string, string>;
  /**
   * When the lifecycle policy snapshots, a cron schedule (`events.Schedule.cron(...)`); DLM takes
   * cron expressions only.
   * @default - every day at 03:00 UTC
   */
  readonly schedule?: events.Schedule;
  /**
   * How many snapshots of each volume the lifecycle policy keeps, 1-1000.
   * @default 7
   */
  readonly retainCount?: number;
  /**
   * Cross-region copies of every snapshot.
   * @default - none
   */
  readonly copies?: SnapshotCopy[];
  /**
   * Volumes (`vol-...`) that EventBridge Scheduler snapshots directly with `CreateSnapshot`, on
   * `directSchedule`: the notes' variant, without a lifecycle policy's retention.
   * @default - none
   */
  readonly directVolumeIds?: string[];
  /**
   * When Scheduler snapshots `directVolumeIds`.
   * @default - every day at 04:00 UTC
   */
  readonly directSchedule?: scheduler.ScheduleExpression;
}

/** DLM's limits for a retain count (docs.aws.amazon.com/dlm/latest/APIReference/API_RetainRule.html). */
const MAX_RETAIN = 1000;
/** DLM allows at most three cross-region copy rules per schedule (API_CrossRegionCopyRule). */
const MAX_COPIES = 3;

/**
 * RES-10: EBS snapshots on a schedule, by a Data Lifecycle Manager policy (retention, optional
 * encrypted cross-region copies) and, for named volumes, by EventBridge Scheduler calling
 * `CreateSnapshot` directly.
 *
 * ```ts
 * new ScheduledSnapshots(this, 'Snapshots', {
 *   targetTags: { backup: 'daily' },
 *   retainCount: 14,
 *   copies: [{ region: 'eu-central-1' }],
 * });
 * ```
 */
export class ScheduledSnapshots extends Construct {
  /** The lifecycle policy. */
  public readonly lifecyclePolicy: dlm.CfnLifecyclePolicy;
  /** The role Data Lifecycle Manager works with. */
  public readonly lifecycleRole: ServiceRole;
  /** The Scheduler schedules, one per direct volume. */
  public readonly directSchedules: scheduler.Schedule[] = [];
  /** The role Scheduler calls CreateSnapshot with, when there are direct volumes. */
  public readonly schedulerRole?: ServiceRole;

  constructor(scope: Construct, id: string, props: ScheduledSnapshotsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const check = new PropsCheck(this, 'ScheduledSnapshots');
    check.require(Object.keys(props.targetTags).length > 0, 'targetTags must name at least one tag: a policy without target tags would snapshot nothing');
    check.inRange('retainCount', props.retainCount, 1, MAX_RETAIN);
    const expression = (props.schedule ?? events.Schedule.cron({ minute: '0', hour: '3' })).expressionString;
    check.require(expression.startsWith('cron('), `schedule must be a cron schedule (Data Lifecycle Manager takes cron expressions only), got ${expression}`);
    check.require((props.copies ?? []).length <= MAX_COPIES, `copies: Data Lifecycle Manager copies to at most ${MAX_COPIES} regions per schedule, got ${(props.copies ?? []).length}`);
    for (const [i, copy] of (props.copies ?? []).entries()) {
      check.require(copy.region !== stack.region, `copies[${i}].region is the stack's own region ${copy.region}: a copy belongs in another region`);
      const days = copy.retainFor?.toDays({ integral: false });
      check.require(days === undefined || (Number.isInteger(days) && days >= 1), `copies[${i}].retainFor must be a whole number of days, at least 1, got ${copy.retainFor?.toHumanString()}`);
    }
    for (const [i, volume] of (props.directVolumeIds ?? []).entries()) {
      check.matches(`directVolumeIds[${i}]`, volume, /^vol-[0-9a-f]{8,17}$/, 'an EBS volume id (vol-...)');
    }
    check.throwIfAny();

    const retainCount = props.retainCount ?? 7;
    this.lifecycleRole = new ServiceRole(this, 'LifecycleRole', {
      // The trust of the role DLM creates itself (AWSDataLifecycleManagerDefaultRole): the service, no conditions.
      assumedBy: new iam.ServicePrincipal('dlm.amazonaws.com'),
      description: `Data Lifecycle Manager snapshots of ${this.node.path}`.slice(0, 1000),
      // The service role policy AWS keeps in step with what DLM calls for EBS snapshots
      // (docs.aws.amazon.com/ebs/latest/userguide/service-role.html).
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSDataLifecycleManagerServiceRole')],
    });
    acknowledge(this.lifecycleRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole]',
      'AWSDataLifecycleManagerServiceRole is the service role policy AWS maintains for Data Lifecycle Manager snapshot policies; it covers exactly the EC2 snapshot calls DLM makes and follows them as the service changes.');
    for (const copy of props.copies ?? []) {
      if (copy.encryptionKey) {
        copy.encryptionKey.grant(this.lifecycleRole, 'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:CreateGrant');
      }
    }
    if ((props.copies ?? []).some((c) => c.encryptionKey)) {
      this.lifecycleRole.acknowledgeWildcardAction('kms:ReEncrypt*', 'Copying a snapshot into another region re-encrypts it with that region\'s key; the ReEncrypt variants are granted on the copy keys only.');
      this.lifecycleRole.acknowledgeWildcardAction('kms:GenerateDataKey*', 'Copying a snapshot into another region encrypts it with that region\'s key; the GenerateDataKey variants are granted on the copy keys only.');
    }

    this.lifecyclePolicy = new dlm.CfnLifecyclePolicy(this, 'Policy', {
      // DLM descriptions allow letters, digits, spaces, _ and - only (AWS::DLM::LifecyclePolicy Description).
      description: `EBS snapshots of volumes tagged ${Object.entries(props.targetTags).map(([k, v]) => `${k} ${v}`).join(' and ')}`.replace(/[^0-9A-Za-z _-]/g, ' ').slice(0, 500),
      executionRoleArn: this.lifecycleRole.roleArn,
      state: 'ENABLED',
      policyDetails: {
        policyType: 'EBS_SNAPSHOT_MANAGEMENT',
        resourceTypes: ['VOLUME'],
        targetTags: Object.entries(props.targetTags).map(([key, value]) => ({ key, value })),
        schedules: [{
          name: 'scheduled',
          copyTags: true,
          createRule: { cronExpression: expression },
          retainRule: { count: retainCount },
          crossRegionCopyRules: props.copies?.map((copy) => ({
            target: copy.region,
            encrypted: true,
            cmkArn: copy.encryptionKey?.keyArn,
            copyTags: true,
            retainRule: { interval: (copy.retainFor ?? Duration.days(7)).toDays(), intervalUnit: 'DAYS' },
          })),
        }],
      },
    });
    this.lifecyclePolicy.node.addDependency(this.lifecycleRole);

    if (props.directVolumeIds?.length) {
      const volumeArns = props.directVolumeIds.map((v) => stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: v }));
      const role = new ServiceRole(this, 'SchedulerRole', {
        // Scheduler sends aws:SourceAccount when it assumes the role
        // (docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
        description: `EventBridge Scheduler snapshots of ${this.node.path}`.slice(0, 1000),
      });
      this.schedulerRole = role;
      const snapshotArn = stack.formatArn({ service: 'ec2', account: '', resource: 'snapshot', resourceName: '*' });
      // Exactly what CreateSnapshot with tags needs: the volumes named, the new snapshot, and
      // tagging it in the same call (docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
      const statements = [
        new iam.PolicyStatement({ actions: ['ec2:CreateSnapshot'], resources: [...volumeArns, snapshotArn] }),
        new iam.PolicyStatement({ actions: ['ec2:CreateTags'], resources: [snapshotArn], conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } } }),
      ];
      role.acknowledgeWildcardResource(snapshotArn,
        'A snapshot\'s id is known only once CreateSnapshot makes it, so creating and tagging it is granted on snapshots of this region; the volumes it may snapshot are named one by one.');
      for (const [i, volumeId] of props.directVolumeIds.entries()) {
        this.directSchedules.push(new scheduler.Schedule(this, `Direct${i}`, {
          description: `CreateSnapshot of ${volumeId} (${this.node.path})`.slice(0, 512),
          schedule: props.directSchedule ?? scheduler.ScheduleExpression.cron({ minute: '0', hour: '4' }),
          target: new targets.Universal({
            service: 'ec2',
            action: 'createSnapshot',
            role,
            input: scheduler.ScheduleTargetInput.fromObject({
              VolumeId: volumeId,
              Description: `Scheduled snapshot of ${volumeId} by ${this.node.path}`.slice(0, 255),
              TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'created-by', Value: 'eventbridge-scheduler' }] }],
            }),
            policyStatements: statements,
          }),
        }));
      }
    }
  }
}
