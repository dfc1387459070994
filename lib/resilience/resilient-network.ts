/**
 * RES-8 ResilientNetwork: a VPC that survives the loss of an Availability Zone.
 *
 * A NAT gateway lives in one AZ and does not span several, so a VPC whose private subnets share
 * one NAT gateway loses outbound access everywhere when that AZ fails. This VPC spans at least two
 * AZs with one public and one private subnet in each and one NAT gateway per AZ, each private
 * subnet routing through the gateway of its own AZ. Flow logs of all traffic go to an encrypted
 * log group through a role only VPC Flow Logs of this account can assume; optionally the VPC is
 * dual stack (an Amazon-provided IPv6 block, IPv6 in every subnet, and an egress-only internet
 * gateway so private subnets reach out over IPv6 without being reachable).
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { EncryptedLogGroup } from '../core/log-group';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';

/** Props for {@link ResilientNetwork}. */
export interface ResilientNetworkProps {
  /**
   * The Availability Zones to span, at least two (for example `['eu-west-1a', 'eu-west-1b',
   * 'eu-west-1c']`). Naming them keeps `cdk synth` free of an AZ lookup.
   * @default - the first `maxAzs` zones of the stack's region
   */
  readonly availabilityZones?: string[];

  /**
   * How many Availability Zones to span when `availabilityZones` is not given, at least two. An
   * environment-agnostic stack knows only two zones.
   * @default 3
   */
  readonly maxAzs?: number;

  /**
   * The VPC's IPv4 CIDR block.
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;

  /**
   * Dual stack: an Amazon-provided IPv6 block, an IPv6 range in every subnet, and an egress-only
   * internet gateway for the private subnets.
   * @default false
   */
  readonly dualStack?: boolean;

  /**
   * Which traffic the flow logs record.
   * @default ec2.FlowLogTrafficType.ALL
   */
  readonly flowLogTrafficType?: ec2.FlowLogTrafficType;

  /**
   * How long flow log records are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;
}

/**
 * RES-8: a VPC across at least two Availability Zones with one NAT gateway per zone, flow logs
 * of all traffic to an encrypted log group, and optionally dual stack.
 *
 * ```ts
 * const network = new ResilientNetwork(this, 'Network', {
 *   availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
 * });
 * // network.vpc: private subnets with egress for workloads, public subnets for load balancers
 * ```
 */
export class ResilientNetwork extends Construct {
  /** The VPC. */
  public readonly vpc: ec2.Vpc;
  /** The log group flow logs are delivered to. */
  public readonly flowLogGroup: logs.ILogGroup;
  /** The role VPC Flow Logs delivers with. */
  public readonly flowLogRole: ServiceRole;
  /** The flow log of the VPC. */
  public readonly flowLog: ec2.FlowLog;

  constructor(scope: Construct, id: string, props: ResilientNetworkProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const check = new PropsCheck(this, 'ResilientNetwork');
    const zones = props.availabilityZones;
    if (zones !== undefined) {
      check.require(zones.length >= 2, `availabilityZones must name at least 2 Availability Zones (a NAT gateway and a subnet fail with their zone), got ${zones.length}`);
      check.require(new Set(zones).size === zones.length, `availabilityZones must not repeat a zone, got ${zones.join(', ')}`);
      check.require(props.maxAzs === undefined, 'set availabilityZones or maxAzs, not both');
    }
    const maxAzs = props.maxAzs ?? 3;
    if (zones === undefined) check.require(Number.isInteger(maxAzs) && maxAzs >= 2, `maxAzs must be a whole number of at least 2 (a NAT gateway and a subnet fail with their zone), got ${maxAzs}`);
    check.throwIfAny();

    const dualStack = props.dualStack ?? false;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.0.0.0/16'),
      ...(zones ? { availabilityZones: zones } : { maxAzs }),
      // One NAT gateway per zone: a gateway lives in one zone, and each private subnet routes
      // through the gateway of its own zone (docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html).
      natGateways: zones?.length ?? maxAzs,
      ipProtocol: dualStack ? ec2.IpProtocol.DUAL_STACK : ec2.IpProtocol.IPV4_ONLY,
      subnetConfiguration: [
        // Public subnets hold the NAT gateways (with their own Elastic IPs) and load balancers;
        // nothing launched there gets a public address unless it asks for one.
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
    });
    if (dualStack) {
      // IPv6 addresses are globally unique: the public subnets assign none automatically, and
      // the private subnets' are reachable only outbound, through the egress-only gateway.
      for (const subnet of this.vpc.publicSubnets) {
        (subnet.node.defaultChild as ec2.CfnSubnet).assignIpv6AddressOnCreation = false;
      }
      for (const subnet of this.vpc.privateSubnets) {
        acknowledge(subnet.node.defaultChild!, 'NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled',
          'This private subnet gives instances IPv6 addresses so they reach out over IPv6, but its only IPv6 route goes to an egress-only internet gateway, which lets no connection in from the internet.');
      }
    }
    for (const subnet of this.vpc.publicSubnets) {
      for (const child of subnet.node.children) {
        if (child instanceof ec2.CfnRoute) {
          acknowledge(child, 'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
            'This is the route of a public subnet to the internet gateway, which the NAT gateway of its zone needs to give the private subnets outbound access; no instance in the subnet gets a public address unless it asks for one.');
        }
      }
    }

    this.flowLogRole = new ServiceRole(this, 'FlowLogRole', {
      // Confused-deputy protection: VPC Flow Logs sends aws:SourceAccount and aws:SourceArn
      // (docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' }) },
      }),
      description: `VPC flow logs delivery of ${this.node.path}`.slice(0, 1000),
    });
    this.flowLogGroup = new EncryptedLogGroup(this, 'FlowLogs', { retention: props.flowLogRetention }).logGroup;
    this.flowLog = this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup, this.flowLogRole),
      trafficType: props.flowLogTrafficType ?? ec2.FlowLogTrafficType.ALL,
    });
  }
}
