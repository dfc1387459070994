/**
 * RES-8 example: the workload account's network in the primary region, across three
 * Availability Zones with a NAT gateway in each, dual stack.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ResilientNetwork } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The network stack. */
export class ResilientNetworkStack extends Stack {
  public readonly network: ResilientNetwork;

  constructor(scope: Construct, id: string, props: StackProps & { region: string }) {
    super(scope, id, props);
    const zones = ['a', 'b', 'c'].map((z) => `${props.region}${z}`);
    // The zones the account has in the region, as `cdk synth` would look them up: given here so
    // the example synthesizes without credentials. In your app, `cdk synth` looks them up once
    // and keeps them in cdk.context.json.
    this.node.setContext(`availability-zones:account=${this.account}:region=${this.region}`, zones);
    this.network = new ResilientNetwork(this, 'Network', {
      availabilityZones: zones,
      dualStack: true,
    });
  }
}

/** The RES-8 example stacks. */
export interface ResilientNetworkExamples {
  readonly network: ResilientNetworkStack;
}

/** Adds the RES-8 example stack to `app`. */
export function addResilientNetworkExamples(app: App, config: ExampleConfig): ResilientNetworkExamples {
  return {
    network: new ResilientNetworkStack(app, 'Res8-Network', {
      env: env(config.workloadAccount, config.primaryRegion),
      region: config.primaryRegion,
      description: 'RES-8 ResilientNetwork: a VPC across three Availability Zones, one NAT gateway per zone, flow logs, dual stack',
    }),
  };
}
