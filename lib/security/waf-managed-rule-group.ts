/**
 * SEC-4: a managed rule group of an {@link OrganizationWafPolicy}'s web ACL, and the default ones.
 */

/** A managed rule group for {@link OrganizationWafPolicy}. */
export interface WafManagedRuleGroup {
  /** The rule group's name, for example `AWSManagedRulesCommonRuleSet`. */
  readonly name: string;
  /**
   * The vendor.
   * @default 'AWS'
   */
  readonly vendorName?: string;
  /**
   * A fixed version of the rule group.
   * @default - the vendor's default version, updated by the vendor
   */
  readonly version?: string;
  /**
   * Rules of the group to run in count mode only (for false positives).
   * @default - none
   */
  readonly excludedRules?: string[];
}

/** The rule groups applied when none are named. */
export const DEFAULT_WAF_MANAGED_RULE_GROUPS: WafManagedRuleGroup[] = [
  { name: 'AWSManagedRulesAmazonIpReputationList' },
  { name: 'AWSManagedRulesCommonRuleSet' },
  { name: 'AWSManagedRulesKnownBadInputsRuleSet' },
];
