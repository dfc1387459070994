import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BeanstalkDeploymentPolicy, BeanstalkEnvironment, BeanstalkEnvironmentType } from '../../lib';
import { addBeanstalkEnvironmentExamples, BeanstalkEnvironmentExamples } from '../../examples/cicd/beanstalk-environment';
import { deployTimeAzs, exampleVpc } from '../../examples/cicd/ecs-blue-green-service';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

function examples(context: Record<string, unknown> = {}): { app: App; stacks: BeanstalkEnvironmentExamples } {
  const app = exampleTestApp(context);
  const stacks = addBeanstalkEnvironmentExamples(app, exampleConfig(app));
  app.synth();
  return { app, stacks };
}

/** A checked app with a stack and the example VPC. */
function vpcStack(): { app: App; stack: Stack; vpc: ec2.Vpc } {
  const app = checkedApp();
  const stack = new Stack(app, 'S', { env: { account: '444444444444', region: 'eu-west-1' } });
  Object.defineProperty(stack, 'availabilityZones', { get: deployTimeAzs });
  return { app, stack, vpc: exampleVpc(stack, 'Vpc') };
}

const option = (namespace: string, optionName: string, value: unknown) => ({ Namespace: namespace, OptionName: optionName, Value: value });

/** The option settings of the only environment in `template` (or the one with `name`). */
function optionSettings(template: Template, name?: string): { Namespace: string; OptionName: string; Value: unknown }[] {
  const envs = Object.values(template.findResources('AWS::ElasticBeanstalk::Environment'))
    .filter((e) => name === undefined || e.Properties.EnvironmentName === name);
  expect(envs).toHaveLength(1);
  return envs[0].Properties.OptionSettings;
}

describe('CICD-7 BeanstalkEnvironment', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const { stacks } = examples();
  const template = Template.fromStack(stacks.beanstalk);
  const blue = optionSettings(template, 'cicd7-orders-blue');

  test('one application holds the blue and the green environment, on a platform that exists', () => {
    template.resourceCountIs('AWS::ElasticBeanstalk::Application', 1);
    template.resourceCountIs('AWS::ElasticBeanstalk::Environment', 2);
    template.allResourcesProperties('AWS::ElasticBeanstalk::Environment', {
      ApplicationName: { Ref: Match.stringLikeRegexp('^BlueApplication') },
      SolutionStackName: '64bit Amazon Linux 2023 v6.10.0 running Node.js 20',
      Tier: { Name: 'WebServer', Type: 'Standard' },
    });
  });

  test('the traffic-splitting policy sends 15 % of requests to the new version for 10 minutes', () => {
    expect(blue).toEqual(expect.arrayContaining([
      option('aws:elasticbeanstalk:command', 'DeploymentPolicy', 'TrafficSplitting'),
      option('aws:elasticbeanstalk:trafficsplitting', 'NewVersionPercent', '15'),
      option('aws:elasticbeanstalk:trafficsplitting', 'EvaluationTime', '10'),
      option('aws:elasticbeanstalk:environment', 'EnvironmentType', 'LoadBalanced'),
    ]));
  });

  test('enhanced health, the X-Ray daemon, managed minor platform updates and IMDSv2 only are on', () => {
    expect(blue).toEqual(expect.arrayContaining([
      option('aws:elasticbeanstalk:healthreporting:system', 'SystemType', 'enhanced'),
      option('aws:elasticbeanstalk:xray', 'XRayEnabled', 'true'),
      option('aws:elasticbeanstalk:managedactions', 'ManagedActionsEnabled', 'true'),
      option('aws:elasticbeanstalk:managedactions', 'PreferredStartTime', 'Sun:02:00'),
      option('aws:elasticbeanstalk:managedactions:platformupdate', 'UpdateLevel', 'minor'),
      option('aws:autoscaling:launchconfiguration', 'DisableIMDSv1', 'true'),
    ]));
  });

  test('instance and health logs stream to CloudWatch Logs with a one-year retention and are kept', () => {
    expect(blue).toEqual(expect.arrayContaining([
      option('aws:elasticbeanstalk:cloudwatch:logs', 'StreamLogs', 'true'),
      option('aws:elasticbeanstalk:cloudwatch:logs', 'RetentionInDays', '365'),
      option('aws:elasticbeanstalk:cloudwatch:logs', 'DeleteOnTerminate', 'false'),
      option('aws:elasticbeanstalk:cloudwatch:logs:health', 'HealthStreamingEnabled', 'true'),
      option('aws:elasticbeanstalk:cloudwatch:logs:health', 'RetentionInDays', '365'),
      option('aws:elasticbeanstalk:hostmanager', 'LogPublicationControl', 'true'),
    ]));
  });

  test('instances run in private subnets without public IPs, the load balancer in public subnets', () => {
    expect(blue).toEqual(expect.arrayContaining([
      option('aws:ec2:vpc', 'VPCId', { Ref: expect.stringMatching(/^Vpc/) }),
      option('aws:ec2:vpc', 'AssociatePublicIpAddress', 'false'),
      option('aws:elasticbeanstalk:environment', 'LoadBalancerType', 'application'),
    ]));
    const subnets = blue.find((o) => o.OptionName === 'Subnets')!.Value;
    expect(JSON.stringify(subnets)).toMatch(/privateSubnet1.*privateSubnet2/);
    const elbSubnets = blue.find((o) => o.OptionName === 'ELBSubnets')!.Value;
    expect(JSON.stringify(elbSubnets)).toMatch(/publicSubnet1.*publicSubnet2/);
  });

  test('the database stays outside: its endpoint and secret ARN are environment properties, no RDS in the stack', () => {
    expect(blue).toEqual(expect.arrayContaining([
      option('aws:elasticbeanstalk:application:environment', 'DB_HOST', 'orders.cluster-example.eu-west-1.rds.amazonaws.com'),
      option('aws:elasticbeanstalk:application:environment', 'DB_SECRET_ARN', 'arn:aws:secretsmanager:eu-west-1:444444444444:secret:cicd7/orders/db-AbCdEf'),
    ]));
    expect(Object.keys(template.findResources('AWS::RDS::DBInstance'))).toEqual([]);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: 'Permissions of Cicd7-Beanstalk/Blue/InstanceRole',
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Resource: 'arn:aws:secretsmanager:eu-west-1:444444444444:secret:cicd7/orders/db-AbCdEf',
      })]) },
    });
  });

  test('the instance profile role and the Elastic Beanstalk service role are wired into the environment', () => {
    expect(blue).toEqual(expect.arrayContaining([
      option('aws:autoscaling:launchconfiguration', 'IamInstanceProfile', { Ref: expect.stringMatching(/^BlueInstanceProfile/) }),
      option('aws:elasticbeanstalk:environment', 'ServiceRole', { 'Fn::GetAtt': [expect.stringMatching(/^BlueServiceRole/), 'Arn'] }),
    ]));
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: Match.stringLikeRegexp('^BlueInstanceRole') }] });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'elasticbeanstalk.amazonaws.com' }, Condition: { StringEquals: { 'sts:ExternalId': 'elasticbeanstalk' } },
      })] },
    });
  });

  test('the instances may write only this environment\'s log groups and use only the regional Elastic Beanstalk bucket', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: 'Permissions of Cicd7-Beanstalk/Blue/InstanceRole',
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::elasticbeanstalk-eu-west-1-444444444444/*' }),
        Match.objectLike({ Resource: 'arn:aws:logs:eu-west-1:444444444444:log-group:/aws/elasticbeanstalk/cicd7-orders-blue/*' }),
      ]) },
    });
  });

  test.each([
    [BeanstalkDeploymentPolicy.allAtOnce(), [option('aws:elasticbeanstalk:command', 'DeploymentPolicy', 'AllAtOnce')]],
    [BeanstalkDeploymentPolicy.rolling({ batchSizePercent: 25 }), [
      option('aws:elasticbeanstalk:command', 'DeploymentPolicy', 'Rolling'),
      option('aws:elasticbeanstalk:command', 'BatchSizeType', 'Percentage'),
      option('aws:elasticbeanstalk:command', 'BatchSize', '25')]],
    [BeanstalkDeploymentPolicy.rollingWithAdditionalBatch(), [
      option('aws:elasticbeanstalk:command', 'DeploymentPolicy', 'RollingWithAdditionalBatch'),
      option('aws:elasticbeanstalk:command', 'BatchSize', '30')]],
    [BeanstalkDeploymentPolicy.immutable(), [option('aws:elasticbeanstalk:command', 'DeploymentPolicy', 'Immutable')]],
  ])('deployment policy %#: option settings', (policy, expected) => {
    const { app, stack, vpc } = vpcStack();
    new BeanstalkEnvironment(stack, 'Env', { vpc, deploymentPolicy: policy });
    synthWithChecks(app);
    expect(optionSettings(Template.fromStack(stack))).toEqual(expect.arrayContaining(expected));
  });

  test('a certificate turns on HTTPS 443 with a TLS 1.3 policy and turns the HTTP listener off', () => {
    const { app, stack, vpc } = vpcStack();
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:444444444444:certificate/abc');
    new BeanstalkEnvironment(stack, 'Env', { vpc, certificate });
    synthWithChecks(app);
    expect(optionSettings(Template.fromStack(stack))).toEqual(expect.arrayContaining([
      option('aws:elbv2:listener:443', 'Protocol', 'HTTPS'),
      option('aws:elbv2:listener:443', 'SSLCertificateArns', 'arn:aws:acm:eu-west-1:444444444444:certificate/abc'),
      option('aws:elbv2:listener:443', 'SSLPolicy', 'ELBSecurityPolicy-TLS13-1-2-2021-06'),
      option('aws:elbv2:listener:default', 'ListenerEnabled', 'false'),
    ]));
  });
});

describe('CICD-7 BeanstalkEnvironment refusals', () => {
  test.each([[0], [101], [12.5]])('refuses a batch size of %p %%', (batchSizePercent) => {
    const { stack, vpc } = vpcStack();
    expect(() => new BeanstalkEnvironment(stack, 'Env', { vpc, deploymentPolicy: BeanstalkDeploymentPolicy.rolling({ batchSizePercent }) }))
      .toThrow(new RegExp(`^S/Env: invalid BeanstalkEnvironment props \\(1 problem\\):\\n {2}- batch size must be a whole percentage between 1 and 100, got ${String(batchSizePercent).replace('.', '\\.')}`));
  });

  test('refuses traffic splitting in a single-instance environment', () => {
    const { stack, vpc } = vpcStack();
    expect(() => new BeanstalkEnvironment(stack, 'Env', {
      vpc, environmentType: BeanstalkEnvironmentType.SINGLE_INSTANCE, deploymentPolicy: BeanstalkDeploymentPolicy.trafficSplitting(),
    })).toThrow(/^S\/Env: invalid BeanstalkEnvironment props \(1 problem\):\n {2}- traffic splitting needs a load-balanced environment: a single-instance environment has no load balancer to split traffic/);
  });

  test('refuses a traffic split share outside 1-100 % and an evaluation time of 0', () => {
    const { stack, vpc } = vpcStack();
    expect(() => new BeanstalkEnvironment(stack, 'Env', {
      vpc, deploymentPolicy: BeanstalkDeploymentPolicy.trafficSplitting({ newVersionPercent: 0, evaluationTimeMinutes: 0 }),
    })).toThrow(/\(2 problems\)[\s\S]*newVersionPercent must be a whole percentage between 1 and 100, got 0[\s\S]*evaluation time must be a whole number of minutes between 3 and 600, got 0/);
  });

  test.each([2, 601, 4.5])('refuses a traffic split evaluation time of %p minutes (Elastic Beanstalk accepts 3-600)', (evaluationTimeMinutes) => {
    const { stack, vpc } = vpcStack();
    expect(() => new BeanstalkEnvironment(stack, 'Env', {
      vpc, deploymentPolicy: BeanstalkDeploymentPolicy.trafficSplitting({ evaluationTimeMinutes }),
    })).toThrow(new RegExp(`\\(1 problem\\):\\n {2}- traffic split evaluation time must be a whole number of minutes between 3 and 600, got ${String(evaluationTimeMinutes).replace('.', '\\.')}`));
  });

  test.each([3, 600])('accepts a traffic split evaluation time of %p minutes', (evaluationTimeMinutes) => {
    const { stack, vpc } = vpcStack();
    expect(() => new BeanstalkEnvironment(stack, 'Env', {
      vpc, deploymentPolicy: BeanstalkDeploymentPolicy.trafficSplitting({ evaluationTimeMinutes }),
    })).not.toThrow();
  });

  test('refuses rolling deployments in a single-instance environment', () => {
    const { stack, vpc } = vpcStack();
    expect(() => new BeanstalkEnvironment(stack, 'Env', {
      vpc, environmentType: BeanstalkEnvironmentType.SINGLE_INSTANCE, deploymentPolicy: BeanstalkDeploymentPolicy.rolling(),
    })).toThrow(/Rolling deployments need a load-balanced environment/);
  });

  test('a single-instance environment with the immutable default is accepted and has a public IP', () => {
    const { app, stack, vpc } = vpcStack();
    new BeanstalkEnvironment(stack, 'Env', { vpc, environmentType: BeanstalkEnvironmentType.SINGLE_INSTANCE });
    synthWithChecks(app);
    expect(optionSettings(Template.fromStack(stack))).toEqual(expect.arrayContaining([
      option('aws:elasticbeanstalk:environment', 'EnvironmentType', 'SingleInstance'),
      option('aws:ec2:vpc', 'AssociatePublicIpAddress', 'true'),
      option('aws:elasticbeanstalk:command', 'DeploymentPolicy', 'Immutable'),
    ]));
  });
});

describe('CICD-7 sandbox mode', () => {
  test('-c sandbox=true: streamed log groups are deleted with the environment, nothing retained', () => {
    const { stacks } = examples({ sandbox: 'true' });
    const t = Template.fromStack(stacks.beanstalk);
    expect(optionSettings(t, 'cicd7-orders-green')).toEqual(expect.arrayContaining([
      option('aws:elasticbeanstalk:cloudwatch:logs', 'DeleteOnTerminate', 'true'),
    ]));
    const resources = t.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    expect(Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id]) => id)).toEqual([]);
  });
});

describe('CICD-7 joining an application', () => {
  test('an environment joins an application made elsewhere by name, without creating one', () => {
    const { app, stack, vpc } = vpcStack();
    const env = new BeanstalkEnvironment(stack, 'Env', { vpc, applicationOf: { applicationName: 'orders' } });
    synthWithChecks(app);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ElasticBeanstalk::Application', 0);
    t.hasResourceProperties('AWS::ElasticBeanstalk::Environment', { ApplicationName: 'orders' });
    expect(env.applicationName).toBe('orders');
    expect(env.application).toBeUndefined();
  });

  test('the environment is created after every grants policy of the instance role, those from later grants included', () => {
    const { stack, vpc } = vpcStack();
    const env = new BeanstalkEnvironment(stack, 'Env', { vpc });
    // Enough later grants to need a second grants policy.
    for (let i = 0; i < 60; i++) {
      env.instanceRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::later-grants/config-object-${i}.json`] }));
    }
    const t = Template.fromStack(stack);
    const environment = Object.values(t.findResources('AWS::ElasticBeanstalk::Environment'))[0];
    const policies = Object.keys(t.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^EnvInstanceRole') }] } }));
    expect(policies.length).toBeGreaterThan(1);
    expect(environment.DependsOn).toEqual(expect.arrayContaining(policies));
  });
});
