/**
 * IAC-6 example: in the workload account, patch group `web` of Amazon Linux 2023 nodes, patched
 * every Sunday at 03:00 Berlin time; the fleet's instance role may write the patch output; a
 * composite document that runs a hardening document from GitHub (a placeholder repository); the
 * AMI build runbook (parameters only: it runs when someone starts it, never at deploy); the hybrid
 * activation role for on-premises servers of the same group.
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  acknowledge, DownloadSource, PatchApprovalRule, PatchClassification, PatchComplianceLevel, PatchManagement,
  PatchOperatingSystem, PatchSeverity, ServiceRole,
} from '../../lib';
import { env, ExampleConfig } from '../config';

/** The patch management stack. */
export class PatchManagementStack extends Stack {
  public readonly patching: PatchManagement;
  /** The instance role of the web fleet, which writes its own patch output. */
  public readonly fleetRole: ServiceRole;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const rules: PatchApprovalRule[] = [
      {
        classifications: [PatchClassification.SECURITY],
        severities: [PatchSeverity.CRITICAL, PatchSeverity.IMPORTANT],
        approveAfterDays: 3,
        complianceLevel: PatchComplianceLevel.CRITICAL,
      },
      { classifications: [PatchClassification.BUGFIX], approveAfterDays: 14, complianceLevel: PatchComplianceLevel.MEDIUM },
    ];
    this.patching = new PatchManagement(this, 'Patching', {
      patchGroup: 'web',
      operatingSystem: PatchOperatingSystem.AMAZON_LINUX_2023,
      approvalRules: rules,
      rejectedPatches: ['kernel-debug*'],
      schedule: events.Schedule.cron({ weekDay: 'SUN', hour: '3', minute: '0' }),
      scheduleTimezone: 'Europe/Berlin',
      duration: Duration.hours(4),
      cutoff: Duration.hours(1),
      compositeDocument: {
        source: DownloadSource.gitHub({ owner: 'example-org', repository: 'ssm-documents', path: 'documents/harden-linux.json', gitRef: 'main' }),
      },
    });

    this.fleetRole = new ServiceRole(this, 'WebFleetRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Instance role of the web fleet (patch group web)',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    acknowledge(this.fleetRole.node.defaultChild!, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'The web fleet is managed and patched through Systems Manager; AmazonSSMManagedInstanceCore is the AWS maintained minimum for SSM Agent.');
    this.patching.grantOutputWrite(this.fleetRole);
  }
}

/** The IAC-6 example stacks. */
export interface PatchManagementExamples {
  readonly patchManagement: PatchManagementStack;
}

/** Adds the IAC-6 example stack to `app`. */
export function addPatchManagementExamples(app: App, config: ExampleConfig): PatchManagementExamples {
  return {
    patchManagement: new PatchManagementStack(app, 'Iac6-PatchManagement', {
      env: env(config.workloadAccount, config.primaryRegion),
      description: 'IAC-6 PatchManagement: custom baseline for patch group web, weekly maintenance window with AWS-RunPatchBaseline to an encrypted bucket, composite document, AMI build runbook, hybrid activation role (workload account)',
    }),
  };
}
