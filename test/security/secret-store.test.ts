import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { SecretStore, SecretStoreKind } from '../../lib';
import { addSecretStoreExamples } from '../../examples/security/secret-store';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';

const WORKLOAD = '444444444444';

describe('SEC-3 SecretStore', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(workload);
  });
  const app = exampleTestApp();
  const { workload } = addSecretStoreExamples(app, exampleConfig(app));
  app.synth();
  const template = Template.fromStack(workload);

  test('the database secret is generated (never in the template) and encrypted with a customer managed key', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('OrdersDbCredentialsKey'), 'Arn'] },
      GenerateSecretString: { SecretStringTemplate: '{"username":"orders_app"}', GenerateStringKey: 'password', ExcludePunctuation: true },
      SecretString: Match.absent(),
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('the secret is attached to its database and rotated every 30 days by a hosted PostgreSQL rotation', () => {
    template.hasResourceProperties('AWS::SecretsManager::SecretTargetAttachment', { TargetId: 'orders', TargetType: 'AWS::RDS::DBInstance' });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      HostedRotationLambda: Match.objectLike({ RotationType: 'PostgreSQLSingleUser', KmsKeyArn: Match.anyValue() }),
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      SecretId: { Ref: Match.stringLikeRegexp('SecretAttachment') },
    });
    expect(template.toJSON().Transform).toBe('AWS::SecretsManager-2024-09-16');
  });

  test('Parameter Store: no parameter resource (CloudFormation cannot create SecureString), the key and the put-parameter command instead', () => {
    template.resourceCountIs('AWS::SSM::Parameter', 0);
    template.hasOutput('*', {
      Value: { 'Fn::Join': ['', [
        'aws ssm put-parameter --region eu-west-1 --name /orders/payments-api-token --type SecureString --key-id ',
        { 'Fn::GetAtt': [Match.stringLikeRegexp('PaymentsApiTokenKey'), 'Arn'] },
        ' --value file://secret-value.txt --overwrite',
      ]] },
    });
  });

  test('the application role may read both secrets and decrypt them, and nothing more', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('OrdersAppRole') }],
      PolicyDocument: { Statement: [
        { Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: { Ref: Match.stringLikeRegexp('SecretAttachment') } },
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('PaymentsApiTokenKey'), 'Arn'] } },
        { Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: `arn:aws:ssm:eu-west-1:${WORKLOAD}:parameter/orders/payments-api-token` },
      ] },
    });
  });

  test('secrets and keys are kept by default', () => {
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  test('in sandbox mode (the sandbox context) the secret and its key are deleted with the stack', () => {
    const sandboxApp = checkedApp({ sandbox: 'true' });
    const { workload: sandboxed } = addSecretStoreExamples(sandboxApp, exampleConfig(sandboxApp));
    const t = Template.fromStack(sandboxed);
    t.allResources('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    t.allResources('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });
});

describe('SEC-3 SecretStore refusals', () => {
  function stack(): Stack {
    return new Stack(checkedApp(), 'Workload', { env: { account: WORKLOAD, region: 'eu-west-1' } });
  }

  test.each([[0], [1001]])('refuses a rotation interval of %i days (outside 1-1000)', (days) => {
    expect(() => new SecretStore(stack(), 'Secret', {
      hostedRotation: secretsmanager.HostedRotation.mysqlSingleUser(), rotationInterval: Duration.days(days),
    })).toThrow(new RegExp(`^Workload/Secret: invalid SecretStore props \\(1 problem\\):\\n {2}- rotationInterval must be a whole number of days between 1 and 1000, got ${days} days$`));
  });

  test('accepts the limits, 1 and 1000 days', () => {
    const s = stack();
    new SecretStore(s, 'Daily', { hostedRotation: secretsmanager.HostedRotation.mysqlSingleUser(), rotationInterval: Duration.days(1) });
    new SecretStore(s, 'Rarely', { hostedRotation: secretsmanager.HostedRotation.mysqlSingleUser(), rotationInterval: Duration.days(1000) });
    synthWithChecks(s.node.root as never);
    Template.fromStack(s).hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(1000 days)' } });
  });

  test('refuses a Secrets Manager secret without rotation', () => {
    expect(() => new SecretStore(stack(), 'Secret')).toThrow(/needs hostedRotation or rotationFunction/);
  });

  test('refuses rotation and generation for Parameter Store, and a parameter name that is not a path', () => {
    expect(() => new SecretStore(stack(), 'Param', {
      kind: SecretStoreKind.PARAMETER_STORE, secretName: 'no-slash', rotationInterval: Duration.days(30),
    })).toThrow(/\(2 problems\)[\s\S]*needs secretName, a path[\s\S]*rotationInterval needs Secrets Manager/);
  });
});
