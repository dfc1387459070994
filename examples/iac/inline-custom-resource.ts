/**
 * IAC-1 example: in the workload account, two inline custom resources that compute values no
 * CloudFormation function does, used in outputs: a Node.js one derives a short, stable name
 * suffix from the application's name, and a Python one splits the VPC's CIDR block into
 * per-tier subnets. Neither calls an AWS API, so their roles get nothing beyond their logs.
 */
import { App, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { InlineCustomResource } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The two inline custom resources and their outputs. */
export class InlineCustomResourceStack extends Stack {
  public readonly nameSuffix: InlineCustomResource;
  public readonly subnets: InlineCustomResource;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.nameSuffix = new InlineCustomResource(this, 'NameSuffix', {
      resourceType: 'Custom::NameSuffix',
      properties: { Application: 'orders' },
      code: `
        const { createHash } = require('crypto');
        const app = event.ResourceProperties.Application;
        if (!/^[a-z][a-z0-9-]{0,30}$/.test(app)) throw new Error('Application must be lower case letters, digits and hyphens');
        const suffix = createHash('sha256').update(event.StackId + '/' + app).digest('hex').slice(0, 8);
        return { PhysicalResourceId: app + '-' + suffix, Data: { Suffix: suffix, Name: app + '-' + suffix } };
      `,
    });
    this.subnets = new InlineCustomResource(this, 'Subnets', {
      resourceType: 'Custom::SubnetPlan',
      runtime: lambda.Runtime.PYTHON_3_15,
      properties: { Cidr: '10.20.0.0/16', Tiers: ['public', 'private', 'data'] },
      code: `
        import ipaddress
        props = event['ResourceProperties']
        blocks = ipaddress.ip_network(props['Cidr']).subnets(new_prefix=20)
        return {'Data': {tier: str(next(blocks)) for tier in props['Tiers']}}
      `,
    });
    new CfnOutput(this, 'ApplicationName', { value: this.nameSuffix.getAttString('Name'), description: 'orders-<8 hex digits, stable for this stack>' });
    new CfnOutput(this, 'PrivateSubnetCidr', { value: this.subnets.getAttString('private'), description: 'The private tier\'s /20 of 10.20.0.0/16' });
  }
}

/** The IAC-1 example stacks. */
export interface InlineCustomResourceExamples {
  readonly inlineCustomResource: InlineCustomResourceStack;
}

/** Adds the IAC-1 example stack to `app`. */
export function addInlineCustomResourceExamples(app: App, config: ExampleConfig): InlineCustomResourceExamples {
  const inlineCustomResource = new InlineCustomResourceStack(app, 'Iac1-InlineCustomResource', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'IAC-1 InlineCustomResource: inline Node.js and Python custom resources that always answer CloudFormation, their Data in outputs (workload account)',
  });
  return { inlineCustomResource };
}
