import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KubernetesAccessPolicy, KubernetesCompute, KubernetesPlatform, KubernetesPlatformProps, ResilientNetwork } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addKubernetesPlatformExamples } from '../../examples/resilience/kubernetes-platform';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const ENV = { account: '444444444444', region: 'eu-west-1' };
const ZONES = ['eu-west-1a', 'eu-west-1b'];
const ADMIN = 'arn:aws:iam::444444444444:role/PlatformAdmin';

type Props = Omit<KubernetesPlatformProps, 'vpc'>;

function platformStack(props: Props = {}, app: App = new App({ context: cdkJsonContext() })): { stack: Stack; platform: KubernetesPlatform } {
  const stack = new Stack(app, 'Kube', { env: ENV });
  stack.node.setContext(`availability-zones:account=${ENV.account}:region=${ENV.region}`, ZONES);
  const network = new ResilientNetwork(stack, 'Network', { availabilityZones: ZONES });
  const platform = new KubernetesPlatform(stack, 'Platform', { vpc: network.vpc, ...props });
  return { stack, platform };
}

const NODE_GROUPS: Props = { compute: KubernetesCompute.MANAGED_NODE_GROUPS };

function refusal(...problems: string[]): string {
  return [`Kube/Platform: invalid KubernetesPlatform props (${problems.length} problem${problems.length === 1 ? '' : 's'}):`, ...problems.map((p) => `  - ${p}`)].join('\n');
}

describe('RES-11 KubernetesPlatform', () => {
  const app = exampleTestApp();
  const stacks = addKubernetesPlatformExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(stacks.kubernetes);
  const clusterName = stacks.kubernetes.platform.clusterName;

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(stacks));
    expect(report.edgeKinds['EKS cluster role']).toBe(1);
    expect(report.edgeKinds['EKS node role (ec2)']).toBe(1);
  });

  test('Auto Mode: compute with the general-purpose and system node pools, load balancing and block storage, all three on together', () => {
    example.hasResourceProperties('AWS::EKS::Cluster', {
      ComputeConfig: { Enabled: true, NodePools: ['general-purpose', 'system'], NodeRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PlatformNodeRole'), 'Arn'] } },
      KubernetesNetworkConfig: { ElasticLoadBalancing: { Enabled: true } },
      StorageConfig: { BlockStorage: { Enabled: true } },
      BootstrapSelfManagedAddons: false,
    });
    example.resourceCountIs('AWS::EKS::Addon', 0);
    example.resourceCountIs('AWS::EKS::Nodegroup', 0);
  });

  test('the API endpoint is private: private access on, public access off, in the private subnets of both zones', () => {
    example.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: {
        EndpointPrivateAccess: true,
        EndpointPublicAccess: false,
        PublicAccessCidrs: Match.absent(),
        SubnetIds: [{ Ref: Match.stringLikeRegexp('^NetworkVpcprivateSubnet1') }, { Ref: Match.stringLikeRegexp('^NetworkVpcprivateSubnet2') }],
      },
    });
  });

  test('access entries only (API mode, no automatic admin for the deployer), and the admin role gets AmazonEKSClusterAdminPolicy cluster-wide', () => {
    example.hasResourceProperties('AWS::EKS::Cluster', { AccessConfig: { AuthenticationMode: 'API', BootstrapClusterCreatorAdminPermissions: false } });
    example.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: { Ref: Match.stringLikeRegexp('^PlatformCluster') },
      PrincipalArn: `arn:aws:iam::${stacks.kubernetes.account}:role/PlatformAdmin`,
      Type: 'STANDARD',
      AccessPolicies: [{
        PolicyArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy']] },
        AccessScope: { Type: 'cluster' },
      }],
    });
  });

  test('all five control-plane log types go to /aws/eks/<name>/cluster, created first, encrypted and with a retention', () => {
    example.hasResourceProperties('AWS::EKS::Cluster', {
      Name: clusterName,
      Logging: { ClusterLogging: { EnabledTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].map((Type) => ({ Type })) } },
    });
    example.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/eks/${clusterName}/cluster`, RetentionInDays: 365, KmsKeyId: Match.anyValue(),
    });
    const [logicalId] = Object.keys(example.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: `/aws/eks/${clusterName}/cluster` } }));
    const cluster = Object.values(example.findResources('AWS::EKS::Cluster'))[0];
    expect(cluster.DependsOn).toContain(logicalId);
  });

  test('the cluster name is fixed, valid and within 100 characters, even under a long construct path', () => {
    expect(clusterName).toMatch(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/);
    const app2 = new App({ context: cdkJsonContext() });
    const stack = new Stack(app2, 'A'.repeat(120), { env: ENV });
    stack.node.setContext(`availability-zones:account=${ENV.account}:region=${ENV.region}`, ZONES);
    const network = new ResilientNetwork(stack, 'Network', { availabilityZones: ZONES });
    const p = new KubernetesPlatform(stack, 'B'.repeat(150), { vpc: network.vpc });
    expect(p.clusterName.length).toBeLessThanOrEqual(100);
    expect(p.clusterName).toMatch(/^[0-9A-Za-z][A-Za-z0-9_-]*$/);
  });

  test('Kubernetes secrets are encrypted with a rotating KMS key the cluster role may use', () => {
    example.hasResourceProperties('AWS::EKS::Cluster', {
      EncryptionConfig: [{ Resources: Match.absent(), Provider: { KeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PlatformSecretsKey'), 'Arn'] } } }],
      UpgradePolicy: { SupportType: 'STANDARD' },
      Version: '1.35',
    });
    example.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('Kubernetes secrets') });
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^PlatformClusterRole') }],
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Sid: 'SecretsEncryption', Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt'] }),
        Match.objectLike({ Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
      ]) },
    });
  });

  test('the cluster role is EKS\'s with session tags and the five Auto Mode policies; the node role EC2\'s with the minimal worker policy and image pulls', () => {
    const policies = (names: string[]) => names.map((n) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/${n}`]] }));
    example.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] },
      ManagedPolicyArns: policies(['AmazonEKSClusterPolicy', 'AmazonEKSComputePolicy', 'AmazonEKSBlockStoragePolicy', 'AmazonEKSLoadBalancingPolicy', 'AmazonEKSNetworkingPolicy']),
    });
    example.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
      ManagedPolicyArns: policies(['AmazonEKSWorkerNodeMinimalPolicy', 'AmazonEC2ContainerRegistryPullOnly']),
    });
  });

  test('CloudFormation\'s own EKS resources only: no kubectl or cluster-resource Lambda, no custom resource', () => {
    const resources: Record<string, { Type: string }> = example.toJSON().Resources;
    const types = new Set(Object.entries(resources).filter(([id]) => id.startsWith('Platform')).map(([, r]) => r.Type));
    expect([...types].filter((t) => t.startsWith('AWS::Lambda::') || t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource')).toEqual([]);
    expect(types).toContain('AWS::EKS::Cluster');
  });

  describe('managed node groups', () => {
    const { stack, platform } = platformStack(NODE_GROUPS);
    const t = Template.fromStack(stack);

    test('no Auto Mode settings; VPC CNI, kube-proxy, the Pod Identity agent and CoreDNS as managed add-ons, CoreDNS after the nodes', () => {
      t.hasResourceProperties('AWS::EKS::Cluster', { ComputeConfig: Match.absent(), StorageConfig: Match.absent(), BootstrapSelfManagedAddons: false });
      for (const name of ['vpc-cni', 'kube-proxy', 'eks-pod-identity-agent', 'coredns']) {
        t.hasResourceProperties('AWS::EKS::Addon', { AddonName: name, ClusterName: { Ref: Match.stringLikeRegexp('^PlatformCluster') } });
      }
      const group = Object.keys(t.findResources('AWS::EKS::Nodegroup'))[0];
      const coredns = Object.values(t.findResources('AWS::EKS::Addon', { Properties: { AddonName: 'coredns' } }))[0];
      expect(coredns.DependsOn).toContain(group);
      expect(platform.addons.coredns).toBeDefined();
    });

    test('the node group spans the private subnets, two to four nodes, with IMDSv2 only at hop limit 1 and an encrypted root volume', () => {
      t.hasResourceProperties('AWS::EKS::Nodegroup', {
        AmiType: 'AL2023_x86_64_STANDARD', InstanceTypes: ['m6i.large'],
        ScalingConfig: { MinSize: 2, DesiredSize: 2, MaxSize: 4 },
        NodeRole: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PlatformNodeRole'), 'Arn'] },
        Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^NetworkVpcprivateSubnet1') }]),
      });
      t.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 50, VolumeType: 'gp3' } }],
      }) });
    });

    test('the node role has the worker, image pull and CNI policies', () => {
      const policies = (names: string[]) => names.map((n) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/${n}`]] }));
      t.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: policies(['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonEKS_CNI_Policy']) });
    });

    test('Karpenter and the load balancer controller get roles through Pod Identity, trusted by pods.eks.amazonaws.com of this cluster only', () => {
      for (const serviceAccount of ['karpenter', 'aws-load-balancer-controller']) {
        t.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'kube-system', ServiceAccount: serviceAccount });
      }
      t.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [{
          Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: { StringEquals: { 'aws:SourceAccount': ENV.account }, ArnEquals: { 'aws:SourceArn': Match.stringLikeRegexp(`cluster/${platform.clusterName}$`) } },
        }] },
      });
    });

    test('Karpenter may create, tag and terminate only what carries this cluster\'s tag, and pass only the node role', () => {
      const statements = platform.karpenterRole!.grantedStatements.map((s) => stack.resolve(s.toStatementJson()));
      const deletion = statements.find((s) => s.Sid === 'AllowScopedDeletion');
      expect(deletion.Condition.StringEquals).toEqual({ [`aws:ResourceTag/kubernetes.io/cluster/${platform.clusterName}`]: 'owned' });
      const pass = statements.find((s) => s.Sid === 'AllowPassingInstanceRole');
      expect(pass.Resource).toEqual(stack.resolve(platform.nodeRole.roleArn));
      expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
    });

    test('the load balancer controller changes and deletes only load balancers and security groups tagged with this cluster', () => {
      const statements = platform.loadBalancerControllerRole!.grantedStatements.map((s) => stack.resolve(s.toStatementJson()));
      const own = statements.find((s) => s.Sid === 'OwnLoadBalancers');
      expect(own.Action).toContain('elasticloadbalancing:DeleteLoadBalancer');
      expect(own.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': platform.clusterName } });
      const create = statements.find((s) => s.Sid === 'CreateLoadBalancers');
      expect(create.Condition).toEqual({ StringEquals: { 'aws:RequestTag/elbv2.k8s.aws/cluster': platform.clusterName } });
    });
  });

  test('a public endpoint only for the CIDR blocks given, next to the private one', () => {
    const { stack } = platformStack({ publicEndpointCidrs: ['203.0.113.0/24'] });
    Template.fromStack(stack).hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: true, PublicAccessCidrs: ['203.0.113.0/24'] }),
    });
  });

  test('grantAccess gives a namespace-scoped access policy', () => {
    const { stack, platform } = platformStack();
    platform.grantAccess('Viewers', iam.Role.fromRoleArn(stack, 'Viewer', 'arn:aws:iam::444444444444:role/Viewer'), KubernetesAccessPolicy.VIEW, ['shop']);
    Template.fromStack(stack).hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: 'arn:aws:iam::444444444444:role/Viewer',
      AccessPolicies: [{ PolicyArn: Match.anyValue(), AccessScope: { Type: 'namespace', Namespaces: ['shop'] } }],
    });
  });

  test('passes the checks and the permission test on its own, Auto Mode and managed node groups', async () => {
    const a = checkedApp();
    const auto = platformStack({}, a).stack;
    const b = checkedApp();
    const groups = platformStack(NODE_GROUPS, b).stack;
    expect(() => synthWithChecks(a)).not.toThrow();
    expect(() => synthWithChecks(b)).not.toThrow();
    await expectPermissionsHold(auto);
    const report = await expectPermissionsHold(groups);
    expect(report.edgeKinds['EKS Pod Identity']).toBe(2);
    expect(report.edgeKinds['EKS node role (ec2)']).toBe(1);
    expect(report.edgeKinds['EKS cluster role']).toBe(1);
  });
});

describe('RES-11 KubernetesPlatform refusals', () => {
  test('refuses a public endpoint open to 0.0.0.0/0 without the explicit opt-in', () => {
    expect(() => platformStack({ publicEndpointCidrs: ['0.0.0.0/0'] })).toThrow(refusal(
      'publicEndpointCidrs contains 0.0.0.0/0, which opens the Kubernetes API to the whole internet: name your networks, or set allowPublicEndpointFromAnywhere'));
    expect(() => platformStack({ publicEndpointCidrs: ['0.0.0.0/0'], allowPublicEndpointFromAnywhere: true })).not.toThrow();
  });

  test('refuses a public endpoint without CIDR blocks (EKS would open it to 0.0.0.0/0)', () => {
    expect(() => platformStack({ publicEndpointCidrs: [] })).toThrow(refusal(
      'publicEndpointCidrs must name at least one CIDR block (EKS opens a public endpoint without CIDRs to 0.0.0.0/0); leave it out for a private endpoint'));
  });

  test('refuses what is not an IPv4 CIDR block', () => {
    expect(() => platformStack({ publicEndpointCidrs: ['203.0.113.300/24'] })).toThrow(refusal(
      'publicEndpointCidrs must hold IPv4 CIDR blocks such as 203.0.113.0/24, got "203.0.113.300/24"'));
  });

  test('refuses the opt-in without a public endpoint', () => {
    expect(() => platformStack({ allowPublicEndpointFromAnywhere: true })).toThrow(refusal('allowPublicEndpointFromAnywhere has no effect without publicEndpointCidrs'));
  });

  test('refuses a cluster name EKS does not accept', () => {
    expect(() => platformStack({ clusterName: '-shop' })).toThrow(refusal(
      'clusterName must be 1 to 100 letters, digits, hyphens and underscores, starting with a letter or digit, got "-shop"'));
  });

  test('refuses a version that is not a Kubernetes minor version', () => {
    expect(() => platformStack({ version: 'latest' })).toThrow(refusal('version must be a Kubernetes minor version such as 1.35, got "latest"'));
  });

  test('refuses node group settings with Auto Mode', () => {
    expect(() => platformStack({ nodeMinSize: 3, karpenter: true })).toThrow(refusal(
      'nodeMinSize, karpenter apply to compute MANAGED_NODE_GROUPS only: Auto Mode runs nodes, Karpenter and load balancing itself'));
  });

  test('refuses a node group whose minimum exceeds its maximum', () => {
    expect(() => platformStack({ ...NODE_GROUPS, nodeMinSize: 5, nodeMaxSize: 3 })).toThrow(refusal('nodeMinSize (5) must not exceed nodeMaxSize (3)'));
  });

  test('refuses subnets in fewer than two Availability Zones', () => {
    const stack = new Stack(new App({ context: cdkJsonContext() }), 'Kube', { env: ENV });
    stack.node.setContext(`availability-zones:account=${ENV.account}:region=${ENV.region}`, ZONES);
    const network = new ResilientNetwork(stack, 'Network', { availabilityZones: ZONES });
    expect(() => new KubernetesPlatform(stack, 'Platform', { vpc: network.vpc, vpcSubnets: { subnets: [network.vpc.privateSubnets[0]] } })).toThrow(refusal(
      'vpcSubnets must span at least 2 Availability Zones (EKS refuses fewer, and nodes must survive a zone), got 1'));
  });

  test('refuses CLUSTER_ADMIN limited to namespaces', () => {
    const { stack, platform } = platformStack();
    expect(() => platform.grantAccess('X', iam.Role.fromRoleArn(stack, 'R', ADMIN), KubernetesAccessPolicy.CLUSTER_ADMIN, ['shop'])).toThrow(
      'Kube/Platform: invalid KubernetesPlatform.grantAccess props (1 problem):\n  - CLUSTER_ADMIN is cluster-wide: give ADMIN, EDIT or VIEW for namespaces');
  });
});
