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
import { isSandbox } from '../core/sandbox';
import { checkReservedConcurrency } from '../core/reserved-concurrency';
import { PropsCheck } from '../core/validation';
import { organizationAdminResource } from './organization-admin-provider';

/**
 * Props for {@link GuardDutyDelegatedAdmin}.
 */
export interface GuardDutyDelegatedAdminProps {
  /** The account that becomes the delegated GuardDuty administrator. Never the management account. */
  readonly adminAccountId: string;

  /**
   * The regions in which the account becomes administrator.
   * @default - the stack's region only
   */
  readonly regions?: string[];

  /**
   * Sandbox mode: log groups and keys are deleted by `cdk destroy`.
   * @default - the `sandbox` context value
   */
  readonly sandbox?: boolean;

  /**
   * Concurrency reserved for each of the two Lambda functions of the custom resource (its handler
   * and the provider framework), a positive whole number. Opt-in, because Lambda refuses a
   * reservation that leaves fewer than 100 of the account's concurrent executions unreserved, so
   * it fails the deployment in accounts with a low concurrency quota, such as new accounts.
   * @default - none; the functions run within the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/**
 * SEC-1 (management account): makes another account of the organization the delegated GuardDuty
 * administrator, in each listed region.
 *
 * ```ts
 * new GuardDutyDelegatedAdmin(managementStack, 'GuardDutyAdmin', {
 *   adminAccountId: '222222222222',
 *   regions: ['eu-west-1', 'eu-central-1'],
 * });
 * ```
 */
export class GuardDutyDelegatedAdmin extends Construct {
  /** The custom resource; depend on it to run after the delegation. */
  public readonly resource: CustomResource;
  /** The delegated administrator account. */
  public readonly adminAccountId: string;
  /** The regions of the delegation. */
  public readonly regions: string[];

  constructor(scope: Construct, id: string, props: GuardDutyDelegatedAdminProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.regions = props.regions ?? [stack.region];

    const check = new PropsCheck(this, 'GuardDutyDelegatedAdmin');
    if (!Token.isUnresolved(props.adminAccountId)) {
      check.require(ACCOUNT_ID.test(props.adminAccountId), `adminAccountId must be a 12-digit account id, got "${props.adminAccountId}"`);
    }
    if (Token.isUnresolved(stack.account)) {
      check.add('the delegation runs in the management account: set env.account on the stack so the administrator can be checked against it');
    } else {
      check.require(props.adminAccountId !== stack.account,
        `adminAccountId ${props.adminAccountId} is the management account this stack deploys to: AWS recommends a separate delegated administrator account, and the management account cannot delegate to itself here`);
    }
    check.require(this.regions.length > 0, 'regions must name at least one region');
    for (const region of this.regions) {
      if (!Token.isUnresolved(region)) check.require(REGION.test(region), `regions: "${region}" is not a region name`);
    }
    check.require(new Set(this.regions).size === this.regions.length, 'regions lists a region more than once');
    checkReservedConcurrency(check, props.reservedConcurrentExecutions);
    check.throwIfAny();
    this.adminAccountId = props.adminAccountId;

    const { resource } = organizationAdminResource(this, {
      description: 'Sets the delegated GuardDuty administrator of the organization (SEC-1)',
      sandbox: isSandbox(this, props.sandbox),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      properties: { Kind: 'GuardDutyDelegatedAdmin', AdminAccountId: props.adminAccountId, Regions: this.regions },
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
    this.resource = resource;
  }
}
