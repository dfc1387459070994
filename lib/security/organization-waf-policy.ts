/**
 * SEC-4 OrganizationWafPolicy: one AWS WAF web ACL on every Application Load Balancer of the
 * organization, kept there by AWS Firewall Manager.
 *
 * A Firewall Manager policy (`AWS::FMS::Policy`, type `WAFV2`) names the managed rule groups that
 * run first in the web ACL; Firewall Manager creates that web ACL in every in-scope account and
 * associates it with every ALB (`AWS::ElasticLoadBalancingV2::LoadBalancer`), including the ALBs
 * and the accounts created later, and with remediation on it re-associates the web ACL when
 * someone removes it. Account owners can still add their own rules between the policy's first
 * and last rule groups.
 *
 * What CloudFormation cannot do, and the README's deployment order covers: a Firewall Manager
 * administrator account must be set from the management account (`aws fms
 * associate-admin-account`, there is no CloudFormation resource), AWS Config must record in every
 * member account and region in scope (Firewall Manager discovers resources through it), and the
 * policy is deployed from the Firewall Manager administrator account, in each region whose ALBs
 * it protects (a WAF policy is regional; only CloudFront policies live in us-east-1).
 */
import { Names } from 'aws-cdk-lib';
import * as fms from 'aws-cdk-lib/aws-fms';
import { Construct } from 'constructs';
import { PropsCheck } from '../core/validation';
import { DEFAULT_WAF_MANAGED_RULE_GROUPS, WafManagedRuleGroup } from './waf-managed-rule-group';

/**
 * Props for {@link OrganizationWafPolicy}.
 */
export interface OrganizationWafPolicyProps {
  /**
   * The policy's name.
   * @default - generated from the construct path
   */
  readonly policyName?: string;

  /**
   * The managed rule groups that run first in the web ACL, in this order.
   * @default - AWS managed rules: Amazon IP reputation list, core rule set, known bad inputs
   */
  readonly managedRuleGroups?: WafManagedRuleGroup[];

  /**
   * Apply the policy only to these OUs (`ou-...`) and their accounts, current and future.
   * @default - the whole organization
   */
  readonly includeOrganizationalUnits?: string[];

  /**
   * Apply the policy only to these accounts (together with `includeOrganizationalUnits`).
   * @default - the whole organization
   */
  readonly includeAccounts?: string[];

  /**
   * Every account of the organization except these. Firewall Manager takes inclusions or
   * exclusions, not both.
   * @default - none excluded
   */
  readonly excludeAccounts?: string[];

  /**
   * Associate the web ACL with in-scope ALBs automatically and re-associate it when removed.
   * When false, Firewall Manager only reports non-compliant ALBs.
   * @default true
   */
  readonly remediation?: boolean;

  /**
   * Replace a web ACL that an account already associated with one of its ALBs.
   * @default false
   */
  readonly replaceExistingWebAcls?: boolean;
}

/** The resource type Firewall Manager protects with this policy. */
export const ALB_RESOURCE_TYPE = 'AWS::ElasticLoadBalancingV2::LoadBalancer';

/**
 * SEC-4: a Firewall Manager WAF policy that puts a web ACL of managed rule groups on every ALB of
 * the organization (or of some OUs), new accounts included, with remediation on.
 *
 * ```ts
 * // In the Firewall Manager administrator account, once per region with ALBs:
 * new OrganizationWafPolicy(securityStack, 'AlbWaf', {
 *   includeOrganizationalUnits: ['ou-ab12-workload1'],
 * });
 * ```
 */
export class OrganizationWafPolicy extends Construct {
  /** The Firewall Manager policy. */
  public readonly policy: fms.CfnPolicy;
  /** The policy's `ManagedServiceData`: the web ACL Firewall Manager builds, as JSON. */
  public readonly managedServiceData: string;

  constructor(scope: Construct, id: string, props: OrganizationWafPolicyProps = {}) {
    super(scope, id);
    const groups = props.managedRuleGroups ?? DEFAULT_WAF_MANAGED_RULE_GROUPS;
    const includeOus = props.includeOrganizationalUnits ?? [];
    const includeAccounts = props.includeAccounts ?? [];
    const excludeAccounts = props.excludeAccounts ?? [];

    const check = new PropsCheck(this, 'OrganizationWafPolicy');
    check.require(groups.length > 0, 'managedRuleGroups is empty: the web ACL would have no rules');
    check.require(!((includeOus.length > 0 || includeAccounts.length > 0) && excludeAccounts.length > 0),
      'Firewall Manager takes inclusions or exclusions, not both: set includeOrganizationalUnits/includeAccounts or excludeAccounts');
    includeAccounts.forEach((account, i) => check.accountId(`includeAccounts[${i}]`, account));
    excludeAccounts.forEach((account, i) => check.accountId(`excludeAccounts[${i}]`, account));
    includeOus.forEach((ou, i) => check.organizationalUnitId(`includeOrganizationalUnits[${i}]`, ou));
    const names = groups.map((g) => `${g.vendorName ?? 'AWS'}/${g.name}`);
    check.require(new Set(names).size === names.length, `a managed rule group is named twice: ${names.join(', ')}`);
    check.throwIfAny();

    this.managedServiceData = JSON.stringify({
      type: 'WAFV2',
      preProcessRuleGroups: groups.map((g) => ({
        ruleGroupType: 'ManagedRuleGroup',
        ruleGroupArn: null,
        managedRuleGroupIdentifier: { vendorName: g.vendorName ?? 'AWS', managedRuleGroupName: g.name, version: g.version ?? null },
        overrideAction: { type: 'NONE' },
        excludeRules: (g.excludedRules ?? []).map((name) => ({ name })),
      })),
      postProcessRuleGroups: [],
      defaultAction: { type: 'ALLOW' },
      overrideCustomerWebACLAssociation: props.replaceExistingWebAcls ?? false,
      sampledRequestsEnabledForDefaultActions: true,
    });

    const includeMap = includeOus.length > 0 || includeAccounts.length > 0
      ? { orgunit: includeOus.length > 0 ? includeOus : undefined, account: includeAccounts.length > 0 ? includeAccounts : undefined }
      : undefined;
    this.policy = new fms.CfnPolicy(this, 'Policy', {
      policyName: props.policyName ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
      policyDescription: `Web ACL of ${names.join(' ')} on every Application Load Balancer in scope`,
      securityServicePolicyData: { type: 'WAFV2', managedServiceData: this.managedServiceData },
      resourceType: ALB_RESOURCE_TYPE,
      remediationEnabled: props.remediation ?? true,
      excludeResourceTags: false,
      includeMap,
      excludeMap: excludeAccounts.length > 0 ? { account: excludeAccounts } : undefined,
      // Web ACLs leave with the policy, and ALBs leaving the scope lose the association.
      deleteAllPolicyResources: true,
      resourcesCleanUp: true,
    });
  }
}
