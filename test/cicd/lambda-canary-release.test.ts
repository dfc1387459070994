import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { LambdaCanaryRelease, TrafficShift } from '../../lib';
import { addLambdaCanaryReleaseExamples, exampleFunction, LambdaCanaryReleaseExamples } from '../../examples/cicd/lambda-canary-release';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const ENV = { account: '444444444444', region: 'eu-west-1' };

function examples(context: Record<string, unknown> = {}): { app: App; stacks: LambdaCanaryReleaseExamples } {
  const app = exampleTestApp(context);
  const stacks = addLambdaCanaryReleaseExamples(app, exampleConfig(app));
  app.synth();
  return { app, stacks };
}

/** A stack with one plain function, for the option and refusal tests. */
function functionStack(): { app: App; stack: Stack; fn: lambda.Function } {
  const app = checkedApp();
  const stack = new Stack(app, 'S', { env: ENV });
  const fn = exampleFunction(stack, 'Fn', 'a function to release', 'exports.handler = async () => 1;');
  return { app, stack, fn };
}

describe('CICD-5 LambdaCanaryRelease', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const { stacks } = examples();
  const template = Template.fromStack(stacks.canary);

  test('the live alias points at a published version and hands its updates to CodeDeploy, with the pre-traffic hook', () => {
    template.resourceCountIs('AWS::Lambda::Version', 1);
    template.hasResource('AWS::Lambda::Alias', {
      Properties: { Name: 'live', FunctionVersion: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiCurrentVersion'), 'Version'] } },
      UpdatePolicy: { CodeDeployLambdaAliasUpdate: {
        ApplicationName: Match.anyValue(), DeploymentGroupName: Match.anyValue(), BeforeAllowTrafficHook: { Ref: Match.stringLikeRegexp('^PreTrafficHook') },
      } },
    });
  });

  test('the deployment group uses LambdaCanary10Percent10Minutes with blue/green traffic control', () => {
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent10Minutes',
      DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' },
    });
  });

  test('alarms on errors, throttles and duration of the alias, plus the user alarm, stop the deployment and roll it back', () => {
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      AlarmConfiguration: { Enabled: true, Alarms: [
        { Name: { Ref: Match.stringLikeRegexp('^ReleaseErrorsAlarm') } },
        { Name: { Ref: Match.stringLikeRegexp('^ReleaseThrottlesAlarm') } },
        { Name: { Ref: Match.stringLikeRegexp('^ReleaseDurationAlarm') } },
        { Name: { Ref: Match.stringLikeRegexp('^FailedOrdersAlarm') } },
      ] },
      AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'] },
    });
    for (const [metric, statistic, threshold] of [['Errors', 'Sum', 1], ['Throttles', 'Sum', 1]] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda', MetricName: metric, Statistic: statistic, Threshold: threshold,
        Dimensions: Match.arrayWith([{ Name: 'Resource', Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) }]),
        AlarmActions: [Match.anyValue()],
      });
    }
    // 80 % of the function's 10 s timeout.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 8000, EvaluationPeriods: 3 });
  });

  test('CodeDeploy gets no AWS managed policy: only this function and alias, its alarms and its hook', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'codedeploy.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: 'Permissions of Cicd5-LambdaCanary/Release/DeploymentRole',
      PolicyDocument: { Statement: [
        { Effect: 'Allow', Action: ['lambda:GetAlias', 'lambda:GetProvisionedConcurrencyConfig', 'lambda:UpdateAlias'],
          Resource: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Api'), 'Arn'] }, { Ref: Match.stringLikeRegexp('^ReleaseAlias') }] },
        { Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('^FailedOrdersAlarm'), 'Arn'] }]) },
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('^PreTrafficHook'), 'Arn'] }]) },
      ], Version: '2012-10-17' },
    });
  });

  test('the hook may report its result to this deployment group only', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: 'codedeploy:PutLifecycleEventHookExecutionStatus',
        Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':deploymentgroup:$')])] },
      })]) },
    });
  });

  test('a custom linear shift becomes a custom deployment configuration', () => {
    const { app, stack, fn } = functionStack();
    new LambdaCanaryRelease(stack, 'Release', { function: fn, trafficShift: TrafficShift.linear(25, Duration.minutes(2)) });
    synthWithChecks(app);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: { Type: 'TimeBasedLinear', TimeBasedLinear: { LinearInterval: 2, LinearPercentage: 25 } },
    });
    t.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: { Ref: Match.stringLikeRegexp('^ReleaseDeploymentConfig') } });
  });

  test('linear10PercentEvery10Minutes and allAtOnce use the predefined configurations', () => {
    for (const [shift, name] of [
      [TrafficShift.linear10PercentEvery10Minutes(), 'CodeDeployDefault.LambdaLinear10PercentEvery10Minutes'],
      [TrafficShift.allAtOnce(), 'CodeDeployDefault.LambdaAllAtOnce'],
      [TrafficShift.canary(10, Duration.minutes(5)), 'CodeDeployDefault.LambdaCanary10Percent5Minutes'],
    ] as const) {
      const { app, stack, fn } = functionStack();
      new LambdaCanaryRelease(stack, 'Release', { function: fn, trafficShift: shift });
      synthWithChecks(app);
      Template.fromStack(stack).hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: name });
      Template.fromStack(stack).resourceCountIs('AWS::CodeDeploy::DeploymentConfig', 0);
    }
  });

  test('an imported function is released by its code hash, which names the version', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'S', { env: ENV });
    const fn = lambda.Function.fromFunctionArn(stack, 'Imported', `arn:aws:lambda:eu-west-1:${ENV.account}:function:orders`);
    const release = new LambdaCanaryRelease(stack, 'Release', { function: fn, codeSha256: 'abcDEF123+/=ghijklmnop' });
    synthWithChecks(app);
    expect(release.version.node.id).toBe('VersionabcDEF123ghijklm');
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Version', { FunctionName: 'orders', CodeSha256: 'abcDEF123+/=ghijklmnop' });
  });
});

describe('CICD-5 LambdaCanaryRelease refusals', () => {
  test.each([[0], [100], [12.5]])('refuses a traffic percentage of %p', (percentage) => {
    const { stack, fn } = functionStack();
    expect(() => new LambdaCanaryRelease(stack, 'Release', { function: fn, trafficShift: TrafficShift.canary(percentage, Duration.minutes(5)) }))
      .toThrow(new RegExp(`^S/Release: invalid LambdaCanaryRelease props \\(1 problem\\):\\n {2}- traffic percentage must be a whole number between 1 and 99, got ${percentage}`.replace('.', '\\.')));
  });

  test('the duration alarm of a function without a timeout is 80 % of Lambda\'s 3 s default, so it can fire', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_LATEST, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;'),
    });
    new LambdaCanaryRelease(stack, 'Release', { function: fn });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 2400 });
  });

  test('refuses an interval of 0', () => {
    const { stack, fn } = functionStack();
    expect(() => new LambdaCanaryRelease(stack, 'Release', { function: fn, trafficShift: TrafficShift.linear(10, Duration.minutes(0)) }))
      .toThrow(/^S\/Release: invalid LambdaCanaryRelease props \(1 problem\):\n {2}- traffic shift interval must be a whole number of minutes, at least 1, got 0 minutes/);
  });

  test('refuses an imported function without a code hash', () => {
    const { stack } = functionStack();
    const fn = lambda.Function.fromFunctionName(stack, 'Imported', 'orders');
    expect(() => new LambdaCanaryRelease(stack, 'Release', { function: fn }))
      .toThrow(/function S\/Imported is not a lambda.Function of this app: pass codeSha256/);
  });

  test('lists every problem at once', () => {
    const { stack, fn } = functionStack();
    expect(() => new LambdaCanaryRelease(stack, 'Release', { function: fn, trafficShift: TrafficShift.canary(0, Duration.seconds(30)), errorsThreshold: 0 }))
      .toThrow(/\(3 problems\)[\s\S]*traffic percentage[\s\S]*got 0.5 minutes[\s\S]*errorsThreshold must be between 1/);
  });
});

describe('CICD-5 sandbox mode', () => {
  test('-c sandbox=true leaves no retained resource', () => {
    const { stacks } = examples({ sandbox: 'true' });
    const resources = Template.fromStack(stacks.canary).toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    expect(Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id]) => id)).toEqual([]);
  });

  test('user alarms are also readable by CodeDeploy', () => {
    const { app, stack, fn } = functionStack();
    const release = new LambdaCanaryRelease(stack, 'Release', { function: fn });
    release.addAlarm(cloudwatch.Alarm.fromAlarmArn(stack, 'Extra', `arn:aws:cloudwatch:eu-west-1:${ENV.account}:alarm:extra`));
    synthWithChecks(app);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: 'cloudwatch:DescribeAlarms', Resource: Match.arrayWith([`arn:aws:cloudwatch:eu-west-1:${ENV.account}:alarm:extra`]),
      })]) },
    });
  });
});

describe('CICD-5 the CodeDeploy role', () => {
  test('addManagedPolicy attaches a policy the user adds to the deployment role', () => {
    const { stack, fn } = functionStack();
    const release = new LambdaCanaryRelease(stack, 'Release', { function: fn });
    release.deploymentRole.addManagedPolicy(iam.ManagedPolicy.fromManagedPolicyName(stack, 'Extra', 'team-boundary-reads'));
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'codedeploy.amazonaws.com' } })] },
      ManagedPolicyArns: Match.arrayWith([Match.stringLikeRegexp(':policy/team-boundary-reads$')]),
    });
  });

  test('refuses, with a message, the account-wide AWS managed CodeDeploy policy instead of ignoring it', () => {
    const { stack, fn } = functionStack();
    const release = new LambdaCanaryRelease(stack, 'Release', { function: fn });
    expect(() => release.deploymentRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSCodeDeployRoleForLambdaLimited')))
      .toThrow(/^S\/Release\/DeploymentRole: invalid CodeDeployRole props \(1 problem\):\n {2}- the AWS managed policy service-role\/AWSCodeDeployRoleForLambdaLimited allows CodeDeploy's actions on every resource of the account/);
  });

  test('notificationTopic is where the alarms tell a person', () => {
    const { stack, fn } = functionStack();
    const topic = new sns.Topic(stack, 'Team', { masterKey: new kms.Key(stack, 'TeamKey', { enableKeyRotation: true }) });
    const release = new LambdaCanaryRelease(stack, 'Release', { function: fn, notificationTopic: topic });
    expect(release.notificationTopic).toBe(topic);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', AlarmActions: [{ Ref: Match.stringLikeRegexp('^Team') }] });
  });
});
