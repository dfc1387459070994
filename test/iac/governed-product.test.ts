import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { GovernedProduct, GovernedProductProps } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addGovernedProductExamples, ALLOWED_INSTANCE_TYPES } from '../../examples/iac/governed-product';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { checkPermissions, expectPermissionsHold, explainDenial, stacksOf } from '../support/permissions';

const ENV = { account: '444444444444', region: 'eu-west-1' };

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Catalog', { env: ENV });
}

/** A product stack with an InstanceType parameter (allowed values t3.micro, t3.small, m5.large) and an SSM parameter. */
function productStack(s: Stack): servicecatalog.ProductStack {
  const product = new servicecatalog.ProductStack(s, 'SettingsProduct');
  const instanceType = new CfnParameter(product, 'InstanceType', { type: 'String', allowedValues: ['t3.micro', 't3.small', 'm5.large'] });
  new CfnParameter(product, 'Environment', { type: 'String' });
  new ssm.CfnParameter(product, 'Setting', { type: 'String', name: '/sc-settings/instance-type', value: instanceType.valueAsString });
  return product;
}

function props(s: Stack, overrides: Partial<GovernedProductProps> = {}): GovernedProductProps {
  return {
    productStack: productStack(s),
    productName: 'Settings',
    owner: 'Platform team',
    launchRoleStatements: [new iam.PolicyStatement({ actions: ['ssm:PutParameter', 'ssm:DeleteParameter'], resources: ['arn:aws:ssm:eu-west-1:444444444444:parameter/sc-settings/*'] })],
    ...overrides,
  };
}

/** The role of the example stack whose logical id starts with `prefix`, as deployed. */
async function deployedRole(assembly: ReturnType<App['synth']>, prefix: string) {
  const report = await checkPermissions(assembly);
  const role = [...report.assembly.stacks.find((st) => st.stackName === 'Iac4-GovernedProduct')!.resources.values()]
    .find((r) => r.type === 'AWS::IAM::Role' && r.logicalId.startsWith(prefix))!;
  return { report, arn: role.arn! };
}

describe('IAC-4 GovernedProduct', () => {
  const app = exampleTestApp();
  const examples = addGovernedProductExamples(app, exampleConfig(app));
  const assembly = app.synth();
  const example = Template.fromStack(examples.governedProduct);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(examples));
    expect(report.edgeKinds['Service Catalog launch role']).toBe(1);
  });

  test('the product is the product stack\'s template, delivered as a file asset of the stack (the bootstrap asset bucket)', () => {
    example.hasResourceProperties('AWS::ServiceCatalog::CloudFormationProduct', {
      Name: 'Team instance template', Owner: 'Platform team',
      ProvisioningArtifactParameters: [{
        Name: 'v1', DisableTemplateValidation: false,
        Info: { LoadTemplateFromURL: { 'Fn::Sub': Match.stringLikeRegexp('^https://s3\\.eu-west-1\\.\\$\\{AWS::URLSuffix\\}/cdk-hnb659fds-assets-\\d{12}-eu-west-1/[0-9a-f]{64}\\.json$') } },
      }],
    });
    const productTemplate = JSON.parse(fs.readFileSync(path.join(assembly.directory, examples.governedProduct.node.findAll()
      .find((c): c is servicecatalog.ProductStack => c instanceof servicecatalog.ProductStack)!.templateFile), 'utf8'));
    expect(productTemplate.Parameters.InstanceType).toMatchObject({ Type: 'String', Default: 't3.micro' });
    expect(productTemplate.Resources.Template.Properties.LaunchTemplateData).toMatchObject({
      InstanceType: { Ref: 'InstanceType' }, MetadataOptions: { HttpTokens: 'required' },
      BlockDeviceMappings: [{ Ebs: { Encrypted: true } }],
    });
  });

  test('a launch constraint names the launch role, which only Service Catalog may assume, after its policies exist', () => {
    const constraints = example.findResources('AWS::ServiceCatalog::LaunchRoleConstraint');
    expect(Object.keys(constraints)).toHaveLength(1);
    const [constraint] = Object.values(constraints);
    expect(constraint.Properties.PortfolioId.Ref).toMatch(/^TeamInstancePortfolio/);
    expect(constraint.Properties.ProductId.Ref).toMatch(/^TeamInstanceProduct/);
    expect(constraint.Properties.RoleArn['Fn::GetAtt']).toEqual([expect.stringMatching(/^TeamInstanceLaunchRole/), 'Arn']);
    expect(constraint.DependsOn).toEqual(expect.arrayContaining([
      expect.stringMatching(/^TeamInstanceLaunchPolicy/), expect.stringMatching(/^TeamInstanceLaunchRoleGrants/), expect.stringMatching(/PortfolioProductAssociation/),
    ]));
    example.hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('^Service Catalog launch role'),
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'servicecatalog.amazonaws.com' } }] },
    });
  });

  test('the launch role may change only the stacks of provisioned products (SC-<account>-pp-*), evaluated', async () => {
    const { report, arn } = await deployedRole(assembly, 'TeamInstanceLaunchRole');
    const may = async (action: string, resource: string) => (await explainDenial(report.assembly, { principal: arn, action, resource })) === undefined;
    const account = examples.governedProduct.account;
    expect(await may('cloudformation:CreateStack', `arn:aws:cloudformation:eu-west-1:${account}:stack/SC-${account}-pp-x2y3z4/1`)).toBe(true);
    expect(await may('cloudformation:DeleteStack', `arn:aws:cloudformation:eu-west-1:${account}:stack/Iac4-GovernedProduct/1`)).toBe(false);
    expect(await may('cloudformation:UpdateStack', `arn:aws:cloudformation:eu-west-1:${account}:stack/orders-prod/1`)).toBe(false);
  });

  test('the launch role reads only templates Service Catalog tagged for provisioning, and creates launch templates only through CloudFormation', () => {
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{
        Sid: 'ReadServiceCatalogTemplates', Effect: 'Allow', Action: 's3:GetObject', Resource: '*',
        Condition: { StringEquals: { 's3:ExistingObjectTag/servicecatalog:provisioning': 'true' } },
      }]) },
    });
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^TeamInstanceLaunchRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'LaunchTemplates', Action: Match.arrayWith(['ec2:CreateLaunchTemplate']),
        Condition: { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['cloudformation.amazonaws.com'] } },
      })]) },
    });
  });

  test('the template constraint lets end users choose only the allowed instance types', () => {
    const [constraint] = Object.values(example.findResources('AWS::ServiceCatalog::LaunchTemplateConstraint'));
    expect(JSON.parse(constraint.Properties.Rules)).toEqual({
      InstanceTypeAllowedValues: {
        Assertions: [{
          Assert: { 'Fn::Contains': [ALLOWED_INSTANCE_TYPES, { Ref: 'InstanceType' }] },
          AssertDescription: `InstanceType must be one of ${ALLOWED_INSTANCE_TYPES.join(', ')}`,
        }],
      },
    });
  });

  test('developers get portfolio access and Service Catalog rights only: no CloudFormation, no EC2, launch of this product only', async () => {
    example.hasResourceProperties('AWS::ServiceCatalog::PortfolioPrincipalAssociation', {
      PortfolioId: { Ref: Match.stringLikeRegexp('^TeamInstancePortfolio') },
      PrincipalARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Developers'), 'Arn'] },
      PrincipalType: 'IAM',
    });
    const { report, arn } = await deployedRole(assembly, 'Developers');
    const may = async (action: string, resource: string, context: Record<string, string> = {}) =>
      (await explainDenial(report.assembly, { principal: arn, action, resource, context })) === undefined;
    const product = [...report.assembly.stacks[0].resources.values()].find((r) => r.type === 'AWS::ServiceCatalog::CloudFormationProduct')!;
    const account = examples.governedProduct.account;
    expect(await may('servicecatalog:ProvisionProduct', `arn:aws:catalog:eu-west-1:${account}:product/${product.ref}`)).toBe(true);
    expect(await may('servicecatalog:ProvisionProduct', `arn:aws:catalog:eu-west-1:${account}:product/prod-otherproduct1`)).toBe(false);
    expect(await may('servicecatalog:TerminateProvisionedProduct', '*', { 'servicecatalog:userLevel': 'self' })).toBe(true);
    expect(await may('cloudformation:CreateStack', `arn:aws:cloudformation:eu-west-1:${account}:stack/SC-${account}-pp-x2y3z4/1`)).toBe(false);
    expect(await may('ec2:CreateLaunchTemplate', `arn:aws:ec2:eu-west-1:${account}:launch-template/lt-0123456789abcdef0`)).toBe(false);
  });

  test('shared with accounts: the constraint names the launch role by name, and the portfolio is shared', async () => {
    const s = stack();
    new GovernedProduct(s, 'Product', props(s, { launchRoleName: 'sc-data-bucket-launch', shareWithAccounts: ['555555555555'] }));
    const t = Template.fromStack(s);
    // Ref of a role is its name (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html).
    t.hasResourceProperties('AWS::ServiceCatalog::LaunchRoleConstraint', { LocalRoleName: { Ref: Match.stringLikeRegexp('^ProductLaunchRole') } });
    t.hasResourceProperties('AWS::IAM::Role', { RoleName: 'sc-data-bucket-launch' });
    t.hasResourceProperties('AWS::ServiceCatalog::PortfolioShare', { AccountId: '555555555555', PortfolioId: { Ref: Match.stringLikeRegexp('^ProductPortfolio') } });
    expect((await expectPermissionsHold(s)).edgeKinds['Service Catalog launch role']).toBe(1);
  });

  test('added to an existing portfolio: no new portfolio, the constraints on the given one', () => {
    const s = stack();
    const portfolio = new servicecatalog.Portfolio(s, 'Shared', { displayName: 'Platform', providerName: 'Platform team' });
    new GovernedProduct(s, 'Product', props(s, { portfolio, parameterRules: [{ parameter: 'InstanceType', allowedValues: ['t3.micro'] }] }));
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::ServiceCatalog::Portfolio', 1);
    t.hasResourceProperties('AWS::ServiceCatalog::LaunchTemplateConstraint', { PortfolioId: { Ref: Match.stringLikeRegexp('^Shared') } });
  });

  test('passes the checks and the permission test on its own', async () => {
    const a = checkedApp();
    const s = stack(a);
    const endUser = iam.Role.fromRoleArn(s, 'EndUser', 'arn:aws:iam::444444444444:role/developers');
    const product = new GovernedProduct(s, 'Product', props(s, {
      parameterRules: [{ parameter: 'InstanceType', allowedValues: ['t3.micro', 't3.small'] }],
      endUsers: [endUser],
    }));
    product.launchRole.acknowledgeWildcardResource('arn:aws:ssm:eu-west-1:444444444444:parameter/sc-settings/*', 'The test product creates parameters under /sc-settings/ only, so the launch role manages that path.');
    expect(() => synthWithChecks(a)).not.toThrow();
    Template.fromStack(s).hasResourceProperties('AWS::IAM::ManagedPolicy', { Roles: ['developers'], Description: Match.stringLikeRegexp('^Launch Settings') });
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['Service Catalog launch role']).toBe(1);
  });
});

describe('IAC-4 GovernedProduct refusals', () => {
  const refusal = (problem: string) => `Catalog/Product: invalid GovernedProduct props (1 problem):\n  - ${problem}`;

  test('refuses a template constraint on a parameter the product does not have', () => {
    const s = stack();
    expect(() => new GovernedProduct(s, 'Product', props(s, { parameterRules: [{ parameter: 'InstanceSize', allowedValues: ['t3.micro'] }] })))
      .toThrow(refusal('parameterRules[0] narrows parameter "InstanceSize", which product stack Catalog/SettingsProduct does not have (its parameters: InstanceType, Environment)'));
  });

  test('refuses a rule that allows no value', () => {
    const s = stack();
    expect(() => new GovernedProduct(s, 'Product', props(s, { parameterRules: [{ parameter: 'Environment', allowedValues: [] }] })))
      .toThrow(refusal('parameterRules[0] on "Environment" must allow at least one value: a rule without values refuses every launch'));
  });

  test('refuses allowed values the parameter itself does not accept', () => {
    const s = stack();
    expect(() => new GovernedProduct(s, 'Product', props(s, { parameterRules: [{ parameter: 'InstanceType', allowedValues: ['t3.micro', 'x1.32xlarge'] }] })))
      .toThrow(refusal('parameterRules[0] allows x1.32xlarge, which parameter "InstanceType" itself does not accept (its AllowedValues: t3.micro, t3.small, m5.large)'));
  });

  test('refuses two rules with the same name', () => {
    const s = stack();
    expect(() => new GovernedProduct(s, 'Product', props(s, { parameterRules: [
      { parameter: 'InstanceType', allowedValues: ['t3.micro'] }, { parameter: 'InstanceType', allowedValues: ['t3.small'] },
    ] }))).toThrow(refusal('parameterRules[1]: rule name "InstanceTypeAllowedValues" is used twice; each rule of a product needs its own name'));
  });

  test('refuses a launch role with nothing for the product\'s resources', () => {
    const s = stack();
    expect(() => new GovernedProduct(s, 'Product', props(s, { launchRoleStatements: [] })))
      .toThrow(refusal('launchRoleStatements must grant what the product\'s resources need: a launch role with CloudFormation rights only creates nothing'));
  });

  test('refuses sharing with accounts without a launch role name', () => {
    const s = stack();
    expect(() => new GovernedProduct(s, 'Product', props(s, { shareWithAccounts: ['555555555555'] })))
      .toThrow(refusal('shareWithAccounts needs launchRoleName: a launch constraint by ARN names a role of this account, which the accounts the portfolio is shared with cannot use; by name, each uses its own role of that name'));
  });

  test('refuses a launch role name IAM does not accept, and an account id that is not one', () => {
    const s = stack();
    expect(() => new GovernedProduct(s, 'Product', props(s, { launchRoleName: 'x'.repeat(65), shareWithAccounts: ['5555'] })))
      .toThrow(`Catalog/Product: invalid GovernedProduct props (2 problems):\n  - launchRoleName must be an IAM role name of up to 64 letters, digits and +=,.@_-, got "${'x'.repeat(65)}"\n  - shareWithAccounts must be a 12-digit account id, got "5555"`);
  });
});
