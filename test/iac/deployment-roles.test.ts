import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DeploymentRoles } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addDeploymentRolesExamples, SERVICE_ROLE_EXPORT } from '../../examples/iac/deployment-roles';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { checkPermissions, expectPermissionsHold, explainDenial, stacksOf } from '../support/permissions';

const ENV = { account: '444444444444', region: 'eu-west-1' };

describe('IAC-5 DeploymentRoles', () => {
  const app = exampleTestApp();
  const stacks = addDeploymentRolesExamples(app, exampleConfig(app));
  const assembly = app.synth();
  const template = Template.fromStack(stacks.roles);
  const roleArn = (name: string) => `arn:aws:iam::444444444444:role/${name}`;

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });

  /** Asks the evaluator, over the synthesized policies, whether the developer role may make a request. */
  async function developerMay(action: string, resource: string, context: Record<string, string> = {}): Promise<boolean> {
    const report = await checkPermissions(assembly);
    const developer = [...report.assembly.stacks.find((s) => s.stackName === 'Iac5-DeploymentRoles')!.resources.values()]
      .find((r) => r.type === 'AWS::IAM::Role' && r.logicalId.startsWith('DeployDeveloperRole'))!;
    return (await explainDenial(report.assembly, { principal: developer.arn!, action, resource, context })) === undefined;
  }

  function serviceRoleArn(): string {
    const id = Object.keys(template.findResources('AWS::IAM::Role')).find((k) => k.startsWith('DeployServiceRole'))!;
    return roleArn(`Iac5-DeploymentRoles-${id}`);
  }

  test('the developer may pass the service role to CloudFormation, and to nothing else (evaluated)', async () => {
    const report = await checkPermissions(assembly);
    const service = [...report.assembly.stacks.find((s) => s.stackName === 'Iac5-DeploymentRoles')!.resources.values()]
      .find((r) => r.type === 'AWS::IAM::Role' && r.logicalId.startsWith('DeployServiceRole'))!;
    expect(service.arn).toBeDefined();
    expect(await developerMay('iam:PassRole', service.arn!, { 'iam:PassedToService': 'cloudformation.amazonaws.com' })).toBe(true);
    expect(await developerMay('iam:PassRole', service.arn!, { 'iam:PassedToService': 'ec2.amazonaws.com' })).toBe(false);
    expect(await developerMay('iam:PassRole', roleArn('Admin'), { 'iam:PassedToService': 'cloudformation.amazonaws.com' })).toBe(false);
    expect(serviceRoleArn()).toMatch(/role\/Iac5-DeploymentRoles-DeployServiceRole/);
  });

  test('the developer changes the orders stacks only through the service role, and no other stack (evaluated)', async () => {
    const report = await checkPermissions(assembly);
    const service = [...report.assembly.stacks.find((s) => s.stackName === 'Iac5-DeploymentRoles')!.resources.values()]
      .find((r) => r.type === 'AWS::IAM::Role' && r.logicalId.startsWith('DeployServiceRole'))!;
    const orders = 'arn:aws:cloudformation:eu-west-1:444444444444:stack/orders-api/1a2b3c4d';
    expect(await developerMay('cloudformation:UpdateStack', orders, { 'cloudformation:RoleArn': service.arn! })).toBe(true);
    expect(await developerMay('cloudformation:UpdateStack', orders, {})).toBe(false);
    expect(await developerMay('cloudformation:UpdateStack', 'arn:aws:cloudformation:eu-west-1:444444444444:stack/payroll/1a2b3c4d', { 'cloudformation:RoleArn': service.arn! })).toBe(false);
  });

  test('the service role creates roles only under its path and with the boundary, and passes only those roles (evaluated)', async () => {
    const report = await checkPermissions(assembly);
    const roles = [...report.assembly.stacks.find((s) => s.stackName === 'Iac5-DeploymentRoles')!.resources.values()];
    const service = roles.find((r) => r.type === 'AWS::IAM::Role' && r.logicalId.startsWith('DeployServiceRole'))!;
    const boundary = roles.find((r) => r.type === 'AWS::IAM::ManagedPolicy' && r.logicalId.startsWith('DeployBoundary'))!;
    const may = async (action: string, resource: string, context: Record<string, string> = {}) =>
      (await explainDenial(report.assembly, { principal: service.arn!, action, resource, context })) === undefined;
    expect(await may('iam:CreateRole', roleArn('deployed/orders-fn'), { 'iam:PermissionsBoundary': boundary.arn! })).toBe(true);
    expect(await may('iam:CreateRole', roleArn('deployed/orders-fn'))).toBe(false);
    expect(await may('iam:CreateRole', roleArn('orders-fn'), { 'iam:PermissionsBoundary': boundary.arn! })).toBe(false);
    expect(await may('iam:PassRole', roleArn('deployed/orders-fn'), { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe(true);
    expect(await may('iam:PassRole', roleArn('Admin'), { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe(false);
    expect(await may('iam:DeleteRolePermissionsBoundary', roleArn('deployed/orders-fn'))).toBe(false);
  });

  test('roles the deployments create must carry the permissions boundary, which cannot be removed or changed', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({
          Sid: 'CreateRolesWithTheBoundaryOnly',
          Action: Match.arrayWith(['iam:CreateRole', 'iam:PutRolePermissionsBoundary']),
          Condition: { StringEquals: { 'iam:PermissionsBoundary': { Ref: Match.stringLikeRegexp('^DeployBoundary') } } },
        }),
        Match.objectLike({ Sid: 'KeepTheBoundary', Effect: 'Deny', Action: 'iam:DeleteRolePermissionsBoundary' }),
        Match.objectLike({ Sid: 'NoChangingTheBoundaryOrTheseRoles', Effect: 'Deny', Resource: { Ref: Match.stringLikeRegexp('^DeployBoundary') } }),
      ]) },
    });
  });

  test('the service role is assumed by CloudFormation; the developer role by the developers', () => {
    template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'cloudformation.amazonaws.com' } })] } });
    template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { AWS: Match.anyValue() } })] } });
  });

  test('the example reads the service role through an export and Fn::ImportValue', () => {
    template.hasOutput('ServiceRoleArn', { Export: { Name: SERVICE_ROLE_EXPORT } });
    Template.fromStack(stacks.consumer).hasResourceProperties('AWS::SSM::Parameter', { Value: { 'Fn::ImportValue': SERVICE_ROLE_EXPORT } });
  });

  test('passes the checks on its own', () => {
    const a = checkedApp();
    const s = new Stack(a, 'Roles', { env: ENV });
    new DeploymentRoles(s, 'Deploy', {
      developers: new iam.AccountPrincipal('444444444444'),
      deployStatements: [new iam.PolicyStatement({ actions: ['sqs:CreateQueue', 'sqs:DeleteQueue'], resources: ['arn:aws:sqs:eu-west-1:444444444444:orders'] })],
    });
    expect(() => synthWithChecks(a)).not.toThrow();
  });
});

describe('IAC-5 DeploymentRoles refusals', () => {
  test('refuses no deploy statements and an empty list of stack patterns, listing both', () => {
    const s = new Stack(new App({ context: cdkJsonContext() }), 'Roles', { env: ENV });
    expect(() => new DeploymentRoles(s, 'Deploy', { developers: new iam.AccountPrincipal('444444444444'), deployStatements: [], stackNamePatterns: [] })).toThrow([
      'Roles/Deploy: invalid DeploymentRoles props (2 problems):',
      '  - deployStatements must grant something: a service role that may do nothing deploys nothing',
      '  - stackNamePatterns must name at least one pattern (leave it out for every stack)',
    ].join('\n'));
  });

  test('refuses a role path that is not an IAM path of its own', () => {
    const s = new Stack(new App({ context: cdkJsonContext() }), 'Roles', { env: ENV });
    expect(() => new DeploymentRoles(s, 'Deploy', { developers: new iam.AccountPrincipal('444444444444'), deployStatements: [new iam.PolicyStatement({ actions: ['sqs:CreateQueue'], resources: ['*'] })], rolePath: '/' }))
      .toThrow('Roles/Deploy: invalid DeploymentRoles props (1 problem):\n  - rolePath must be an IAM path other than / that starts and ends with / (such as /deployed/), got "/"');
  });
});
