/**
 * CICD-6 example: nginx from the public ECR gallery on Fargate, behind an internet-facing ALB
 * (access logs, WAF), released blue/green by CodeDeploy with a 10 % canary for 5 minutes. The
 * test listener on 8443 is reachable from inside the VPC only.
 */
import { App, Fn, Stack, StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeNotReplicated, EcsBlueGreenService, EncryptedLogGroup, isSandbox, SecureBucket, SecureBucketEncryption, ServiceRole } from '../../lib';
import { env, ExampleConfig } from '../config';

const VPC_CIDR = '10.20.0.0/16';

/** Two AZs chosen by CloudFormation at deployment, instead of a lookup at synth. */
export function deployTimeAzs(): string[] {
  return [0, 1].map((i) => Fn.select(i, Fn.getAzs()));
}

/**
 * A two-AZ VPC for the CICD examples: public subnets without automatic public IPs, private
 * subnets with one NAT gateway, and flow logs to an encrypted log group. No lookups.
 */
export function exampleVpc(scope: Construct, id: string): ec2.Vpc {
  const vpc = new ec2.Vpc(scope, id, {
    ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
    maxAzs: 2,
    natGateways: 1,
    restrictDefaultSecurityGroup: false,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
    ],
  });
  const flowLogs = new EncryptedLogGroup(scope, `${id}FlowLogs`).logGroup;
  const role = new ServiceRole(scope, `${id}FlowLogsRole`, {
    assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
    description: `Writes the flow logs of ${vpc.node.path}`,
  });
  vpc.addFlowLog('FlowLogs', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs, role) });
  for (const subnet of vpc.publicSubnets) {
    acknowledge(subnet.node.findChild('DefaultRoute'), 'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
      'Public subnets hold only the internet-facing load balancer and the NAT gateway, which must reach the internet; workloads run in private subnets.');
  }
  acknowledge(vpc.node.defaultChild!, 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed',
    'Nothing in this VPC uses its default security group (every resource gets its own); closing it needs a custom resource Lambda, so the account baseline closes default groups instead.');
  return vpc;
}

/** Props for {@link EcsBlueGreenServiceStack}. */
export interface EcsBlueGreenServiceStackProps extends StackProps {
  /** The domain the example serves; its ACM certificate is validated by DNS. */
  readonly domainName: string;
}

/** The CICD-6 example stack. */
export class EcsBlueGreenServiceStack extends Stack {
  public readonly blueGreen: EcsBlueGreenService;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;

  /** The first two AZs of the region, resolved at deployment (`Fn::GetAZs`): synth needs no credentials. */
  public get availabilityZones(): string[] {
    return deployTimeAzs();
  }

  constructor(scope: Construct, id: string, props: EcsBlueGreenServiceStackProps) {
    super(scope, id, props);
    const sandbox = isSandbox(this);
    const vpc = exampleVpc(this, 'Vpc');
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
      deletionProtection: !sandbox,
    });
    // ALB access log delivery only writes to buckets encrypted with SSE-S3.
    const accessLogs = new SecureBucket(this, 'LoadBalancerLogs', { encryption: SecureBucketEncryption.S3_MANAGED });
    acknowledge(accessLogs.bucket.node.defaultChild!, 'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'Elastic Load Balancing delivers access logs only to buckets encrypted with SSE-S3, so this log bucket cannot use a KMS key.');
    acknowledgeNotReplicated(accessLogs.bucket,
      'Load balancer access logs are operational records; replicating them to a second region is not worth its cost for this log bucket.');
    this.loadBalancer.logAccessLogs(accessLogs.bucket, 'alb');
    if (sandbox) {
      acknowledge(this.loadBalancer.node.defaultChild!, 'NIST.800.53.R5-ELBDeletionProtectionEnabled',
        'In sandbox mode the stack is meant to be destroyed with cdk destroy, which deletion protection would block.');
    }
    this.protectWithWaf();
    acknowledge(this.loadBalancer.connections.securityGroups[0].node.defaultChild!, 'AwsSolutions-EC23',
      'The internet-facing load balancer serves the public on its HTTPS production port; the test port only admits the VPC CIDR.');

    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.domainName,
      validation: acm.CertificateValidation.fromDns(),
    });
    this.blueGreen = new EcsBlueGreenService(this, 'Web', {
      cluster,
      loadBalancer: this.loadBalancer,
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
      productionListener: { port: 443, certificate },
      // Testers reach the replacement task set from inside the VPC only (a literal CIDR: checks can read it).
      testListener: { port: 8443, certificate, allowFrom: ec2.Peer.ipv4(VPC_CIDR) },
    });
  }

  /** AWS managed common rule set in front of the load balancer, with WAF logs to an encrypted log group. */
  private protectWithWaf(): void {
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'cicd6-web-acl', sampledRequestsEnabled: true },
      rules: [{
        name: 'aws-common',
        priority: 0,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' } },
        visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'cicd6-aws-common', sampledRequestsEnabled: true },
      }],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: this.loadBalancer.loadBalancerArn, webAclArn: acl.attrArn });
    const wafLogs = new EncryptedLogGroup(this, 'WafLogs', { logGroupName: `aws-waf-logs-${this.stackName}` }).logGroup;
    new wafv2.CfnLoggingConfiguration(this, 'WafLogging', { resourceArn: acl.attrArn, logDestinationConfigs: [wafLogs.logGroupArn] });
  }
}

/** The CICD-6 example stacks. */
export interface EcsBlueGreenServiceExamples {
  readonly blueGreen: EcsBlueGreenServiceStack;
}

/** Adds the CICD-6 example stack to `app`. The domain comes from the `cicd6DomainName` context. */
export function addEcsBlueGreenServiceExamples(app: App, config: ExampleConfig): EcsBlueGreenServiceExamples {
  const blueGreen = new EcsBlueGreenServiceStack(app, 'Cicd6-EcsBlueGreen', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'CICD-6 EcsBlueGreenService: Fargate service released blue/green by CodeDeploy',
    domainName: (app.node.tryGetContext('cicd6DomainName') as string | undefined) ?? 'blue-green.example.com',
  });
  return { blueGreen };
}
