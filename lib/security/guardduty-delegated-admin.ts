/**
 * SEC-1 GuardDutyOrganization (management side): the delegated GuardDuty administrator.
 *
 * AWS recommends a separate delegated administrator account for GuardDuty, set from the
 * organization's management account. GuardDuty is regional, so the delegation is made in every
 * region the organization uses; delegating also enables GuardDuty (creates the detector) in the
 * administrator account. CloudFormation has no resource for `EnableOrganizationAdminAccount`, so
 * this is a custom resource: idempotent, retried while GuardDuty is eventually consistent, and
 * with a real Delete (`DisableOrganizationAdminAccount`). Everything else (organization
 * configuration, protection features, IP lists, findings) is done from the administrator
 * account by {@link GuardDutyOrganization}.
 */
import { CustomResource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { checkReservedConcurrency } from '../core/reserved-concurrency';
import { PropsCheck } from '../core/validation';
import { organizationAdminResource } from './organization-admin-provider';

/**
 * Props for {@link GuardDutyDelegatedAdmin}.
 */
export interface GuardDutyDelegatedAdminProps {
  /** The account that becomes the delegated GuardDuty administrator. Never the management account. */
  readonly adminAccount: string;

  /**
   * The regions in which the account becomes administrator.
   * @default - the stack's region only
   */
  readonly regions?: string[];

  /**
   * Concurrency reserved for each of the two Lambda functions of the custom resource (its handler
   * and the provider framework), a positive whole number. Opt-in, because Lambda refuses a
   * reservation that leaves fewer than 100 of the account's concurrent executions unreserved, so
   * it fails the deployment in accounts with a low concurrency quota, such as new accounts. The
   * delegations of one stack share one provider, so they must ask for the same value.
   * @default - none; the functions run within the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/**
 * SEC-1 (management account): makes another account of the organization the delegated GuardDuty
 * administrator, in each listed region.
 *
 * ```ts
 * new GuardDutyDelegatedAdmin(managementStack, 'GuardDutyAdmin', {
 *   adminAccount: '222222222222',
 *   regions: ['eu-west-1', 'eu-central-1'],
 * });
 * ```
 */
export class GuardDutyDelegatedAdmin extends Construct {
  /** The custom resource; depend on it to run after the delegation. */
  public readonly resource: CustomResource;
  /** The delegated administrator account. */
  public readonly adminAccount: string;
  /** The regions of the delegation. */
  public readonly regions: string[];

  constructor(scope: Construct, id: string, props: GuardDutyDelegatedAdminProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.regions = props.regions ?? [stack.region];

    const check = new PropsCheck(this, 'GuardDutyDelegatedAdmin');
    check.accountId('adminAccount', props.adminAccount);
    if (Token.isUnresolved(stack.account)) {
      check.add('the delegation runs in the management account: set env.account on the stack so the administrator can be checked against it');
    } else {
      check.require(props.adminAccount !== stack.account,
        `adminAccount ${props.adminAccount} is the management account this stack deploys to: AWS recommends a separate delegated administrator account, and the management account cannot delegate to itself here`);
    }
    check.require(this.regions.length > 0, 'regions must name at least one region');
    for (const region of this.regions) {
      if (!Token.isUnresolved(region)) check.require(REGION.test(region), `regions: "${region}" is not a region name`);
    }
    check.require(new Set(this.regions).size === this.regions.length, 'regions lists a region more than once');
    checkReservedConcurrency(check, props.reservedConcurrentExecutions);
    check.throwIfAny();
    this.adminAccount = props.adminAccount;

    this.resource = organizationAdminResource(this, {
      kind: 'GuardDutyDelegatedAdmin',
      description: 'Sets the delegated GuardDuty administrator of the organization (SEC-1)',
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      properties: { AdminAccountId: props.adminAccount, Regions: this.regions },
      statements: [
        new iam.PolicyStatement({
          sid: 'GuardDutyDelegation',
          actions: ['guardduty:EnableOrganizationAdminAccount', 'guardduty:DisableOrganizationAdminAccount', 'guardduty:ListOrganizationAdminAccounts'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:RequestedRegion': this.regions } },
        }),
        // What GuardDuty calls on the caller's behalf when it delegates (GuardDuty User Guide,
        // "Permissions required to designate a delegated GuardDuty administrator account").
        new iam.PolicyStatement({
          sid: 'OrganizationsForGuardDutyDelegation',
          actions: ['organizations:EnableAWSServiceAccess', 'organizations:RegisterDelegatedAdministrator', 'organizations:DeregisterDelegatedAdministrator'],
          resources: ['*'],
          conditions: { StringEquals: { 'organizations:ServicePrincipal': ['guardduty.amazonaws.com', 'malware-protection.guardduty.amazonaws.com'] } },
        }),
        new iam.PolicyStatement({
          sid: 'ReadOrganizationForGuardDutyDelegation',
          actions: [
            'organizations:ListDelegatedAdministrators',
            'organizations:ListAWSServiceAccessForOrganization',
            'organizations:DescribeOrganizationalUnit',
            'organizations:DescribeAccount',
            'organizations:DescribeOrganization',
            'organizations:ListAccounts',
          ],
          resources: ['*'],
        }),
      ],
      wildcardReason: 'GuardDuty EnableOrganizationAdminAccount, DisableOrganizationAdminAccount and ListOrganizationAdminAccounts and the AWS Organizations delegation calls have no resource-level permissions; the statements are limited to the delegation regions, changes to the GuardDuty service principals, and otherwise read-only organization calls.',
    });
  }
}
