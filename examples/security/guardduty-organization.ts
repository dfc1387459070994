/**
 * SEC-1 examples, a stack per role, in deployment order:
 * 1. `Sec1-Management` (management account): delegates GuardDuty to the security account in the
 *    primary and secondary regions.
 * 2. `Sec1-SecurityAdmin-Primary` / `-Secondary` (security account, one per region): organization
 *    configuration (all members auto-enabled, every protection feature), the trusted IP list and
 *    threat list, and findings of severity 7+ to SNS.
 * Member accounts need no stack: `AutoEnableOrganizationMembers: ALL` enables them.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { GuardDutyDelegatedAdmin, GuardDutyOrganization } from '../../lib';
import { env, ExampleConfig } from '../config';

/** Props for {@link GuardDutyManagementStack}. */
export interface GuardDutyManagementStackProps extends StackProps {
  readonly securityAccount: string;
  readonly regions: string[];
}

/** The management account's part: the delegation, in every region. */
export class GuardDutyManagementStack extends Stack {
  public readonly delegation: GuardDutyDelegatedAdmin;

  constructor(scope: Construct, id: string, props: GuardDutyManagementStackProps) {
    super(scope, id, props);
    this.delegation = new GuardDutyDelegatedAdmin(this, 'GuardDutyAdmin', { adminAccount: props.securityAccount, regions: props.regions });
  }
}

/** Props for {@link GuardDutyAdminStack}. */
export interface GuardDutyAdminStackProps extends StackProps {
  readonly managementAccount: string;
  readonly securityAccount: string;
}

/** The delegated administrator's part, in one region. */
export class GuardDutyAdminStack extends Stack {
  public readonly guardDuty: GuardDutyOrganization;

  constructor(scope: Construct, id: string, props: GuardDutyAdminStackProps) {
    super(scope, id, props);
    // The security team keeps its list files in this bucket of the security account (uploaded
    // before deployment: GuardDuty reads the file when the list is created).
    const lists = s3.Bucket.fromBucketAttributes(this, 'Lists', {
      bucketName: `guardduty-lists-${props.securityAccount}-${this.region}`,
      account: props.securityAccount,
      region: this.region,
    });
    this.guardDuty = new GuardDutyOrganization(this, 'GuardDuty', {
      adminAccount: props.securityAccount,
      managementAccount: props.managementAccount,
      trustedIpLists: [{ name: 'corporate-egress', bucket: lists, key: 'trusted/corporate-egress.txt' }],
      threatIpLists: [{ name: 'known-bad', bucket: lists, key: 'threats/known-bad.txt' }],
      minimumSeverity: 7,
    });
  }
}

/** The SEC-1 example stacks, in deployment order. */
export interface GuardDutyOrganizationExamples {
  readonly management: GuardDutyManagementStack;
  readonly adminPrimary: GuardDutyAdminStack;
  readonly adminSecondary: GuardDutyAdminStack;
}

/** Adds the SEC-1 example stacks to `app`. */
export function addGuardDutyOrganizationExamples(app: App, config: ExampleConfig): GuardDutyOrganizationExamples {
  const management = new GuardDutyManagementStack(app, 'Sec1-Management', {
    env: env(config.managementAccount, config.primaryRegion),
    description: 'SEC-1 GuardDutyOrganization: delegated GuardDuty administrator in every region (management account, deploy first)',
    securityAccount: config.securityAccount,
    regions: [config.primaryRegion, config.secondaryRegion],
  });
  const admin = (id: string, region: string) => {
    const stack = new GuardDutyAdminStack(app, id, {
      env: env(config.securityAccount, region),
      description: `SEC-1 GuardDutyOrganization: organization configuration, IP lists and findings in ${region} (delegated administrator)`,
      managementAccount: config.managementAccount,
      securityAccount: config.securityAccount,
    });
    stack.addStackDependency(management, 'GuardDuty creates the administrator detector when the management account delegates');
    return stack;
  };
  return {
    management,
    adminPrimary: admin('Sec1-SecurityAdmin-Primary', config.primaryRegion),
    adminSecondary: admin('Sec1-SecurityAdmin-Secondary', config.secondaryRegion),
  };
}
