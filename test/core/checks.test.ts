import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CfnResource } from 'aws-cdk-lib';
import { checkedApp, cdkJsonContext, synthWithChecks } from '../support/app';

describe('the checks are live', () => {
  test('cdk.json turns CloudFormation validation findings into errors', () => {
    const context = cdkJsonContext();
    expect(context['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
    expect(context['@aws-cdk/core:strictCfnValidateErrors']).toBe(true);
  });

  test('a bucket without encryption, logging or TLS enforcement fails synth with the cdk-nag findings', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Violating', { env: { account: '111111111111', region: 'eu-west-1' } });
    new s3.CfnBucket(stack, 'Plain');
    expect(() => synthWithChecks(app)).toThrow(/AwsSolutions-S1[\s\S]*Violating\/Plain/);
    expect(() => checkedApp().synth()).not.toThrow();
  });

  test('each rule pack reports its own findings (NIST 800-53 R5 as well as AwsSolutions)', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Violating', { env: { account: '111111111111', region: 'eu-west-1' } });
    new sns.Topic(stack, 'Unencrypted');
    expect(() => synthWithChecks(app)).toThrow(/NIST\.800\.53\.R5-SNSEncryptedKMS/);
  });

  test('a template CloudFormation would reject fails synth through the built-in validation', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Invalid', { env: { account: '111111111111', region: 'eu-west-1' } });
    new CfnResource(stack, 'Broken', { type: 'AWS::SNS::Topic', properties: { NoSuchProperty: 'x' } });
    expect(() => synthWithChecks(app)).toThrow(/NoSuchProperty/);
  });
});
