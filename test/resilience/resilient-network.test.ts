import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ResilientNetwork } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addResilientNetworkExamples } from '../../examples/resilience/resilient-network';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const ENV = { account: '444444444444', region: 'eu-west-1' };
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function networkStack(props: ConstructorParameters<typeof ResilientNetwork>[2] = {}, app: App = new App({ context: cdkJsonContext() })): Stack {
  const stack = new Stack(app, 'Net', { env: ENV });
  stack.node.setContext(`availability-zones:account=${ENV.account}:region=${ENV.region}`, ZONES);
  new ResilientNetwork(stack, 'Network', props);
  return stack;
}

describe('RES-8 ResilientNetwork', () => {
  const app = exampleTestApp();
  const stacks = addResilientNetworkExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(stacks.network);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });

  test('one NAT gateway in each of the three zones, and each private subnet routes out through the gateway of its own zone', () => {
    const resources = example.toJSON().Resources as Resources;
    const byId = (ref: unknown) => resources[(ref as { Ref: string }).Ref];
    const nats = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::EC2::NatGateway');
    expect(nats).toHaveLength(3);
    const natZone = new Map(nats.map(([id, r]) => [id, byId(r.Properties.SubnetId).Properties.AvailabilityZone]));
    expect(new Set(natZone.values())).toEqual(new Set(ZONES));
    const privateSubnets = Object.entries(resources).filter(([id, r]) => r.Type === 'AWS::EC2::Subnet' && id.includes('private'));
    expect(privateSubnets).toHaveLength(3);
    for (const [id, subnet] of privateSubnets) {
      const association = Object.values(resources).find((r) => r.Type === 'AWS::EC2::SubnetRouteTableAssociation' && (r.Properties.SubnetId as { Ref: string }).Ref === id)!;
      const table = (association.Properties.RouteTableId as { Ref: string }).Ref;
      const defaultRoute = Object.values(resources).find((r) => r.Type === 'AWS::EC2::Route' && (r.Properties.RouteTableId as { Ref: string }).Ref === table && r.Properties.DestinationCidrBlock === '0.0.0.0/0')!;
      expect(natZone.get((defaultRoute.Properties.NatGatewayId as { Ref: string }).Ref)).toBe(subnet.Properties.AvailabilityZone);
    }
  });

  test('public subnets assign no public IPv4 or IPv6 address on launch', () => {
    const subnets = Object.entries(example.toJSON().Resources as Resources).filter(([id, r]) => r.Type === 'AWS::EC2::Subnet' && id.includes('public'));
    expect(subnets).toHaveLength(3);
    for (const [, s] of subnets) expect(s.Properties).toMatchObject({ MapPublicIpOnLaunch: false, AssignIpv6AddressOnCreation: false });
  });

  test('flow logs of all traffic go to an encrypted log group, through a role only VPC Flow Logs of this account can assume', () => {
    example.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs',
      LogGroupName: { Ref: Match.stringLikeRegexp('^NetworkFlowLogs') },
      DeliverLogsPermissionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkFlowLogRole'), 'Arn'] },
    });
    example.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
    example.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '444444444444' }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
      })] },
    });
  });

  test('dual stack: an Amazon-provided IPv6 block, and private subnets reach out over IPv6 through an egress-only internet gateway', () => {
    example.hasResourceProperties('AWS::EC2::VPCCidrBlock', { AmazonProvidedIpv6CidrBlock: true });
    example.resourceCountIs('AWS::EC2::EgressOnlyInternetGateway', 1);
    example.hasResourceProperties('AWS::EC2::Route', { DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: Match.anyValue() });
  });

  test('IPv4 only unless asked, with the given CIDR', () => {
    const t = Template.fromStack(networkStack({ availabilityZones: ZONES.slice(0, 2), cidr: '10.20.0.0/16' }));
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.20.0.0/16' });
    t.resourceCountIs('AWS::EC2::VPCCidrBlock', 0);
    t.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  test('an environment-agnostic stack spans the two zones it knows, with a NAT gateway in each', () => {
    const stack = new Stack(new App({ context: cdkJsonContext() }), 'Agnostic');
    new ResilientNetwork(stack, 'Network');
    Template.fromStack(stack).resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  test('passes the checks on its own', () => {
    const app2 = checkedApp();
    networkStack({ availabilityZones: ZONES.slice(0, 2), flowLogTrafficType: ec2.FlowLogTrafficType.REJECT }, app2);
    expect(() => synthWithChecks(app2)).not.toThrow();
  });
});

describe('RES-8 ResilientNetwork refusals', () => {
  test('refuses a single Availability Zone', () => {
    expect(() => networkStack({ availabilityZones: ['eu-west-1a'] }))
      .toThrow('Net/Network: invalid ResilientNetwork props (1 problem):\n  - availabilityZones must name at least 2 Availability Zones (a NAT gateway and a subnet fail with their zone), got 1');
  });

  test('refuses maxAzs below 2', () => {
    expect(() => networkStack({ maxAzs: 1 }))
      .toThrow('Net/Network: invalid ResilientNetwork props (1 problem):\n  - maxAzs must be a whole number of at least 2 (a NAT gateway and a subnet fail with their zone), got 1');
  });

  test('refuses a repeated zone and both ways of choosing zones, listing both problems', () => {
    expect(() => networkStack({ availabilityZones: ['eu-west-1a', 'eu-west-1a'], maxAzs: 2 })).toThrow([
      'Net/Network: invalid ResilientNetwork props (2 problems):',
      '  - availabilityZones must not repeat a zone, got eu-west-1a, eu-west-1a',
      '  - set availabilityZones or maxAzs, not both',
    ].join('\n'));
  });
});
