/**
 * RES-11 example: in the workload account, an EKS Auto Mode cluster in a RES-8 network across two
 * Availability Zones, with a private endpoint and one administrator role through an access entry.
 * (Managed node groups with Karpenter and load balancer controller roles are shown in the tests
 * only: a second cluster would double the idle cost of the example.)
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { KubernetesPlatform, ResilientNetwork } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The Kubernetes platform stack. */
export class KubernetesPlatformStack extends Stack {
  public readonly network: ResilientNetwork;
  public readonly platform: KubernetesPlatform;

  constructor(scope: Construct, id: string, props: StackProps & { region: string; account: string }) {
    super(scope, id, props);
    const zones = ['a', 'b'].map((z) => `${props.region}${z}`);
    // The zones the account has in the region, as `cdk synth` would look them up: given here so
    // the example synthesizes without credentials (see the RES-8 example).
    this.node.setContext(`availability-zones:account=${this.account}:region=${this.region}`, zones);
    this.network = new ResilientNetwork(this, 'Network', { availabilityZones: zones });
    this.platform = new KubernetesPlatform(this, 'Platform', {
      vpc: this.network.vpc,
      adminRoles: [iam.Role.fromRoleArn(this, 'PlatformAdmin', `arn:aws:iam::${props.account}:role/PlatformAdmin`)],
    });
  }
}

/** The RES-11 example stacks. */
export interface KubernetesPlatformExamples {
  readonly kubernetes: KubernetesPlatformStack;
}

/** Adds the RES-11 example stack to `app`. */
export function addKubernetesPlatformExamples(app: App, config: ExampleConfig): KubernetesPlatformExamples {
  return {
    kubernetes: new KubernetesPlatformStack(app, 'Res11-Kubernetes', {
      env: env(config.workloadAccount, config.primaryRegion),
      region: config.primaryRegion,
      account: config.workloadAccount,
      description: 'RES-11 KubernetesPlatform: EKS Auto Mode, private endpoint, access entries, control-plane logs, KMS-encrypted secrets, in a two-zone network',
    }),
  };
}
