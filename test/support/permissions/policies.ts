/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation templates are untyped JSON; the check walks them as such. */
/**
 * Where the policies that decide a request live in a deployed assembly: a resource's own policy
 * (topic, queue, bucket, key, function, role trust, log resource policies) and a role's identity
 * policies (inline, attached customer managed, and the AWS managed ones this library relies on).
 */
import { DeployedAssembly, DeployedResource } from './model';

/** A policy document with where it came from, for messages. */
export interface LocatedPolicy {
  readonly label: string;
  readonly document: PolicyDocument;
}

/** An IAM policy document. */
export interface PolicyDocument {
  Version?: string;
  Statement: any[];
}

/** The policy that decides requests on a resource, by kind. */
export type ResourcePolicyLookup =
  | { readonly kind: 'policy'; readonly policy: LocatedPolicy; readonly resource: DeployedResource; readonly account: string }
  | { readonly kind: 'none'; readonly resource?: DeployedResource; readonly account: string; readonly why: string }
  | { readonly kind: 'outside'; readonly why: string };

const EMPTY: PolicyDocument = { Version: '2012-10-17', Statement: [] };

/**
 * AWS managed policies the library attaches, as far as the permission check needs them: only
 * the statements that grant on the edges it evaluates. Anything else attached by ARN is not
 * known here, and a request that only such a policy could allow fails, saying so.
 * Source: the AWS Managed Policy Reference Guide (docs.aws.amazon.com/aws-managed-policy/latest/reference/).
 */
const AWS_MANAGED: Record<string, PolicyDocument> = {
  // Its snapshot statements (docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSDataLifecycleManagerServiceRole.html).
  'service-role/AWSDataLifecycleManagerServiceRole': {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['ec2:CreateSnapshot', 'ec2:CreateSnapshots', 'ec2:DeleteSnapshot', 'ec2:DescribeInstances', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshots', 'ec2:CopySnapshot'], Resource: '*' },
      { Effect: 'Allow', Action: ['ec2:CreateTags'], Resource: 'arn:aws:ec2:*::snapshot/*' },
    ],
  },
  // Only its CloudWatch statement: CodeDeploy reads the deployment group's alarms.
  'service-role/AWSCodeDeployRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['cloudwatch:DescribeAlarms'], Resource: '*' }],
  },
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
};

/** Services whose resources can carry a policy this check does not read yet: an edge to them cannot be judged. */
const SERVICES_WITH_RESOURCE_POLICIES = new Set(['events', 'secretsmanager', 'ecr', 'kinesis', 'firehose', 'es', 'aoss', 'backup', 'glacier', 'execute-api', 'codeartifact', 'ssm-incidents', 'states']);

/** Splits an ARN into its parts. */
export function parseArn(arn: string): { service: string; region: string; account: string; resource: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { service: parts[2], region: parts[3], account: parts[4], resource: parts.slice(5).join(':') };
}

/** Policies of the assembly, looked up by resource. */
export class PolicyIndex {
  constructor(private readonly assembly: DeployedAssembly) {}

  /** The bucket an S3 ARN (bucket or object) names. */
  public bucketOf(arn: string): DeployedResource | undefined {
    const name = arn.replace(/^arn:aws:s3:::/, '').split('/')[0];
    return this.assembly.findByRef(name, 'AWS::S3::Bucket');
  }

  /** The KMS key a key id, key ARN, alias name or alias ARN names, in `account`/`region`. */
  public keyOf(reference: string, account: string, region: string): DeployedResource | undefined {
    const inEnv = (r: DeployedResource) => r.stack.account === account && r.stack.region === region;
    if (reference.startsWith('arn:')) {
      const arn = parseArn(reference);
      if (!arn) return undefined;
      if (arn.resource.startsWith('key/')) return this.assembly.findByArn(reference, 'AWS::KMS::Key');
      if (arn.resource.startsWith('alias/')) return this.keyOf(arn.resource, arn.account, arn.region);
      return undefined;
    }
    if (reference.startsWith('alias/')) {
      const alias = this.assembly.resourcesOfType('AWS::KMS::Alias').find((a) => inEnv(a) && a.properties.AliasName === reference);
      return alias ? this.keyOf(String(alias.properties.TargetKeyId), account, region) : undefined;
    }
    return this.assembly.resourcesOfType('AWS::KMS::Key').find((k) => inEnv(k) && k.ref === reference);
  }

  /** The alias names (`alias/...`) that point at a key: the value of `kms:ResourceAliases`. */
  public aliasesOf(key: DeployedResource): string[] {
    return this.assembly.resourcesOfType('AWS::KMS::Alias')
      .filter((a) => a.stack === key.stack && (a.properties.TargetKeyId === key.ref || a.properties.TargetKeyId === key.arn))
      .map((a) => String(a.properties.AliasName));
  }

  /** The resource policy that decides `action` on `arn`. */
  public resourcePolicy(arn: string, principalAccount?: string, action?: string): ResourcePolicyLookup {
    if (arn === '*') return { kind: 'none', account: principalAccount ?? '', why: 'the action has no resource-level permissions' };
    const parsed = parseArn(arn);
    if (!parsed) return { kind: 'outside', why: `"${arn}" is not an ARN` };
    switch (parsed.service) {
      case 's3': {
        const bucket = this.bucketOf(arn);
        if (!bucket) return { kind: 'outside', why: `bucket of ${arn} is not in the assembly` };
        const policy = this.assembly.resourcesOfType('AWS::S3::BucketPolicy').find((p) => p.stack.account === bucket.stack.account && p.properties.Bucket === bucket.ref);
        return policy
          ? { kind: 'policy', account: bucket.stack.account, resource: bucket, policy: { label: `bucket policy ${policy.label}`, document: policy.properties.PolicyDocument } }
          : { kind: 'none', account: bucket.stack.account, resource: bucket, why: 'the bucket has no bucket policy' };
      }
      case 'kms': {
        const key = this.keyOf(arn, parsed.account, parsed.region);
        if (!key) return { kind: 'outside', why: `key ${arn} is not in the assembly` };
        return { kind: 'policy', account: key.stack.account, resource: key, policy: { label: `key policy of ${key.label}`, document: key.properties.KeyPolicy ?? EMPTY } };
      }
      case 'sns': {
        const topic = this.assembly.findByArn(arn, 'AWS::SNS::Topic');
        if (!topic) return { kind: 'outside', why: `topic ${arn} is not in the assembly` };
        const policies = this.assembly.resourcesOfType('AWS::SNS::TopicPolicy').filter((p) => (p.properties.Topics as string[]).includes(arn));
        if (policies.length === 0) return { kind: 'none', account: topic.stack.account, resource: topic, why: 'the topic has no AWS::SNS::TopicPolicy, so SNS\'s default policy applies, which admits only principals of the owning account and no service' };
        return { kind: 'policy', account: topic.stack.account, resource: topic, policy: { label: `topic policy ${policies.map((p) => p.label).join(' + ')}`, document: merge(policies.map((p) => p.properties.PolicyDocument)) } };
      }
      case 'sqs': {
        const queue = this.assembly.findByArn(arn, 'AWS::SQS::Queue');
        if (!queue) return { kind: 'outside', why: `queue ${arn} is not in the assembly` };
        const policies = this.assembly.resourcesOfType('AWS::SQS::QueuePolicy').filter((p) => (p.properties.Queues as string[]).includes(queue.ref));
        if (policies.length === 0) return { kind: 'none', account: queue.stack.account, resource: queue, why: 'the queue has no AWS::SQS::QueuePolicy' };
        return { kind: 'policy', account: queue.stack.account, resource: queue, policy: { label: `queue policy ${policies.map((p) => p.label).join(' + ')}`, document: merge(policies.map((p) => p.properties.PolicyDocument)) } };
      }
      case 'lambda': {
        const fnArn = arn.split(':').slice(0, 7).join(':');
        const fn = this.assembly.findByArn(fnArn, 'AWS::Lambda::Function');
        if (!fn) return { kind: 'outside', why: `function ${arn} is not in the assembly` };
        const statements = this.assembly.resourcesOfType('AWS::Lambda::Permission')
          .filter((p) => [fn.ref, fn.arn, arn].includes(String(p.properties.FunctionName)))
          .map((p) => lambdaPermissionStatement(p, arn));
        return { kind: 'policy', account: fn.stack.account, resource: fn, policy: { label: `AWS::Lambda::Permission resources of ${fn.label}`, document: { Version: '2012-10-17', Statement: statements } } };
      }
      case 'iam': {
        // The trust policy decides only who may assume a role; every IAM action on a role
        // (PassRole, CreateRole, ...) is decided by the caller's identity policies.
        if (!action?.startsWith('sts:')) return { kind: 'none', account: parsed.account, why: `${action} is decided by identity policies` };
        const role = this.assembly.findByArn(arn, 'AWS::IAM::Role');
        if (!role) return { kind: 'outside', why: `role ${arn} is not in the assembly` };
        return { kind: 'policy', account: role.stack.account, resource: role, policy: { label: `trust policy of ${role.label}`, document: role.properties.AssumeRolePolicyDocument } };
      }
      case 'logs': {
        const group = this.assembly.findByArn(arn.replace(/:log-stream:.*$/, ':*'), 'AWS::Logs::LogGroup');
        if (!group) {
          // A group the service creates on first write (a function's /aws/lambda/<name>): same
          // account, so the caller's identity policy decides.
          if (/:log-group:\/aws\/lambda\//.test(arn)) return { kind: 'none', account: parsed.account, why: `${arn} is created by Lambda on first write` };
          return { kind: 'outside', why: `log group of ${arn} is not in the assembly` };
        }
        const policies = this.assembly.resourcesOfType('AWS::Logs::ResourcePolicy')
          .filter((p) => p.stack.account === group.stack.account && p.stack.region === group.stack.region);
        return { kind: 'policy', account: group.stack.account, resource: group, policy: { label: `CloudWatch Logs resource policies of ${group.stack.account}/${group.stack.region}`, document: merge(policies.map((p) => JSON.parse(p.properties.PolicyDocument))) } };
      }
      default: {
        const found = this.assembly.findByArn(arn);
        // A resource of a service without resource policies (CloudFormation stacks, EC2, ...):
        // the caller's identity policy decides, wherever the resource is defined.
        // ARNs without an account (EC2 images and snapshots, AWS-owned SSM documents; index.ts
        // maps the latter's empty field to `aws-owned`) are decided like the caller's own.
        const account = parsed.account === '' || parsed.account === 'aws-owned' ? principalAccount ?? parsed.account : parsed.account;
        if (!found && !SERVICES_WITH_RESOURCE_POLICIES.has(parsed.service)) return { kind: 'none', account, why: `${parsed.service} resources have no resource policy` };
        if (!found) return { kind: 'outside', why: `${arn} is not in the assembly` };
        return { kind: 'none', account: found.stack.account, resource: found, why: `${parsed.service} resources have no resource policy` };
      }
    }
  }

  /** The identity policies of a role of the assembly. */
  public identityPolicies(role: DeployedResource): { policies: LocatedPolicy[]; unknown: string[] } {
    const policies: LocatedPolicy[] = [];
    const unknown: string[] = [];
    for (const inline of role.properties.Policies ?? []) {
      policies.push({ label: `inline policy ${inline.PolicyName} of ${role.label}`, document: inline.PolicyDocument });
    }
    for (const policy of this.assembly.resourcesOfType('AWS::IAM::Policy')) {
      if (policy.stack.account === role.stack.account && (policy.properties.Roles ?? []).includes(role.ref)) {
        policies.push({ label: `policy ${policy.label}`, document: policy.properties.PolicyDocument });
      }
    }
    const attached = new Set<string>(role.properties.ManagedPolicyArns ?? []);
    for (const policy of this.assembly.resourcesOfType('AWS::IAM::ManagedPolicy')) {
      if (policy.stack.account === role.stack.account && ((policy.properties.Roles ?? []).includes(role.ref) || attached.has(policy.arn!))) {
        policies.push({ label: `managed policy ${policy.label}`, document: policy.properties.PolicyDocument });
        attached.delete(policy.arn!);
      }
    }
    for (const arn of attached) {
      const name = arn.split(':policy/')[1];
      if (arn.split(':')[4] === 'aws' && AWS_MANAGED[name]) {
        policies.push({ label: `AWS managed policy ${name}`, document: AWS_MANAGED[name] });
      } else {
        unknown.push(arn);
      }
    }
    return { policies, unknown };
  }
}

function merge(documents: PolicyDocument[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: documents.flatMap((d) => asArray(d.Statement)) };
}

/** An `AWS::Lambda::Permission` as the statement Lambda adds to the function's policy. */
function lambdaPermissionStatement(permission: DeployedResource, functionArn: string): any {
  const p = permission.properties;
  const principal = String(p.Principal);
  const conditions: Record<string, Record<string, string>> = {};
  if (p.SourceArn) conditions.ArnLike = { 'aws:SourceArn': p.SourceArn };
  if (p.SourceAccount) conditions.StringEquals = { 'aws:SourceAccount': p.SourceAccount };
  if (p.PrincipalOrgID) conditions.StringEquals = { ...conditions.StringEquals, 'aws:PrincipalOrgID': p.PrincipalOrgID };
  return {
    Effect: 'Allow',
    Principal: principal.includes('.amazonaws.com') ? { Service: principal } : { AWS: principal },
    Action: p.Action,
    Resource: functionArn,
    ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
  };
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
