import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { OrganizationWafPolicy } from '../../lib';
import { addOrganizationWafPolicyExamples } from '../../examples/security/organization-waf-policy';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

describe('SEC-4 OrganizationWafPolicy', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const app = exampleTestApp();
  const stacks = addOrganizationWafPolicyExamples(app, exampleConfig(app));
  app.synth();
  const template = Template.fromStack(stacks.primary);
  const policy = Object.values(template.findResources('AWS::FMS::Policy'))[0] as { Properties: { SecurityServicePolicyData: { ManagedServiceData: string } } };
  const data = JSON.parse(policy.Properties.SecurityServicePolicyData.ManagedServiceData);

  test('a WAFV2 Firewall Manager policy on ALBs with remediation on, for the whole organization', () => {
    template.hasResourceProperties('AWS::FMS::Policy', {
      PolicyName: 'alb-managed-rules',
      ResourceType: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      RemediationEnabled: true,
      ExcludeResourceTags: false,
      IncludeMap: Match.absent(),
      ExcludeMap: Match.absent(),
      SecurityServicePolicyData: { Type: 'WAFV2', ManagedServiceData: Match.anyValue() },
      DeleteAllPolicyResources: true,
      ResourcesCleanUp: true,
    });
  });

  test('the web ACL runs the managed rule groups first, in order, and allows the rest', () => {
    expect(data.type).toBe('WAFV2');
    expect(data.preProcessRuleGroups.map((g: { managedRuleGroupIdentifier: { managedRuleGroupName: string } }) => g.managedRuleGroupIdentifier.managedRuleGroupName))
      .toEqual(['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesSQLiRuleSet']);
    expect(data.preProcessRuleGroups[1]).toEqual({
      ruleGroupType: 'ManagedRuleGroup',
      ruleGroupArn: null,
      managedRuleGroupIdentifier: { vendorName: 'AWS', managedRuleGroupName: 'AWSManagedRulesCommonRuleSet', version: null },
      overrideAction: { type: 'NONE' },
      excludeRules: [{ name: 'SizeRestrictions_BODY' }],
    });
    expect(data.defaultAction).toEqual({ type: 'ALLOW' });
    expect(data.overrideCustomerWebACLAssociation).toBe(false);
  });

  test('one policy per region, from the security (Firewall Manager administrator) account', () => {
    expect(stacks.primary.account).toBe('222222222222');
    expect([stacks.primary.region, stacks.secondary.region]).toEqual(['eu-west-1', 'eu-central-1']);
  });

  test('OUs and accounts narrow the scope with an include map; exclusions use an exclude map', () => {
    const app2 = checkedApp();
    const stack = new Stack(app2, 'Security', { env: { account: '222222222222', region: 'eu-west-1' } });
    new OrganizationWafPolicy(stack, 'Include', { includeOrganizationalUnits: ['ou-ab12-workload'], includeAccounts: ['444444444444'] });
    new OrganizationWafPolicy(stack, 'Exclude', { excludeAccounts: ['333333333333'], remediation: false });
    synthWithChecks(app2);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::FMS::Policy', { IncludeMap: { ORGUNIT: ['ou-ab12-workload'], ACCOUNT: ['444444444444'] }, RemediationEnabled: true });
    t.hasResourceProperties('AWS::FMS::Policy', { ExcludeMap: { ACCOUNT: ['333333333333'] }, RemediationEnabled: false });
  });
});

describe('SEC-4 OrganizationWafPolicy refusals', () => {
  test('refuses inclusions and exclusions together, bad ids and an empty rule list, all at once', () => {
    const stack = new Stack(checkedApp(), 'Security', { env: { account: '222222222222', region: 'eu-west-1' } });
    expect(() => new OrganizationWafPolicy(stack, 'Waf', {
      managedRuleGroups: [], includeOrganizationalUnits: ['workloads'], excludeAccounts: ['12345'],
    })).toThrow(/^Security\/Waf: invalid OrganizationWafPolicy props \(4 problems\):\n {2}- managedRuleGroups is empty[\s\S]*inclusions or exclusions, not both[\s\S]*excludeAccounts\[0\] must be a 12-digit account id, got "12345"[\s\S]*includeOrganizationalUnits\[0\] must be an organizational unit id such as ou-a1b2-c3d4e5f6, got "workloads"/);
  });
});
