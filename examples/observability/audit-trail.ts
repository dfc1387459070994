/**
 * OBS-2 example: the organization trail, in the management account, with its log files
 * replicated to the log archive account in the secondary region (RES-7), S3 data events for a
 * workload bucket and Lambda data events for every function.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AuditTrail } from '../../lib';
import { env, ExampleConfig } from '../config';
import { ReplicaStack } from '../resilience/replicated-bucket';

/** Props for {@link OrganizationTrailStack}. */
export interface OrganizationTrailStackProps extends StackProps {
  readonly managementAccount: string;
  readonly workloadAccount: string;
  readonly organizationId: string;
  readonly replicaStack: ReplicaStack;
}

/** The management account's organization trail. */
export class OrganizationTrailStack extends Stack {
  public readonly auditTrail: AuditTrail;

  constructor(scope: Construct, id: string, props: OrganizationTrailStackProps) {
    super(scope, id, props);
    // A bucket of the workload account whose object-level activity the auditors want recorded.
    const payroll = s3.Bucket.fromBucketName(this, 'PayrollData', `payroll-data-${props.workloadAccount}`);
    this.auditTrail = new AuditTrail(this, 'OrganizationTrail', {
      organizationTrail: true,
      managementAccount: props.managementAccount,
      organizationId: props.organizationId,
      replicationDestination: props.replicaStack.destination,
      dataEventBuckets: [payroll],
      allLambdaDataEvents: true,
    });
  }
}

/** The OBS-2 example stacks, in deployment order. */
export interface AuditTrailExamples {
  readonly logArchiveReplica: ReplicaStack;
  readonly organizationTrail: OrganizationTrailStack;
}

/** Adds the OBS-2 example stacks to `app`. */
export function addAuditTrailExamples(app: App, config: ExampleConfig): AuditTrailExamples {
  const logArchiveReplica = new ReplicaStack(app, 'Obs2-LogArchive-TrailReplica', {
    env: env(config.logArchiveAccount, config.secondaryRegion),
    description: 'OBS-2 AuditTrail: replica of the organization trail log files in the log archive account (deploy first)',
  });
  const organizationTrail = new OrganizationTrailStack(app, 'Obs2-Management-OrganizationTrail', {
    env: env(config.managementAccount, config.primaryRegion),
    description: 'OBS-2 AuditTrail: multi-region organization trail with integrity validation, KMS, data events and CloudWatch Logs (management account)',
    managementAccount: config.managementAccount,
    workloadAccount: config.workloadAccount,
    organizationId: config.organizationId,
    replicaStack: logArchiveReplica,
  });
  return { logArchiveReplica, organizationTrail };
}
