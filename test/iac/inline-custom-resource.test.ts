import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { InlineCustomResource, MAX_INLINE_CODE_BYTES } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addInlineCustomResourceExamples } from '../../examples/iac/inline-custom-resource';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const CODE = 'return { Data: { Total: event.ResourceProperties.Numbers.reduce((a, b) => a + Number(b), 0) } };';

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Iac1', { env: ENV });
}

describe('IAC-1 InlineCustomResource', () => {
  const app = exampleTestApp();
  const { inlineCustomResource } = addInlineCustomResourceExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(inlineCustomResource);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold([inlineCustomResource]);
  });

  test('the custom resource points at the inline function itself: no Provider framework, no helper function', () => {
    example.hasResourceProperties('Custom::NameSuffix', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NameSuffixFunction'), 'Arn'] },
      Application: 'orders',
    });
    example.hasResourceProperties('Custom::SubnetPlan', { ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SubnetsFunction'), 'Arn'] } });
    example.resourceCountIs('AWS::Lambda::Function', 2);
  });

  test('the code is inline (Code.ZipFile): the response wrapper followed by the user\'s code, handler index.handler', () => {
    example.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: Match.stringLikeRegexp('^nodejs'),
      Handler: 'index.handler',
      Code: { ZipFile: Match.stringLikeRegexp('function respondingHandler[\\s\\S]*exports\\.handler = respondingHandler\\(async function userCode\\(event, context\\) \\{\\nconst \\{ createHash \\}') },
    });
    example.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'python3.15',
      Handler: 'index.handler',
      Code: { ZipFile: Match.stringLikeRegexp('def handler\\(event, context\\):[\\s\\S]*USER_CODE = "def on_event\\(event, context\\):\\\\n    import ipaddress\\\\n') },
    });
  });

  test('the Data the code returns is read with Fn::GetAtt in the outputs', () => {
    example.hasOutput('ApplicationName', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NameSuffix'), 'Name'] } });
    example.hasOutput('PrivateSubnetCidr', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Subnets'), 'private'] } });
  });

  test('the function logs to its own encrypted log group with retention, is traced, and leaves 10 s of its timeout to answer', () => {
    example.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^NameSuffixLogs') } },
      TracingConfig: { Mode: 'Active' },
      Timeout: 120,
    });
    example.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  test('the role may only write its logs and traces until the user grants more', () => {
    const policies = example.findResources('AWS::IAM::ManagedPolicy');
    const actions = Object.values(policies).flatMap((p) => (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => ([] as string[]).concat(s.Action)));
    expect([...new Set(actions)].sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  test('the user grants what the code needs: addToRolePolicy and grant*() reach the function\'s role', () => {
    const s = stack();
    const bucket = new s3.Bucket(s, 'Data');
    const resource = new InlineCustomResource(s, 'Lookup', { code: CODE });
    resource.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:eu-west-1:111111111111:parameter/app/*'] }));
    bucket.grantRead(resource);
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ssm:GetParameter', Resource: 'arn:aws:ssm:eu-west-1:111111111111:parameter/app/*' })]) },
      Roles: [{ Ref: Match.stringLikeRegexp('^LookupRole') }],
    });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3:GetObject*']) })]) },
    });
  });

  test('the function is created after its role\'s grants, so its first request can log', () => {
    const s = stack();
    const resource = new InlineCustomResource(s, 'Lookup', { code: CODE });
    resource.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: ['*'] }));
    const fn = Object.values(Template.fromStack(s).findResources('AWS::Lambda::Function'))[0];
    expect(fn.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^LookupRoleGrants/)]));
  });

  test('the Node.js wrapper is embedded as plain JavaScript, its comments removed, under the size limit with room to spare', () => {
    const s = stack();
    new InlineCustomResource(s, 'Sum', { code: CODE });
    const zip: string = Object.values(Template.fromStack(s).findResources('AWS::Lambda::Function'))[0].Properties.Code.ZipFile;
    expect(zip).not.toMatch(/\binterface\b|: UserFunction/);
    expect(zip).not.toContain('docs.aws.amazon.com');
    expect(Buffer.byteLength(zip)).toBeLessThan(10000);
  });

  test('code written indented in a template literal is dedented; Python code is indented into on_event', () => {
    const s = stack();
    new InlineCustomResource(s, 'Py', { runtime: lambda.Runtime.PYTHON_3_12, code: '\n      x = 1\n      if x:\n          return {"Data": {"X": x}}\n    ' });
    const zip: string = Object.values(Template.fromStack(s).findResources('AWS::Lambda::Function'))[0].Properties.Code.ZipFile;
    expect(zip).toContain('USER_CODE = "def on_event(event, context):\\n    x = 1\\n    if x:\\n        return {\\"Data\\": {\\"X\\": x}}\\n"');
  });

  test('passes the checks and the permission test on its own', async () => {
    const a = checkedApp();
    const s = stack(a);
    new InlineCustomResource(s, 'Sum', { code: CODE, properties: { Numbers: [1, 2, 3] } });
    new InlineCustomResource(s, 'Py', { code: 'return None', runtime: lambda.Runtime.PYTHON_3_15, reservedConcurrentExecutions: 1 });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['Lambda function -> its log group']).toBe(2);
  });
});

describe('IAC-1 InlineCustomResource refusals', () => {
  test('refuses a runtime CloudFormation does not inline', () => {
    expect(() => new InlineCustomResource(stack(), 'R', { code: CODE, runtime: lambda.Runtime.JAVA_21 }))
      .toThrow('Iac1/R: invalid InlineCustomResource props (1 problem):\n  - runtime must be a Node.js or Python runtime (CloudFormation inlines code only for those), got java21');
  });

  test('refuses code over the inline size limit', () => {
    const code = `return { Data: { A: '${'a'.repeat(MAX_INLINE_CODE_BYTES)}' } };`;
    expect(() => new InlineCustomResource(stack(), 'R', { code }))
      .toThrow(/^Iac1\/R: invalid InlineCustomResource props \(1 problem\):\n {2}- code takes \d+ bytes in the template with the response wrapper, over the 1,000,000 bytes a template can hold \(1 MB through S3\): deploy code this large as an asset instead of inline$/);
  });

  test('refuses Node.js code that does not parse, before it is deployed', () => {
    expect(() => new InlineCustomResource(stack(), 'R', { code: 'return { Data: {' }))
      .toThrow('Iac1/R: invalid InlineCustomResource props (1 problem):\n  - code must be the body of a Node.js function: Unexpected token \')\'');
  });

  test('refuses empty code', () => {
    expect(() => new InlineCustomResource(stack(), 'R', { code: '  \n ' }))
      .toThrow('Iac1/R: invalid InlineCustomResource props (1 problem):\n  - code must not be empty');
  });

  test('refuses a timeout that leaves the code less than 20 seconds after the 10 s margin, or beyond Lambda\'s 15 minutes', () => {
    expect(() => new InlineCustomResource(stack(), 'R', { code: CODE, timeout: Duration.seconds(10) }))
      .toThrow('Iac1/R: invalid InlineCustomResource props (1 problem):\n  - timeout (seconds) must be between 30 and 900, got 10');
    expect(() => new InlineCustomResource(stack(), 'S', { code: CODE, timeout: Duration.minutes(16) }))
      .toThrow('timeout (seconds) must be between 30 and 900, got 960');
  });

  test('refuses a reserved concurrency that is not a positive whole number', () => {
    expect(() => new InlineCustomResource(stack(), 'R', { code: CODE, reservedConcurrentExecutions: 0 }))
      .toThrow('Iac1/R: invalid InlineCustomResource props (1 problem):\n  - reservedConcurrentExecutions must be a positive whole number, got 0');
  });
});
