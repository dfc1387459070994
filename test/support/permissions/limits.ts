/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation templates are untyped JSON; the check walks them as such. */
/**
 * What CloudFormation accepts and the service rejects at deploy time: names past their length or
 * character rules, policies past their size. Sizes count non-whitespace characters, as IAM does.
 *
 * Sources:
 * - IAM and STS quotas: docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 *   (role name 64, managed policy 6,144, a role's inline policies together 10,240, trust policy
 *   2,048 by default, 10 managed policies per role by default)
 * - S3 bucket naming rules: docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 * - S3 bucket policy 20 KB: docs.aws.amazon.com/AmazonS3/latest/userguide/BucketRestrictions.html
 * - KMS key policy 32 KB: docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html
 * - SNS topic names and policies (256 characters, 30 KB): docs.aws.amazon.com/general/latest/gr/sns.html
 * - the CloudFormation resource reference for the other names (Lambda 64, rule 64, log group 512,
 *   alias 256, state machine 80, CodeBuild project 2-255, pipeline 100, trail 3-128, ...)
 */
import { DeployedAssembly, DeployedResource } from './model';

/** A name, size or value past a service limit. */
export interface LimitProblem {
  readonly resource: DeployedResource;
  readonly message: string;
}

interface NameRule {
  readonly property: string;
  readonly min: number;
  readonly max: number;
  readonly pattern?: RegExp;
  readonly what: string;
}

const NAME_RULES: Record<string, NameRule[]> = {
  'AWS::IAM::Role': [{ property: 'RoleName', min: 1, max: 64, pattern: /^[\w+=,.@-]+$/, what: 'IAM role name' }],
  'AWS::IAM::ManagedPolicy': [{ property: 'ManagedPolicyName', min: 1, max: 128, pattern: /^[\w+=,.@-]+$/, what: 'IAM managed policy name' }],
  'AWS::IAM::InstanceProfile': [{ property: 'InstanceProfileName', min: 1, max: 128, pattern: /^[\w+=,.@-]+$/, what: 'instance profile name' }],
  'AWS::SNS::Topic': [{ property: 'TopicName', min: 1, max: 256, pattern: /^[A-Za-z0-9_-]+(\.fifo)?$/, what: 'SNS topic name' }],
  'AWS::SQS::Queue': [{ property: 'QueueName', min: 1, max: 80, pattern: /^[A-Za-z0-9_-]+(\.fifo)?$/, what: 'SQS queue name' }],
  'AWS::Lambda::Function': [{ property: 'FunctionName', min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/, what: 'Lambda function name' }],
  'AWS::Logs::LogGroup': [{ property: 'LogGroupName', min: 1, max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/, what: 'log group name' }],
  'AWS::KMS::Alias': [{ property: 'AliasName', min: 7, max: 256, pattern: /^alias\/(?!aws\/)[A-Za-z0-9/_-]+$/, what: 'KMS alias' }],
  'AWS::Events::Rule': [{ property: 'Name', min: 1, max: 64, pattern: /^[.\-_A-Za-z0-9]+$/, what: 'EventBridge rule name' }],
  'AWS::CloudWatch::Alarm': [{ property: 'AlarmName', min: 1, max: 255, what: 'alarm name' }],
  'AWS::StepFunctions::StateMachine': [{ property: 'StateMachineName', min: 1, max: 80, pattern: /^[A-Za-z0-9_-]+$/, what: 'state machine name' }],
  'AWS::CodeBuild::Project': [{ property: 'Name', min: 2, max: 255, pattern: /^[A-Za-z0-9][A-Za-z0-9_-]+$/, what: 'CodeBuild project name' }],
  'AWS::CodePipeline::Pipeline': [{ property: 'Name', min: 1, max: 100, pattern: /^[A-Za-z0-9.@_-]+$/, what: 'pipeline name' }],
  'AWS::CloudTrail::Trail': [{ property: 'TrailName', min: 3, max: 128, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$/, what: 'trail name' }],
  'AWS::Config::ConfigRule': [{ property: 'ConfigRuleName', min: 1, max: 128, what: 'Config rule name' }],
  'AWS::SecretsManager::Secret': [{ property: 'Name', min: 1, max: 512, pattern: /^[A-Za-z0-9/_+=.@-]+$/, what: 'secret name' }],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': [{ property: 'Name', min: 1, max: 32, pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, what: 'load balancer name' }],
  'AWS::ElasticLoadBalancingV2::TargetGroup': [{ property: 'Name', min: 1, max: 32, pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, what: 'target group name' }],
  'AWS::CodeCommit::Repository': [{ property: 'RepositoryName', min: 1, max: 100, pattern: /^[\w.-]+$/, what: 'repository name' }],
};

/** Policy documents and their size limits, in non-whitespace characters. */
const POLICY_SIZES: Array<{ type: string; property: string; max: number; what: string; parse?: boolean }> = [
  { type: 'AWS::IAM::ManagedPolicy', property: 'PolicyDocument', max: 6144, what: 'managed policy' },
  { type: 'AWS::S3::BucketPolicy', property: 'PolicyDocument', max: 20 * 1024, what: 'bucket policy' },
  { type: 'AWS::KMS::Key', property: 'KeyPolicy', max: 32 * 1024, what: 'key policy' },
  { type: 'AWS::SNS::TopicPolicy', property: 'PolicyDocument', max: 30 * 1024, what: 'topic policy' },
  { type: 'AWS::SQS::QueuePolicy', property: 'PolicyDocument', max: 8192, what: 'queue policy' },
  { type: 'AWS::Organizations::Policy', property: 'Content', max: 5120, what: 'service control policy' },
];

/** Every limit problem of the assembly. */
export function checkLimits(assembly: DeployedAssembly): LimitProblem[] {
  const problems: LimitProblem[] = [];
  for (const stack of assembly.stacks) {
    for (const resource of stack.resources.values()) {
      for (const rule of NAME_RULES[resource.type] ?? []) {
        const name = resource.properties[rule.property];
        if (typeof name !== 'string') continue;
        if (name.length < rule.min || name.length > rule.max) {
          problems.push({ resource, message: `${rule.what} "${name}" is ${name.length} characters; the limit is ${rule.min}-${rule.max}` });
        } else if (rule.pattern && !rule.pattern.test(name)) {
          problems.push({ resource, message: `${rule.what} "${name}" has characters the service refuses (allowed: ${rule.pattern.source})` });
        }
      }
      for (const size of POLICY_SIZES) {
        if (resource.type !== size.type || resource.properties[size.property] === undefined) continue;
        const length = policySize(resource.properties[size.property]);
        if (length > size.max) problems.push({ resource, message: `${size.what} is ${length} characters without whitespace; the limit is ${size.max}` });
      }
      if (resource.type === 'AWS::S3::Bucket' && typeof resource.properties.BucketName === 'string') {
        const problem = bucketNameProblem(resource.properties.BucketName);
        if (problem) problems.push({ resource, message: problem });
      }
      if (resource.type === 'AWS::IAM::Role') problems.push(...roleProblems(assembly, resource));
    }
  }
  return problems;
}

function policySize(document: unknown): number {
  return (typeof document === 'string' ? document : JSON.stringify(document)).replace(/\s/g, '').length;
}

/** S3's naming rules for general purpose buckets. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `bucket name "${name}" is ${name.length} characters; the limit is 3-63`;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return `bucket name "${name}" may only hold lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit`;
  if (name.includes('..')) return `bucket name "${name}" has two adjacent dots`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return `bucket name "${name}" is formatted as an IP address`;
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name) || /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return `bucket name "${name}" uses a prefix or suffix S3 reserves`;
  return undefined;
}

function roleProblems(assembly: DeployedAssembly, role: DeployedResource): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const trust = policySize(role.properties.AssumeRolePolicyDocument ?? {});
  if (trust > 2048) problems.push({ resource: role, message: `trust policy is ${trust} characters without whitespace; the default quota is 2,048` });
  // Inline policies: the role's own Policies and every AWS::IAM::Policy attached to it count together.
  const inline = [
    ...(role.properties.Policies ?? []).map((p: any) => p.PolicyDocument),
    ...assembly.resourcesOfType('AWS::IAM::Policy')
      .filter((p) => p.stack.account === role.stack.account && (p.properties.Roles ?? []).includes(role.ref))
      .map((p) => p.properties.PolicyDocument),
  ];
  const inlineSize = inline.reduce((sum, d) => sum + policySize(d), 0);
  if (inlineSize > 10240) problems.push({ resource: role, message: `inline policies add up to ${inlineSize} characters without whitespace; IAM allows 10,240 per role` });
  const attached = new Set<string>(role.properties.ManagedPolicyArns ?? []);
  for (const policy of assembly.resourcesOfType('AWS::IAM::ManagedPolicy')) {
    if (policy.stack.account === role.stack.account && (policy.properties.Roles ?? []).includes(role.ref)) attached.add(policy.arn!);
  }
  if (attached.size > 10) problems.push({ resource: role, message: `${attached.size} managed policies are attached; the default quota is 10 per role` });
  return problems;
}
