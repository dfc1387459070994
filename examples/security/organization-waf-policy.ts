/**
 * SEC-4 example: the Firewall Manager WAF policy, from the delegated security administrator
 * account (the Firewall Manager administrator), once per region with ALBs.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { OrganizationWafPolicy } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The security account's Firewall Manager policy for the ALBs of one region. */
export class OrganizationWafPolicyStack extends Stack {
  public readonly wafPolicy: OrganizationWafPolicy;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.wafPolicy = new OrganizationWafPolicy(this, 'AlbWebAcl', {
      policyName: 'alb-managed-rules',
      managedRuleGroups: [
        { name: 'AWSManagedRulesAmazonIpReputationList' },
        { name: 'AWSManagedRulesCommonRuleSet', excludedRules: ['SizeRestrictions_BODY'] },
        { name: 'AWSManagedRulesKnownBadInputsRuleSet' },
        { name: 'AWSManagedRulesSQLiRuleSet' },
      ],
    });
  }
}

/** The SEC-4 example stacks, one per region. */
export interface OrganizationWafPolicyExamples {
  readonly primary: OrganizationWafPolicyStack;
  readonly secondary: OrganizationWafPolicyStack;
}

/** Adds the SEC-4 example stacks to `app`. */
export function addOrganizationWafPolicyExamples(app: App, config: ExampleConfig): OrganizationWafPolicyExamples {
  const make = (id: string, region: string): OrganizationWafPolicyStack => new OrganizationWafPolicyStack(app, id, {
    env: env(config.securityAccount, region),
    description: `SEC-4 OrganizationWafPolicy: Firewall Manager WAF policy on every ALB of the organization in ${region} (Firewall Manager administrator account)`,
  });
  return {
    primary: make('Sec4-Security-WafPolicy-Primary', config.primaryRegion),
    secondary: make('Sec4-Security-WafPolicy-Secondary', config.secondaryRegion),
  };
}
