/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation templates are untyped JSON; the check walks them as such. */
/**
 * The deployed view of a cloud assembly: every stack's resources with the physical names and ARNs
 * CloudFormation would give them in the example accounts and regions, and every intrinsic
 * function resolved to a concrete string. The permission check evaluates policies over this
 * view, so a statement is judged on the ARN a service really sends, not on the JSON CDK wrote.
 */
import * as crypto from 'crypto';
import * as cxapi from 'aws-cdk-lib/cx-api';

/** Placeholders for an environment-agnostic stack (a pattern test's bare `new Stack()`). */
export const AGNOSTIC_ACCOUNT = '123456789012';
export const AGNOSTIC_REGION = 'us-east-1';

/** One resource of one stack, with its resolved properties and physical identity. */
export interface DeployedResource {
  readonly stack: DeployedStack;
  readonly logicalId: string;
  readonly type: string;
  /** Properties with every intrinsic resolved (AWS::NoValue removed). */
  readonly properties: Record<string, any>;
  /** What `Ref` returns. */
  readonly ref: string;
  /** The resource's ARN, where it has one. */
  readonly arn?: string;
  /** Other `Fn::GetAtt` attributes. */
  readonly attributes: Record<string, string>;
  /** `Stack/LogicalId`, for messages. */
  readonly label: string;
  /** The construct path, from the template metadata. */
  readonly path?: string;
}

/** One stack of the assembly, deployed in its account and region. */
export interface DeployedStack {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly resources: Map<string, DeployedResource>;
  readonly outputs: Record<string, string>;
}

/** A partition-wide view of the assembly's stacks, with lookups by ARN and name. */
export class DeployedAssembly {
  /**
   * Builds the view from a synthesized assembly (`app.synth()`), nested assemblies included.
   * Each StackSet whose template is inline (`TemplateBody`) also becomes one stack per region in
   * `memberAccount`, so what members deploy is checked against what the administrator owns.
   */
  public static fromAssembly(assembly: cxapi.CloudAssembly, options: { memberAccount?: string } = {}): DeployedAssembly {
    const inputs: StackInput[] = assembly.stacksRecursively.map((s) => ({
      stackName: s.stackName,
      account: cxapi.UNKNOWN_ACCOUNT === s.environment.account ? AGNOSTIC_ACCOUNT : s.environment.account,
      region: cxapi.UNKNOWN_REGION === s.environment.region ? AGNOSTIC_REGION : s.environment.region,
      template: s.template,
    }));
    const first = new DeployedAssembly(inputs);
    const instances: StackInput[] = [];
    for (const stackSet of first.resourcesOfType('AWS::CloudFormation::StackSet')) {
      const body = stackSet.properties.TemplateBody;
      if (typeof body !== 'string') continue;
      const parameters = Object.fromEntries((stackSet.properties.Parameters ?? []).map((p: any) => [p.ParameterKey, p.ParameterValue]));
      const regions = new Set<string>((stackSet.properties.StackInstancesGroup ?? []).flatMap((g: any) => g.Regions ?? []));
      for (const region of regions) {
        instances.push({
          stackName: `${stackSet.stack.stackName}.${stackSet.logicalId}@${region}`,
          account: options.memberAccount ?? AGNOSTIC_ACCOUNT,
          region,
          template: JSON.parse(body),
          parameters,
        });
      }
    }
    return instances.length === 0 ? first : new DeployedAssembly([...inputs, ...instances]);
  }

  public readonly stacks: DeployedStack[] = [];
  private readonly byArn = new Map<string, DeployedResource>();
  private readonly byRef = new Map<string, DeployedResource[]>();

  constructor(inputs: StackInput[]) {
    // Two passes: physical identities first (they only depend on literal names, which never refer
    // to other stacks), then properties, which may import other stacks' exports.
    const pending: Array<{ stack: DeployedStack; template: any; resolver: Resolver }> = [];
    const exports = new Map<string, string>();
    for (const input of inputs) {
      const stack: DeployedStack = { stackName: input.stackName, account: input.account, region: input.region, resources: new Map(), outputs: {} };
      const resolver = new Resolver(stack, input.template, exports, input.parameters ?? {}, (name) => this.stacks.find((st) => st.stackName === name));
      for (const [logicalId, raw] of Object.entries<any>(input.template.Resources ?? {})) {
        const identity = resolver.identity(logicalId, raw);
        const resource: DeployedResource = {
          stack, logicalId, type: raw.Type, properties: {}, ref: identity.ref, arn: identity.arn,
          attributes: identity.attributes, label: `${stack.stackName}/${logicalId}`, path: raw.Metadata?.['aws:cdk:path'],
        };
        stack.resources.set(logicalId, resource);
      }
      pending.push({ stack, template: input.template, resolver });
      this.stacks.push(stack);
    }
    for (const { stack, template, resolver } of pending) {
      for (const [name, output] of Object.entries<any>(template.Outputs ?? {})) {
        const value = resolver.resolve(output.Value);
        stack.outputs[name] = value;
        if (output.Export?.Name) exports.set(resolver.resolve(output.Export.Name), value);
      }
    }
    for (const { stack, template, resolver } of pending) {
      for (const [logicalId, raw] of Object.entries<any>(template.Resources ?? {})) {
        const resource = stack.resources.get(logicalId)! as { properties: Record<string, any> };
        resource.properties = resolver.resolve(raw.Properties ?? {});
      }
    }
    for (const stack of this.stacks) {
      for (const resource of stack.resources.values()) {
        if (resource.arn) this.byArn.set(resource.arn, resource);
        const list = this.byRef.get(resource.ref) ?? [];
        list.push(resource);
        this.byRef.set(resource.ref, list);
      }
    }
  }

  /** Every resource of `type`, across stacks. */
  public resourcesOfType(type: string): DeployedResource[] {
    return this.stacks.flatMap((s) => [...s.resources.values()].filter((r) => r.type === type));
  }

  /** The resource with this ARN (an S3 object ARN or `log-group:name:*` finds its container). */
  public findByArn(arn: string, type?: string): DeployedResource | undefined {
    const candidates = [arn, arn.replace(/:\*$/, ''), `${arn}:*`];
    for (const candidate of candidates) {
      const found = this.byArn.get(candidate);
      if (found && (!type || found.type === type)) return found;
    }
    return undefined;
  }

  /** The resource of `type` whose `Ref` value is `ref` (a bucket name, a role name, ...). */
  public findByRef(ref: string, type: string, account?: string): DeployedResource | undefined {
    return (this.byRef.get(ref) ?? []).find((r) => r.type === type && (!account || r.stack.account === account));
  }
}

/** A template deployed as one stack. */
interface StackInput {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly template: any;
  /** Parameter values passed to the stack (StackSet parameters); others take their Default. */
  readonly parameters?: Record<string, string>;
}

/** Resolves intrinsic functions within one stack. */
class Resolver {
  private readonly identities = new Map<string, Identity>();

  constructor(private readonly stack: DeployedStack, private readonly template: any, private readonly exports: Map<string, string>,
    private readonly parameters: Record<string, string>, private readonly stackNamed: (name: string) => DeployedStack | undefined) {}

  /** The physical identity of one resource, computed once. */
  public identity(logicalId: string, raw: any): Identity {
    let identity = this.identities.get(logicalId);
    if (!identity) {
      identity = physicalIdentity(this.stack, logicalId, raw, (v) => this.resolve(v));
      this.identities.set(logicalId, identity);
    }
    return identity;
  }

  /** Resolves every intrinsic in `value`; `AWS::NoValue` removes the property or element. */
  public resolve(value: any): any {
    const out = this.resolveValue(value);
    return out === NO_VALUE ? undefined : out;
  }

  private resolveValue(value: any): any {
    if (Array.isArray(value)) return value.map((v) => this.resolveValue(v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [fn] = keys;
      const arg = value[fn];
      switch (fn) {
        case 'Ref': return this.ref(arg);
        case 'Fn::GetAtt': return this.getAtt(...(typeof arg === 'string' ? arg.split(/\.(.*)/s) as [string, string] : arg as [string, string]));
        case 'Fn::Join': return (this.resolveValue(arg[1]) as any[]).map(String).join(arg[0]);
        case 'Fn::Select': return (this.resolveValue(arg[1]) as any[])[Number(this.resolveValue(arg[0]))];
        case 'Fn::Split': return String(this.resolveValue(arg[1])).split(arg[0]);
        case 'Fn::Sub': return this.sub(arg);
        case 'Fn::If': return this.condition(arg[0]) ? this.resolveValue(arg[1]) : this.resolveValue(arg[2]);
        case 'Fn::ImportValue': {
          const name = this.resolveValue(arg);
          const found = this.exports.get(name);
          if (found === undefined) throw new Error(`${this.stack.stackName}: Fn::ImportValue of "${name}", which no stack of the assembly exports`);
          return found;
        }
        case 'Fn::GetStackOutput': {
          // A cross-stack reference by output name (aws-cdk-lib's newer cross-stack references).
          const { StackName, OutputName } = this.resolveValue(arg);
          const value = this.stackNamed(StackName)?.outputs[OutputName];
          if (value === undefined) throw new Error(`${this.stack.stackName}: Fn::GetStackOutput of ${StackName}.${OutputName}, which no stack of the assembly outputs`);
          return value;
        }
        case 'Fn::GetAZs': return ['a', 'b', 'c'].map((z) => `${this.stack.region}${z}`);
        case 'Fn::Base64': return Buffer.from(String(this.resolveValue(arg))).toString('base64');
        case 'Fn::FindInMap': {
          const [map, top, second] = this.resolveValue(arg);
          return this.template.Mappings?.[map]?.[top]?.[second];
        }
        case 'Fn::Equals': case 'Fn::Not': case 'Fn::And': case 'Fn::Or': case 'Condition':
          return this.evaluateCondition(value);
        default: break;
      }
    }
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(value)) {
      const resolved = this.resolveValue(v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  private ref(name: string): any {
    switch (name) {
      case 'AWS::AccountId': return this.stack.account;
      case 'AWS::Region': return this.stack.region;
      case 'AWS::Partition': return 'aws';
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return this.stack.stackName;
      case 'AWS::StackId': return `arn:aws:cloudformation:${this.stack.region}:${this.stack.account}:stack/${this.stack.stackName}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::NoValue': return NO_VALUE;
      case 'AWS::NotificationARNs': return [];
      default: break;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      const value = this.parameters[name] ?? parameter.Default ?? `${name}-parameter`;
      return String(parameter.Type).startsWith('List<') || parameter.Type === 'CommaDelimitedList' ? String(value).split(',') : value;
    }
    const raw = this.template.Resources?.[name];
    if (!raw) throw new Error(`${this.stack.stackName}: Ref to "${name}", which the template does not define`);
    return this.identity(name, raw).ref;
  }

  private getAtt(logicalId: string, attribute: string): string {
    const raw = this.template.Resources?.[logicalId];
    if (!raw) throw new Error(`${this.stack.stackName}: Fn::GetAtt on "${logicalId}", which the template does not define`);
    const identity = this.identity(logicalId, raw);
    if (attribute === 'Arn' && identity.arn) return identity.arn;
    return identity.attributes[attribute] ?? `${identity.ref}.${attribute}`;
  }

  private sub(arg: any): string {
    const [text, vars] = typeof arg === 'string' ? [arg, {}] : [arg[0] as string, this.resolveValue(arg[1] ?? {})];
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => {
      if (name in vars) return String(vars[name]);
      if (name.includes('.')) {
        const [id, attr] = name.split(/\.(.*)/s);
        return this.getAtt(id, attr);
      }
      return String(this.ref(name));
    }).replace(/\$\{!/g, '${');
  }

  private condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (!definition) throw new Error(`${this.stack.stackName}: condition "${name}" is not defined`);
    return this.evaluateCondition(definition);
  }

  private evaluateCondition(value: any): boolean {
    const [fn] = Object.keys(value);
    const arg = value[fn];
    switch (fn) {
      case 'Fn::Equals': return JSON.stringify(this.resolveValue(arg[0])) === JSON.stringify(this.resolveValue(arg[1]));
      case 'Fn::Not': return !this.evaluateCondition(arg[0]);
      case 'Fn::And': return arg.every((c: any) => this.evaluateCondition(c));
      case 'Fn::Or': return arg.some((c: any) => this.evaluateCondition(c));
      case 'Condition': return this.condition(arg);
      default: throw new Error(`${this.stack.stackName}: unsupported condition function ${fn}`);
    }
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

interface Identity {
  ref: string;
  arn?: string;
  attributes: Record<string, string>;
}

/**
 * A name CloudFormation would generate: `<stack>-<logicalId>-<suffix>`, cut to the service's
 * length (CloudFormation always keeps generated names within limits).
 */
function generatedName(stack: DeployedStack, logicalId: string, max: number, lower = false): string {
  const suffix = crypto.createHash('sha256').update(`${stack.account}/${stack.region}/${stack.stackName}/${logicalId}`).digest('hex').slice(0, 12).toUpperCase();
  const base = `${stack.stackName}-${logicalId}`.slice(0, max - suffix.length - 1);
  const name = `${base}-${suffix}`;
  return lower ? name.toLowerCase() : name;
}

/** A stable fake id (`vpc-0a1b...`, a KMS key id) for a resource that only has a generated id. */
function fakeId(stack: DeployedStack, logicalId: string, length = 17): string {
  return crypto.createHash('sha256').update(`${stack.account}/${stack.region}/${stack.stackName}/${logicalId}`).digest('hex').slice(0, length);
}

function uuidFrom(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The `Ref` value, ARN and attributes CloudFormation gives a resource of each type. */
function physicalIdentity(stack: DeployedStack, logicalId: string, raw: any, resolve: (v: any) => any): Identity {
  const p = raw.Properties ?? {};
  const { account: a, region: r } = stack;
  const named = (prop: string, max: number, lower = false): string => {
    const value = p[prop] !== undefined ? resolve(p[prop]) : undefined;
    return typeof value === 'string' ? value : generatedName(stack, logicalId, max, lower);
  };
  switch (raw.Type) {
    case 'AWS::S3::Bucket': {
      const name = named('BucketName', 63, true);
      return { ref: name, arn: `arn:aws:s3:::${name}`, attributes: { DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${r}.amazonaws.com` } };
    }
    case 'AWS::SNS::Topic': {
      const name = named('TopicName', 256);
      const arn = `arn:aws:sns:${r}:${a}:${name}`;
      return { ref: arn, arn, attributes: { TopicArn: arn, TopicName: name } };
    }
    case 'AWS::SQS::Queue': {
      const name = named('QueueName', 80);
      const arn = `arn:aws:sqs:${r}:${a}:${name}`;
      return { ref: `https://sqs.${r}.amazonaws.com/${a}/${name}`, arn, attributes: { QueueName: name, QueueUrl: `https://sqs.${r}.amazonaws.com/${a}/${name}` } };
    }
    case 'AWS::EKS::Cluster': {
      const name = named('Name', 100);
      const arn = `arn:aws:eks:${r}:${a}:cluster/${name}`;
      return { ref: name, arn, attributes: { Arn: arn } };
    }
    case 'AWS::KMS::Key': {
      const id = uuidFrom(fakeId(stack, logicalId, 32));
      return { ref: id, arn: `arn:aws:kms:${r}:${a}:key/${id}`, attributes: { KeyId: id } };
    }
    case 'AWS::KMS::Alias': {
      const name = resolve(p.AliasName);
      return { ref: name, arn: `arn:aws:kms:${r}:${a}:${name}`, attributes: {} };
    }
    case 'AWS::IAM::Role': {
      const name = named('RoleName', 64);
      const path = p.Path ? resolve(p.Path) : '/';
      return { ref: name, arn: `arn:aws:iam::${a}:role${path}${name}`, attributes: { RoleId: `AROA${fakeId(stack, logicalId, 17).toUpperCase()}` } };
    }
    case 'AWS::IAM::ManagedPolicy': {
      const name = named('ManagedPolicyName', 128);
      const path = p.Path ? resolve(p.Path) : '/';
      const arn = `arn:aws:iam::${a}:policy${path}${name}`;
      return { ref: arn, arn, attributes: { PolicyArn: arn } };
    }
    case 'AWS::IAM::InstanceProfile': {
      const name = named('InstanceProfileName', 128);
      return { ref: name, arn: `arn:aws:iam::${a}:instance-profile/${name}`, attributes: {} };
    }
    case 'AWS::Lambda::Function': {
      const name = named('FunctionName', 64);
      return { ref: name, arn: `arn:aws:lambda:${r}:${a}:function:${name}`, attributes: {} };
    }
    case 'AWS::Lambda::Version': {
      const fn = resolve(p.FunctionName);
      const arn = `${fn.startsWith('arn:') ? fn : `arn:aws:lambda:${r}:${a}:function:${fn}`}:1`;
      return { ref: arn, arn, attributes: { Version: '1' } };
    }
    case 'AWS::Lambda::Alias': {
      const fn = resolve(p.FunctionName);
      const arn = `${fn.startsWith('arn:') ? fn : `arn:aws:lambda:${r}:${a}:function:${fn}`}:${resolve(p.Name)}`;
      return { ref: arn, arn, attributes: {} };
    }
    case 'AWS::Logs::LogGroup': {
      const name = named('LogGroupName', 512);
      return { ref: name, arn: `arn:aws:logs:${r}:${a}:log-group:${name}:*`, attributes: {} };
    }
    case 'AWS::Events::Rule': {
      const name = named('Name', 64);
      const bus = p.EventBusName ? resolve(p.EventBusName) : 'default';
      const busName = String(bus).startsWith('arn:') ? String(bus).split('/').pop() : bus;
      return { ref: name, arn: `arn:aws:events:${r}:${a}:rule/${busName === 'default' ? '' : `${busName}/`}${name}`, attributes: {} };
    }
    case 'AWS::Events::EventBus': {
      const name = named('Name', 256);
      return { ref: name, arn: `arn:aws:events:${r}:${a}:event-bus/${name}`, attributes: { Name: name } };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const name = named('StateMachineName', 80);
      const arn = `arn:aws:states:${r}:${a}:stateMachine:${name}`;
      return { ref: arn, arn, attributes: { Name: name } };
    }
    case 'AWS::CodeBuild::Project': {
      const name = named('Name', 150);
      return { ref: name, arn: `arn:aws:codebuild:${r}:${a}:project/${name}`, attributes: {} };
    }
    case 'AWS::CodeBuild::ReportGroup': {
      const name = named('Name', 128);
      const arn = `arn:aws:codebuild:${r}:${a}:report-group/${name}`;
      return { ref: arn, arn, attributes: { Name: name } };
    }
    case 'AWS::CodePipeline::Pipeline': {
      const name = named('Name', 100);
      return { ref: name, arn: `arn:aws:codepipeline:${r}:${a}:${name}`, attributes: {} };
    }
    case 'AWS::CodeCommit::Repository': {
      const name = named('RepositoryName', 100);
      return { ref: fakeId(stack, logicalId, 32), arn: `arn:aws:codecommit:${r}:${a}:${name}`, attributes: { Name: name, CloneUrlHttp: `https://git-codecommit.${r}.amazonaws.com/v1/repos/${name}` } };
    }
    case 'AWS::CodeDeploy::Application': return { ref: named('ApplicationName', 100), attributes: {} };
    case 'AWS::CodeDeploy::DeploymentGroup': return { ref: named('DeploymentGroupName', 100), attributes: {} };
    case 'AWS::CodeDeploy::DeploymentConfig': return { ref: named('DeploymentConfigName', 100), attributes: {} };
    case 'AWS::CloudTrail::Trail': {
      const name = named('TrailName', 128);
      return { ref: name, arn: `arn:aws:cloudtrail:${r}:${a}:trail/${name}`, attributes: {} };
    }
    case 'AWS::CloudWatch::Alarm': {
      const name = named('AlarmName', 255);
      return { ref: name, arn: `arn:aws:cloudwatch:${r}:${a}:alarm:${name}`, attributes: {} };
    }
    case 'AWS::Config::ConfigRule': {
      const name = named('ConfigRuleName', 128);
      return { ref: name, arn: `arn:aws:config:${r}:${a}:config-rule/${name}`, attributes: { ConfigRuleId: `config-rule-${fakeId(stack, logicalId, 6)}` } };
    }
    case 'AWS::SecretsManager::Secret': {
      const name = named('Name', 512);
      const arn = `arn:aws:secretsmanager:${r}:${a}:secret:${name}-AbCdEf`;
      return { ref: arn, arn, attributes: { Id: arn } };
    }
    case 'AWS::ECS::Cluster': {
      const name = named('ClusterName', 255);
      return { ref: name, arn: `arn:aws:ecs:${r}:${a}:cluster/${name}`, attributes: {} };
    }
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer': {
      const name = named('Name', 32);
      const arn = `arn:aws:elasticloadbalancing:${r}:${a}:loadbalancer/app/${name}/${fakeId(stack, logicalId, 16)}`;
      return { ref: arn, arn, attributes: { LoadBalancerFullName: `app/${name}/${fakeId(stack, logicalId, 16)}`, LoadBalancerName: name, DNSName: `${name}.${r}.elb.amazonaws.com` } };
    }
    case 'AWS::ElasticLoadBalancingV2::TargetGroup': {
      const name = named('Name', 32);
      const arn = `arn:aws:elasticloadbalancing:${r}:${a}:targetgroup/${name}/${fakeId(stack, logicalId, 16)}`;
      return { ref: arn, arn, attributes: { TargetGroupFullName: `targetgroup/${name}/${fakeId(stack, logicalId, 16)}`, TargetGroupName: name } };
    }
    case 'AWS::SSM::Parameter': {
      const name = named('Name', 128);
      // Value is read when something asks for it: it may import another stack's export, which
      // this first pass (names only) has not resolved yet.
      const attributes: Record<string, string> = {};
      Object.defineProperty(attributes, 'Value', { enumerable: true, get: () => (p.Value !== undefined ? resolve(p.Value) : '') });
      return { ref: name, arn: `arn:aws:ssm:${r}:${a}:parameter/${name.replace(/^\//, '')}`, attributes };
    }
    case 'AWS::AutoScaling::AutoScalingGroup': {
      const name = named('AutoScalingGroupName', 255);
      return { ref: name, arn: `arn:aws:autoscaling:${r}:${a}:autoScalingGroup:${uuidFrom(fakeId(stack, logicalId, 32))}:autoScalingGroupName/${name}`, attributes: {} };
    }
    case 'AWS::WAFv2::WebACL': {
      const name = named('Name', 128);
      const scope = resolve(p.Scope) === 'CLOUDFRONT' ? 'global' : 'regional';
      return { ref: `${name}|${fakeId(stack, logicalId)}|${resolve(p.Scope)}`, arn: `arn:aws:wafv2:${r}:${a}:${scope}/webacl/${name}/${uuidFrom(fakeId(stack, logicalId, 32))}`, attributes: {} };
    }
    case 'AWS::CodeGuruProfiler::ProfilingGroup': {
      const name = named('ProfilingGroupName', 255);
      return { ref: name, arn: `arn:aws:codeguru-profiler:${r}:${a}:profilingGroup/${name}`, attributes: {} };
    }
    case 'AWS::Kinesis::Stream': {
      const name = named('Name', 128);
      return { ref: name, arn: `arn:aws:kinesis:${r}:${a}:stream/${name}`, attributes: {} };
    }
    case 'AWS::KinesisFirehose::DeliveryStream': {
      const name = named('DeliveryStreamName', 64);
      return { ref: name, arn: `arn:aws:firehose:${r}:${a}:deliverystream/${name}`, attributes: {} };
    }
    case 'AWS::ECS::TaskDefinition': {
      const family = named('Family', 255);
      const arn = `arn:aws:ecs:${r}:${a}:task-definition/${family}:1`;
      return { ref: arn, arn, attributes: {} };
    }
    case 'AWS::CloudFront::Distribution': {
      // A distribution id (E + 13 characters); its ARN has no region
      // (docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudfront.html).
      const id = `E${fakeId(stack, logicalId, 13).toUpperCase()}`;
      return { ref: id, arn: `arn:aws:cloudfront::${a}:distribution/${id}`, attributes: { Id: id, DomainName: `d${fakeId(stack, logicalId, 13)}.cloudfront.net` } };
    }
    case 'AWS::ECS::Service': {
      const name = named('ServiceName', 255);
      const arn = `arn:aws:ecs:${r}:${a}:service/cluster/${name}`;
      return { ref: arn, arn, attributes: { Name: name, ServiceArn: arn } };
    }
    default: {
      const prefix = raw.Type.split('::').pop()!.toLowerCase().slice(0, 6);
      return { ref: `${prefix}-${fakeId(stack, logicalId)}`, attributes: {} };
    }
  }
}
