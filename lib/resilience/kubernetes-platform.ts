/**
 * RES-11 KubernetesPlatform: an Amazon EKS cluster that scales itself, built only from
 * CloudFormation's own EKS resources.
 *
 * A Kubernetes cluster survives the loss of a node or a zone only if something adds nodes where
 * pods are pending and removes them where they are idle. This construct gives that in one of two
 * ways: EKS Auto Mode (the default), where AWS runs Karpenter, the VPC CNI, kube-proxy, CoreDNS,
 * the EBS CSI driver and the load balancer controller as managed components off the nodes; or
 * managed node groups with the networking add-ons as EKS managed add-ons (VPC CNI, CoreDNS,
 * kube-proxy, the Pod Identity agent) and IAM roles, handed out through EKS Pod Identity, for
 * Karpenter and the AWS Load Balancer Controller, which you then install with Helm. Either way:
 * access entries (API authentication mode) instead of the aws-auth ConfigMap, all five
 * control-plane log types to an encrypted log group with a retention, Kubernetes secrets
 * encrypted with a KMS key, and a private API endpoint unless a public one is asked for; a public
 * endpoint open to 0.0.0.0/0 is refused without an explicit opt-in. No kubectl or cluster-resource
 * helper Lambda is involved (aws-cdk-lib's `aws_eks.Cluster` creates both).
 */
import { Aws, Names, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { createEncryptionKey } from '../core/encryption-key';
import { EncryptedLogGroup } from '../core/log-group';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';

/** How the cluster gets its nodes. */
export enum KubernetesCompute {
  /**
   * EKS Auto Mode: AWS launches, patches and removes the nodes (managed Karpenter with the
   * `general-purpose` and `system` node pools) and runs load balancing and block storage.
   */
  AUTO_MODE = 'AUTO_MODE',
  /**
   * A managed node group for the cluster's own components, the networking add-ons as EKS managed
   * add-ons, and Pod Identity roles for Karpenter and the AWS Load Balancer Controller.
   */
  MANAGED_NODE_GROUPS = 'MANAGED_NODE_GROUPS',
}

/**
 * The EKS access policies an access entry can be given
 * (docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
 */
export enum KubernetesAccessPolicy {
  /** Everything in every namespace (like `cluster-admin`); cluster-wide only. */
  CLUSTER_ADMIN = 'AmazonEKSClusterAdminPolicy',
  /** Most resources, roles and role bindings included (like `admin`). */
  ADMIN = 'AmazonEKSAdminPolicy',
  /** Create, change and delete most resources, not roles (like `edit`). */
  EDIT = 'AmazonEKSEditPolicy',
  /** Read most resources, not secrets (like `view`). */
  VIEW = 'AmazonEKSViewPolicy',
}

/** Props for {@link KubernetesPlatform}. */
export interface KubernetesPlatformProps {
  /** The VPC of the cluster (for example a RES-8 `ResilientNetwork`'s). */
  readonly vpc: ec2.IVpc;

  /**
   * The subnets of the control plane's network interfaces and of the nodes, in at least two
   * Availability Zones.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * How the cluster gets its nodes.
   * @default KubernetesCompute.AUTO_MODE
   */
  readonly compute?: KubernetesCompute;

  /**
   * The cluster's name: 1 to 100 letters, digits, hyphens and underscores, starting with a letter
   * or digit. It is fixed because the control-plane log group is created beforehand under the name
   * EKS writes to, `/aws/eks/<name>/cluster`.
   * @default - derived from the construct path, at most 100 characters
   */
  readonly clusterName?: string;

  /**
   * The Kubernetes minor version.
   * @default '1.35'
   */
  readonly version?: string;

  /**
   * The roles given `AmazonEKSClusterAdminPolicy` through an access entry. More access with
   * {@link KubernetesPlatform.grantAccess}.
   * @default - none: nobody can call the Kubernetes API until an access entry is added (the creator
   * of the cluster gets no automatic admin entry)
   */
  readonly adminRoles?: iam.IRole[];

  /**
   * CIDR blocks that may reach the Kubernetes API over a public endpoint. Giving it turns the
   * public endpoint on; the private endpoint stays on. `0.0.0.0/0` needs
   * `allowPublicEndpointFromAnywhere`.
   * @default - no public endpoint: the API is reachable only from the VPC (and networks connected to it)
   */
  readonly publicEndpointCidrs?: string[];

  /**
   * Accept `0.0.0.0/0` in `publicEndpointCidrs`: the Kubernetes API reachable from the whole
   * internet, protected only by authentication.
   * @default false
   */
  readonly allowPublicEndpointFromAnywhere?: boolean;

  /**
   * The key that encrypts Kubernetes secrets (envelope encryption). It must be a symmetric key in
   * the cluster's region whose key policy lets IAM policies of this account grant its use.
   * @default - a new customer managed key with rotation on
   */
  readonly secretsEncryptionKey?: kms.IKey;

  /**
   * How long control-plane log events are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Instance types of the managed node group (`MANAGED_NODE_GROUPS` only). x86_64 types: the
   * group runs the AL2023 x86_64 AMI.
   * @default - m6i.large
   */
  readonly nodeInstanceTypes?: ec2.InstanceType[];

  /**
   * The fewest nodes of the managed node group (`MANAGED_NODE_GROUPS` only); also its starting
   * size. Two spread the cluster's own components over two zones.
   * @default 2
   */
  readonly nodeMinSize?: number;

  /**
   * The most nodes of the managed node group (`MANAGED_NODE_GROUPS` only). Karpenter adds its own
   * nodes outside the group.
   * @default 4
   */
  readonly nodeMaxSize?: number;

  /**
   * A Pod Identity role for Karpenter's controller (service account `karpenter` in namespace
   * `kube-system`) that lets it launch and remove nodes of this cluster (`MANAGED_NODE_GROUPS`
   * only; Auto Mode runs Karpenter itself).
   * @default true
   */
  readonly karpenter?: boolean;

  /**
   * A Pod Identity role for the AWS Load Balancer Controller (service account
   * `aws-load-balancer-controller` in namespace `kube-system`) (`MANAGED_NODE_GROUPS` only; Auto
   * Mode runs load balancing itself).
   * @default true
   */
  readonly loadBalancerController?: boolean;
}

/** EKS cluster names (CreateCluster API: 1-100 characters, `^[0-9A-Za-z][A-Za-z0-9\-_]*`). */
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
/** The control-plane log types (docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html). */
const LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];
/**
 * A Kubernetes version in EKS standard support: 1.35 came to EKS in January 2026 and has 14 months
 * of standard support, until March 2027 (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html,
 * release calendar). The guide already names 1.36 as released upstream; pass `version` for a newer one.
 */
const DEFAULT_VERSION = '1.35';

/**
 * RES-11: an EKS cluster that scales itself (Auto Mode, or managed node groups with Karpenter
 * and load balancer controller roles through Pod Identity), with access entries, control-plane
 * logs, KMS-encrypted secrets and a private endpoint, from CloudFormation's own EKS resources.
 *
 * ```ts
 * const platform = new KubernetesPlatform(this, 'Platform', {
 *   vpc: network.vpc,
 *   adminRoles: [iam.Role.fromRoleArn(this, 'Admin', 'arn:aws:iam::111111111111:role/PlatformAdmin')],
 * });
 * ```
 */
export class KubernetesPlatform extends Construct {
  /** The cluster. */
  public readonly cluster: eks.CfnCluster;
  /** The cluster's name. */
  public readonly clusterName: string;
  /** The cluster's ARN. */
  public readonly clusterArn: string;
  /** The role EKS manages the cluster with. */
  public readonly clusterRole: ServiceRole;
  /** The role of the nodes (Auto Mode nodes, or the managed node group's and Karpenter's). */
  public readonly nodeRole: ServiceRole;
  /** The key that encrypts Kubernetes secrets. */
  public readonly secretsEncryptionKey: kms.IKey;
  /** The control-plane log group, `/aws/eks/<name>/cluster`. */
  public readonly logGroup: logs.ILogGroup;
  /** How the cluster gets its nodes. */
  public readonly compute: KubernetesCompute;
  /** The managed add-ons (`MANAGED_NODE_GROUPS` only), by name. */
  public readonly addons: Record<string, eks.CfnAddon> = {};
  /** The managed node group (`MANAGED_NODE_GROUPS` only). */
  public readonly nodeGroup?: eks.CfnNodegroup;
  /** Karpenter's controller role (`MANAGED_NODE_GROUPS` with `karpenter`). */
  public readonly karpenterRole?: ServiceRole;
  /** The AWS Load Balancer Controller's role (`MANAGED_NODE_GROUPS` with `loadBalancerController`). */
  public readonly loadBalancerControllerRole?: ServiceRole;

  constructor(scope: Construct, id: string, props: KubernetesPlatformProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const compute = props.compute ?? KubernetesCompute.AUTO_MODE;
    const auto = compute === KubernetesCompute.AUTO_MODE;
    const check = new PropsCheck(this, 'KubernetesPlatform');

    const name = props.clusterName ?? Names.uniqueResourceName(this, { maxLength: 100, separator: '-' });
    check.matches('clusterName', props.clusterName, CLUSTER_NAME, '1 to 100 letters, digits, hyphens and underscores, starting with a letter or digit');

    const cidrs = props.publicEndpointCidrs;
    if (cidrs !== undefined) {
      // With the public endpoint on and no CIDRs, EKS opens it to 0.0.0.0/0
      // (docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html).
      check.require(cidrs.length > 0, 'publicEndpointCidrs must name at least one CIDR block (EKS opens a public endpoint without CIDRs to 0.0.0.0/0); leave it out for a private endpoint');
      for (const cidr of cidrs.filter((c) => !Token.isUnresolved(c))) {
        const m = IPV4_CIDR.exec(cidr);
        if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
          check.add(`publicEndpointCidrs must hold IPv4 CIDR blocks such as 203.0.113.0/24, got "${cidr}"`);
        } else if (Number(m[5]) === 0 && !props.allowPublicEndpointFromAnywhere) {
          check.add(`publicEndpointCidrs contains ${cidr}, which opens the Kubernetes API to the whole internet: name your networks, or set allowPublicEndpointFromAnywhere`);
        }
      }
    }
    check.require(!props.allowPublicEndpointFromAnywhere || cidrs !== undefined, 'allowPublicEndpointFromAnywhere has no effect without publicEndpointCidrs');
    check.matches('version', props.version, /^1\.\d{2}$/, 'a Kubernetes minor version such as 1.35');
    if (auto) {
      const nodeGroupProps = (['nodeInstanceTypes', 'nodeMinSize', 'nodeMaxSize', 'karpenter', 'loadBalancerController'] as const).filter((p) => props[p] !== undefined);
      check.require(nodeGroupProps.length === 0, `${nodeGroupProps.join(', ')} apply to compute MANAGED_NODE_GROUPS only: Auto Mode runs nodes, Karpenter and load balancing itself`);
    }
    const minSize = props.nodeMinSize ?? 2;
    const maxSize = props.nodeMaxSize ?? Math.max(4, minSize);
    check.positiveWholeNumber('nodeMinSize', props.nodeMinSize);
    check.positiveWholeNumber('nodeMaxSize', props.nodeMaxSize);
    check.require(minSize <= maxSize, `nodeMinSize (${minSize}) must not exceed nodeMaxSize (${maxSize})`);
    check.require(props.nodeInstanceTypes === undefined || props.nodeInstanceTypes.length > 0, 'nodeInstanceTypes must name at least one instance type (leave it out for m6i.large)');

    const subnets = props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    const zones = subnets.subnets.map((s) => s.availabilityZone);
    // EKS needs subnets in at least two Availability Zones (docs.aws.amazon.com/eks/latest/userguide/network-reqs.html).
    if (!zones.some((z) => Token.isUnresolved(z))) {
      check.require(new Set(zones).size >= 2, `vpcSubnets must span at least 2 Availability Zones (EKS refuses fewer, and nodes must survive a zone), got ${new Set(zones).size}`);
    }
    check.throwIfAny();

    this.compute = compute;
    this.clusterName = name;
    this.clusterArn = stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: name });

    // The cluster role: EKS assumes it and tags the session
    // (docs.aws.amazon.com/eks/latest/userguide/cluster-iam-role.html, .../auto-cluster-iam-role.html).
    this.clusterRole = new ServiceRole(this, 'ClusterRole', {
      assumedBy: new iam.SessionTagsPrincipal(new iam.ServicePrincipal('eks.amazonaws.com')),
      description: `EKS cluster role of ${this.node.path}`.slice(0, 1000),
      managedPolicies: (auto
        ? ['AmazonEKSClusterPolicy', 'AmazonEKSComputePolicy', 'AmazonEKSBlockStoragePolicy', 'AmazonEKSLoadBalancingPolicy', 'AmazonEKSNetworkingPolicy']
        : ['AmazonEKSClusterPolicy']).map((p) => iam.ManagedPolicy.fromAwsManagedPolicyName(p)),
    });
    acknowledgeManagedPolicies(this.clusterRole, auto
      ? 'EKS Auto Mode requires these AWS managed policies on the cluster role (docs.aws.amazon.com/eks/latest/userguide/auto-cluster-iam-role.html); AWS keeps them in step with what Auto Mode launches, scoped to resources tagged for EKS.'
      : 'AmazonEKSClusterPolicy is the policy EKS documents for the cluster role (docs.aws.amazon.com/eks/latest/userguide/cluster-iam-role.html); AWS keeps it in step with what the control plane needs.',
    auto ? ['AmazonEKSClusterPolicy', 'AmazonEKSComputePolicy', 'AmazonEKSBlockStoragePolicy', 'AmazonEKSLoadBalancingPolicy', 'AmazonEKSNetworkingPolicy'] : ['AmazonEKSClusterPolicy']);

    // The node role. Auto Mode nodes need only the minimal worker policy and image pulls
    // (docs.aws.amazon.com/eks/latest/userguide/auto-create-node-role.html). Node group nodes
    // also run the VPC CNI (aws-node), which manages their network interfaces with
    // AmazonEKS_CNI_Policy, and the kubelet, which needs AmazonEKSWorkerNodePolicy
    // (docs.aws.amazon.com/eks/latest/userguide/create-node-role.html). ContainerRegistryPullOnly
    // is the pull-only successor of ContainerRegistryReadOnly.
    const nodePolicies = auto
      ? ['AmazonEKSWorkerNodeMinimalPolicy', 'AmazonEC2ContainerRegistryPullOnly']
      : ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonEKS_CNI_Policy'];
    this.nodeRole = new ServiceRole(this, 'NodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `EKS node role of ${this.node.path}`.slice(0, 1000),
      managedPolicies: nodePolicies.map((p) => iam.ManagedPolicy.fromAwsManagedPolicyName(p)),
    });
    acknowledgeManagedPolicies(this.nodeRole,
      'These are the AWS managed policies EKS documents for the node role (docs.aws.amazon.com/eks/latest/userguide/create-node-role.html, .../auto-create-node-role.html); they let the kubelet join this cluster, pull images and, for node groups, let the VPC CNI manage the node\'s network interfaces.',
      nodePolicies);

    // Secrets envelope encryption: the cluster role uses the key and lets the control plane's
    // grants be created (docs.aws.amazon.com/eks/latest/userguide/enable-kms.html).
    this.secretsEncryptionKey = props.secretsEncryptionKey
      ?? createEncryptionKey(this, 'SecretsKey', { description: `Encrypts the Kubernetes secrets of EKS cluster ${name}` });
    this.clusterRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'SecretsEncryption',
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'],
      resources: [this.secretsEncryptionKey.keyArn],
    }));
    this.clusterRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'SecretsEncryptionGrants',
      actions: ['kms:CreateGrant'],
      resources: [this.secretsEncryptionKey.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }));

    // Created before the cluster, under the name EKS writes to, so EKS does not create it itself
    // unencrypted and kept forever (docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html).
    this.logGroup = new EncryptedLogGroup(this, 'ControlPlaneLogs', {
      logGroupName: `/aws/eks/${name}/cluster`,
      retention: props.logRetention,
    }).logGroup;

    const publicEndpoint = cidrs !== undefined;
    this.cluster = new eks.CfnCluster(this, 'Cluster', {
      name,
      version: props.version ?? DEFAULT_VERSION,
      roleArn: this.clusterRole.roleArn,
      resourcesVpcConfig: {
        subnetIds: subnets.subnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicEndpoint,
        publicAccessCidrs: publicEndpoint ? cidrs : undefined,
      },
      // Access entries only; no automatic admin entry for whoever deploys the stack
      // (docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html).
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false },
      // Auto Mode runs the networking components itself; node groups get them as managed
      // add-ons below, so EKS installs no self-managed copies
      // (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-eks-cluster.html#cfn-eks-cluster-bootstrapselfmanagedaddons).
      bootstrapSelfManagedAddons: false,
      // Envelope encryption with the key. `Resources: ['secrets']` (its only value) is left out:
      // the CloudFormation schema marks the property deprecated (cfn-lint W9009); EKS encrypts
      // with the provider key without it
      // (docs.aws.amazon.com/eks/latest/APIReference/API_EncryptionConfig.html).
      encryptionConfig: [{ provider: { keyArn: this.secretsEncryptionKey.keyArn } }],
      logging: { clusterLogging: { enabledTypes: LOG_TYPES.map((type) => ({ type })) } },
      // Standard support only: a version left behind is upgraded instead of billed at the extended
      // support rate (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html).
      upgradePolicy: { supportType: 'STANDARD' },
      // Auto Mode is three capabilities switched on together: compute, load balancing and block
      // storage; EKS refuses a request that enables only some of them
      // (docs.aws.amazon.com/eks/latest/userguide/auto-enable-existing.html,
      // docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html).
      ...(auto ? {
        computeConfig: { enabled: true, nodePools: ['general-purpose', 'system'], nodeRoleArn: this.nodeRole.roleArn },
        kubernetesNetworkConfig: { elasticLoadBalancing: { enabled: true } },
        storageConfig: { blockStorage: { enabled: true } },
      } : {}),
    });
    this.cluster.node.addDependency(this.logGroup, this.clusterRole.grantsDependable);

    for (const [i, role] of (props.adminRoles ?? []).entries()) {
      this.grantAccess(`Admin${i + 1}`, role, KubernetesAccessPolicy.CLUSTER_ADMIN);
    }

    if (!auto) {
      this.nodeGroup = this.addNodeGroup(subnets.subnetIds, props.nodeInstanceTypes ?? [new ec2.InstanceType('m6i.large')], minSize, maxSize);
      if (props.karpenter ?? true) this.karpenterRole = this.addKarpenterRole();
      if (props.loadBalancerController ?? true) this.loadBalancerControllerRole = this.addLoadBalancerControllerRole();
    }
  }

  /**
   * Gives `role` access to the Kubernetes API through an access entry with one access policy,
   * cluster-wide or limited to `namespaces`.
   *
   * @param id construct id of the access entry
   * @param role the IAM role people or systems use
   * @param policy what the role may do
   * @param namespaces limit the policy to these namespaces (not with CLUSTER_ADMIN)
   */
  public grantAccess(id: string, role: iam.IRole, policy: KubernetesAccessPolicy, namespaces?: string[]): eks.CfnAccessEntry {
    const check = new PropsCheck(this, 'KubernetesPlatform.grantAccess');
    check.require(!(policy === KubernetesAccessPolicy.CLUSTER_ADMIN && namespaces !== undefined), 'CLUSTER_ADMIN is cluster-wide: give ADMIN, EDIT or VIEW for namespaces');
    check.require(namespaces === undefined || namespaces.length > 0, 'namespaces must name at least one namespace (leave it out for cluster-wide access)');
    check.throwIfAny();
    const entry = new eks.CfnAccessEntry(this, id, {
      clusterName: this.cluster.ref,
      principalArn: role.roleArn,
      type: 'STANDARD',
      accessPolicies: [{
        policyArn: `arn:${Aws.PARTITION}:eks::aws:cluster-access-policy/${policy}`,
        accessScope: namespaces ? { type: 'namespace', namespaces } : { type: 'cluster' },
      }],
    });
    return entry;
  }

  /** The managed add-ons, the node group's launch template and the node group. */
  private addNodeGroup(subnetIds: string[], instanceTypes: ec2.InstanceType[], minSize: number, maxSize: number): eks.CfnNodegroup {
    // The networking components the notes name, as EKS managed add-ons at the default version
    // for the cluster's Kubernetes version (docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html);
    // the Pod Identity agent serves the roles below (docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html).
    for (const addonName of ['vpc-cni', 'kube-proxy', 'eks-pod-identity-agent', 'coredns']) {
      this.addons[addonName] = new eks.CfnAddon(this, `Addon-${addonName}`, {
        clusterName: this.cluster.ref,
        addonName,
        resolveConflicts: 'OVERWRITE',
      });
    }

    // IMDSv2 only, hop limit 1: pods outside the host network cannot reach the node's
    // credentials; they get their own through Pod Identity
    // (docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html).
    const launchTemplate = new ec2.LaunchTemplate(this, 'NodeLaunchTemplate', {
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(50, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      }],
    });
    const nodeGroup = new eks.CfnNodegroup(this, 'NodeGroup', {
      clusterName: this.cluster.ref,
      nodeRole: this.nodeRole.roleArn,
      subnets: subnetIds,
      amiType: 'AL2023_x86_64_STANDARD',
      capacityType: 'ON_DEMAND',
      instanceTypes: instanceTypes.map((t) => t.toString()),
      scalingConfig: { minSize, desiredSize: minSize, maxSize },
      updateConfig: { maxUnavailable: 1 },
      launchTemplate: { id: launchTemplate.launchTemplateId, version: launchTemplate.latestVersionNumber },
    });
    // Nodes become ready only with the CNI and kube-proxy; CoreDNS needs nodes to run on.
    nodeGroup.addResourceDependency(this.addons['vpc-cni']);
    nodeGroup.addResourceDependency(this.addons['kube-proxy']);
    nodeGroup.addResourceDependency(this.addons['eks-pod-identity-agent']);
    this.addons.coredns.addResourceDependency(nodeGroup);
    return nodeGroup;
  }

  /** A role only EKS Pod Identity of this account can hand to `serviceAccount` pods of this cluster. */
  private podIdentityRole(id: string, namespace: string, serviceAccount: string, what: string): ServiceRole {
    const stack = Stack.of(this);
    // Pod Identity assumes the role as pods.eks.amazonaws.com with sts:TagSession; its request
    // carries the cluster as aws:SourceArn and the account as aws:SourceAccount
    // (docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html).
    const role = new ServiceRole(this, id, {
      assumedBy: new iam.SessionTagsPrincipal(new iam.ServicePrincipal('pods.eks.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnEquals: { 'aws:SourceArn': this.clusterArn },
      })),
      description: `${what} of EKS cluster ${this.clusterName} (${namespace}/${serviceAccount})`.slice(0, 1000),
    });
    const association = new eks.CfnPodIdentityAssociation(this, `${id}Association`, {
      clusterName: this.cluster.ref,
      namespace,
      serviceAccount,
      roleArn: role.roleArn,
    });
    association.node.addDependency(role.grantsDependable);
    return role;
  }

  /**
   * Karpenter's controller policy as its getting-started template defines it
   * (karpenter.sh/docs/reference/cloudformation/), scoped to this cluster's tag; without the
   * interruption queue statement (this construct creates no queue).
   */
  private addKarpenterRole(): ServiceRole {
    const role = this.podIdentityRole('KarpenterRole', 'kube-system', 'karpenter', 'Karpenter controller');
    const stack = Stack.of(this);
    const clusterTag = `kubernetes.io/cluster/${this.clusterName}`;
    const ec2Arn = (resource: string, account = '*') => `arn:${Aws.PARTITION}:ec2:${stack.region}:${account}:${resource}`;
    const tagged = [ec2Arn('fleet/*'), ec2Arn('instance/*'), ec2Arn('volume/*'), ec2Arn('network-interface/*'), ec2Arn('launch-template/*')];
    const statements: Array<[string, string[], string[], Record<string, unknown> | undefined]> = [
      ['AllowScopedEC2InstanceActions', ['ec2:RunInstances', 'ec2:CreateFleet'],
        [ec2Arn('image/*', ''), ec2Arn('snapshot/*', ''), ec2Arn('spot-instances-request/*'), ec2Arn('security-group/*'), ec2Arn('subnet/*'), ec2Arn('launch-template/*')], undefined],
      ['AllowScopedEC2InstanceActionsWithTags', ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'], tagged,
        { StringEquals: { [`aws:RequestTag/${clusterTag}`]: 'owned' }, StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' } }],
      ['AllowScopedResourceCreationTagging', ['ec2:CreateTags'], tagged,
        { StringEquals: { [`aws:RequestTag/${clusterTag}`]: 'owned', 'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'] }, StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' } }],
      ['AllowScopedResourceTagging', ['ec2:CreateTags'], [ec2Arn('instance/*')],
        { 'StringEquals': { [`aws:ResourceTag/${clusterTag}`]: 'owned' }, 'StringLike': { 'aws:ResourceTag/karpenter.sh/nodepool': '*' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['karpenter.sh/nodeclaim', 'Name'] } }],
      ['AllowScopedDeletion', ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'], [ec2Arn('instance/*'), ec2Arn('launch-template/*')],
        { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: 'owned' }, StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' } }],
      ['AllowRegionalReadActions', ['ec2:DescribeAvailabilityZones', 'ec2:DescribeImages', 'ec2:DescribeInstances', 'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeInstanceTypes', 'ec2:DescribeLaunchTemplates', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSpotPriceHistory', 'ec2:DescribeSubnets'], ['*'],
      { StringEquals: { 'aws:RequestedRegion': stack.region } }],
      ['AllowSSMReadActions', ['ssm:GetParameter'], [`arn:${Aws.PARTITION}:ssm:${stack.region}::parameter/aws/service/*`], undefined],
      ['AllowPricingReadActions', ['pricing:GetProducts'], ['*'], undefined],
      ['AllowPassingInstanceRole', ['iam:PassRole'], [this.nodeRole.roleArn], { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } }],
      ['AllowScopedInstanceProfileCreationActions', ['iam:CreateInstanceProfile'], ['*'],
        { StringEquals: { [`aws:RequestTag/${clusterTag}`]: 'owned', 'aws:RequestTag/topology.kubernetes.io/region': stack.region }, StringLike: { 'aws:RequestTag/karpenter.sh/nodeclass': '*' } }],
      ['AllowScopedInstanceProfileTagActions', ['iam:TagInstanceProfile'], ['*'],
        { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: 'owned', 'aws:ResourceTag/topology.kubernetes.io/region': stack.region, [`aws:RequestTag/${clusterTag}`]: 'owned', 'aws:RequestTag/topology.kubernetes.io/region': stack.region },
          StringLike: { 'aws:ResourceTag/karpenter.sh/nodeclass': '*', 'aws:RequestTag/karpenter.sh/nodeclass': '*' } }],
      ['AllowScopedInstanceProfileActions', ['iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'], ['*'],
        { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: 'owned', 'aws:ResourceTag/topology.kubernetes.io/region': stack.region }, StringLike: { 'aws:ResourceTag/karpenter.sh/nodeclass': '*' } }],
      ['AllowInstanceProfileReadActions', ['iam:GetInstanceProfile'], ['*'], undefined],
      ['AllowAPIServerEndpointDiscovery', ['eks:DescribeCluster'], [this.clusterArn], undefined],
    ];
    for (const [sid, actions, resources, conditions] of statements) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
    }
    const reason = 'Karpenter launches and removes nodes whose ids it cannot know in advance; as in its documented controller policy (karpenter.sh/docs/reference/cloudformation/), creating, tagging and deleting are limited to resources carrying this cluster\'s kubernetes.io/cluster tag and a Karpenter node pool or node class tag, reads to this region, and PassRole to the node role.';
    for (const resource of new Set(statements.flatMap(([, , resources]) => resources).filter((r) => r.includes('*')))) {
      role.acknowledgeWildcardResource(resource, reason);
    }
    return role;
  }

  /**
   * The AWS Load Balancer Controller's permissions: a documented subset of its IAM policy
   * (github.com/kubernetes-sigs/aws-load-balancer-controller, docs/install/iam_policy.json, as the
   * EKS guide installs it: docs.aws.amazon.com/eks/latest/userguide/lbc-helm.html) that manages
   * load balancers, target groups, listeners, rules and its own security groups, scoped to the
   * `elbv2.k8s.aws/cluster` tag the controller puts on what it creates. Left out: WAF, Shield and
   * Cognito integrations (add them to the role when you use those annotations).
   */
  private addLoadBalancerControllerRole(): ServiceRole {
    const role = this.podIdentityRole('LoadBalancerControllerRole', 'kube-system', 'aws-load-balancer-controller', 'AWS Load Balancer Controller');
    const ours = { StringEquals: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': this.clusterName } };
    const statements: Array<[string, string[], Record<string, unknown> | undefined]> = [
      ['ServiceLinkedRole', ['iam:CreateServiceLinkedRole'], { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } }],
      ['Describe', ['ec2:DescribeAccountAttributes', 'ec2:DescribeAddresses', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeInternetGateways', 'ec2:DescribeVpcs',
        'ec2:DescribeVpcPeeringConnections', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeInstances', 'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeTags', 'ec2:GetCoipPoolUsage', 'ec2:DescribeCoipPools', 'ec2:GetSecurityGroupsForVpc', 'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeLoadBalancerAttributes', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeListenerCertificates',
        'elasticloadbalancing:DescribeSSLPolicies', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeTags',
        'elasticloadbalancing:DescribeListenerAttributes', 'acm:ListCertificates', 'acm:DescribeCertificate'], undefined],
      // Rules on the nodes' security group let the load balancer reach the pods.
      ['NodeSecurityGroupIngress', ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'], undefined],
      ['CreateSecurityGroup', ['ec2:CreateSecurityGroup'], undefined],
      ['TagNewSecurityGroup', ['ec2:CreateTags'], { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup', 'aws:RequestTag/elbv2.k8s.aws/cluster': this.clusterName } }],
      ['OwnSecurityGroups', ['ec2:CreateTags', 'ec2:DeleteTags', 'ec2:DeleteSecurityGroup'], ours],
      ['CreateLoadBalancers', ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'],
        { StringEquals: { 'aws:RequestTag/elbv2.k8s.aws/cluster': this.clusterName } }],
      ['TagOnCreate', ['elasticloadbalancing:AddTags'], {
        'StringEquals': { 'aws:RequestTag/elbv2.k8s.aws/cluster': this.clusterName, 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'] },
      }],
      ['OwnLoadBalancers', ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags', 'elasticloadbalancing:ModifyLoadBalancerAttributes',
        'elasticloadbalancing:SetIpAddressType', 'elasticloadbalancing:SetSecurityGroups', 'elasticloadbalancing:SetSubnets', 'elasticloadbalancing:DeleteLoadBalancer',
        'elasticloadbalancing:ModifyTargetGroup', 'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:DeleteTargetGroup',
        'elasticloadbalancing:ModifyListenerAttributes'], ours],
      ['Listeners', ['elasticloadbalancing:CreateListener', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:CreateRule', 'elasticloadbalancing:DeleteRule',
        'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:AddListenerCertificates', 'elasticloadbalancing:RemoveListenerCertificates',
        'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'], undefined],
    ];
    for (const [sid, actions, conditions] of statements) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources: ['*'], conditions }));
    }
    role.acknowledgeWildcardResource('*', 'The AWS Load Balancer Controller creates load balancers, target groups, listeners and security groups whose ARNs are generated; as in its documented policy, creating, changing and deleting them is limited by the elbv2.k8s.aws/cluster tag (here: this cluster\'s name), and the unconditioned statements are reads, listener and rule edits and the ingress rules that let load balancers reach the nodes.');
    return role;
  }
}

/** Acknowledges AWS managed policies (AwsSolutions-IAM4) on a role this construct created. */
function acknowledgeManagedPolicies(role: iam.Role, reason: string, policies: string[]): void {
  for (const policy of policies) {
    acknowledge(role.node.defaultChild!, `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`, reason);
  }
}
