/**
 * The pattern diagrams of the README, as Graphviz DOT text generated from the synthesized example
 * app. Pure: no Graphviz, no file system, so the test suite can check the committed `.dot` files
 * against what the example app builds now (scripts/diagrams.ts writes them and renders the SVGs).
 *
 * What a diagram shows
 * - One diagram per pattern ID. A stack belongs to the pattern its name starts with (`Res7-...`
 *   -> RES-7, `Cicd1-...` -> CICD-1). A service-managed StackSet's template (the member baseline
 *   of IAC-7) is drawn as a stack of its own, in the IAC-7 diagram and, cut to the resources of
 *   each construct, as RSP-1 (`HealthEvents...`) and RSP-2 (`TrailTamper...`).
 * - One cluster per stack, labelled with the stack name, account and region.
 * - An arrow A -> B: A's properties name B (Ref, Fn::GetAtt, Fn::Sub, Fn::ImportValue, or B's
 *   literal physical name inside a string or ARN, which is how a stack names a resource of
 *   another account or region).
 *
 * What it leaves out (the rule): resources that only grant or wire, not resources that run or
 * hold data. That is, by type, CDK metadata, IAM (roles, policies, instance profiles: the
 * permission test checks those), resource policies (bucket, topic, queue, secret), Lambda
 * permissions, KMS aliases, VPC routing plumbing (route tables, routes, associations, gateway
 * attachments, EIPs, security group rules) and CDK's own custom resources; and the functions
 * that serve a custom resource (named by a `ServiceToken`), with whatever only they use (their
 * log groups). The custom resource itself stays: it is the action (a delegated admin, an
 * approval rule template).
 *
 * Readability: three or more kept resources of one type in one stack are one node ("x4"), with
 * at most three names listed; names are the logical IDs without CDK's hash suffix, cut to 40
 * characters. Everything is sorted, so the text is byte-for-byte the same on every run.
 */
import * as cxapi from 'aws-cdk-lib/cx-api';

/** Resource types left out of every diagram (see the header: they grant or wire). */
const PLUMBING_TYPES = new Set([
  'AWS::CDK::Metadata',
  'AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::InstanceProfile',
  'AWS::Lambda::Permission',
  'AWS::S3::BucketPolicy', 'AWS::SNS::TopicPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SecretsManager::ResourcePolicy',
  'AWS::KMS::Alias',
  'AWS::EC2::RouteTable', 'AWS::EC2::Route', 'AWS::EC2::SubnetRouteTableAssociation', 'AWS::EC2::VPCGatewayAttachment',
  'AWS::EC2::EIP', 'AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress',
  'Custom::VpcRestrictDefaultSG', 'Custom::S3AutoDeleteObjects', 'Custom::CrossRegionExportReader', 'Custom::CrossRegionExportWriter',
]);

/** StackSet members cut per pattern: the construct IDs of examples/response/member-baseline.ts. */
const STACKSET_PATTERNS: Record<string, string> = { 'RSP-1': 'HealthEvents', 'RSP-2': 'TrailTamper' };

/** Groups of this many resources of one type in one stack or more are drawn as one node. */
const GROUP_AT = 3;
const MAX_NAME = 40;
const MAX_NAMES_IN_GROUP = 3;
/** Shorter literal names are not looked for in strings (too likely to match by chance). */
const MIN_NAME_MATCH = 8;

interface CfnResource { readonly Type: string; readonly Properties?: Record<string, unknown> }

/** A stack as drawn: a synthesized stack, or the template a StackSet deploys. */
interface DrawnStack {
  readonly name: string;
  readonly where: string;
  readonly resources: Record<string, CfnResource>;
  readonly exports: Record<string, string>;
  /** For a StackSet template: the StackSet resource that deploys it. */
  readonly deployedBy?: { readonly stack: string; readonly logicalId: string };
}

/** `Res7-CrossRegion-Source` -> `RES-7`; undefined for names without a pattern prefix. */
export function patternOfStack(stackName: string): string | undefined {
  const match = /^([A-Za-z]+)(\d+)-/.exec(stackName);
  return match ? `${match[1].toUpperCase()}-${match[2]}` : undefined;
}

/** The DOT text of every pattern's diagram, by pattern ID, from the synthesized example app. */
export function diagramSources(assembly: cxapi.CloudAssembly): Record<string, string> {
  const byPattern = new Map<string, DrawnStack[]>();
  const add = (id: string, stack: DrawnStack): void => {
    byPattern.set(id, [...(byPattern.get(id) ?? []), stack]);
  };
  for (const artifact of assembly.stacksRecursively) {
    const pattern = patternOfStack(artifact.stackName);
    if (!pattern) continue;
    const stack = drawnStack(artifact);
    add(pattern, stack);
    for (const member of stackSetTemplates(stack)) {
      add(pattern, member);
      for (const [id, prefix] of Object.entries(STACKSET_PATTERNS)) {
        const cut = cutToConstruct(member, prefix);
        if (cut) add(id, cut);
      }
    }
  }
  const sources: Record<string, string> = {};
  for (const id of [...byPattern.keys()].sort(compare)) sources[id] = dot(id, byPattern.get(id)!);
  return sources;
}

function drawnStack(artifact: cxapi.CloudFormationStackArtifact): DrawnStack {
  const template = artifact.template as { Resources?: Record<string, CfnResource>; Outputs?: Record<string, { Value: unknown; Export?: { Name?: unknown } }> };
  const exports: Record<string, string> = {};
  for (const output of Object.values(template.Outputs ?? {})) {
    const target = typeof output.Export?.Name === 'string' ? referencedIds(output.Value)[0] : undefined;
    if (target) exports[output.Export!.Name as string] = target;
  }
  return {
    name: artifact.stackName,
    where: `account ${artifact.environment.account} · ${artifact.environment.region}`,
    resources: template.Resources ?? {},
    exports,
  };
}

/** The templates the stack's StackSets deploy, each drawn as a stack of its own. */
function stackSetTemplates(stack: DrawnStack): DrawnStack[] {
  return Object.entries(stack.resources).filter(([, r]) => r.Type === 'AWS::CloudFormation::StackSet' && typeof r.Properties?.TemplateBody === 'string')
    .sort(([a], [b]) => compare(a, b))
    .map(([logicalId, r]) => {
      const props = r.Properties!;
      const groups = (props.StackInstancesGroup ?? []) as Array<{ DeploymentTargets?: { OrganizationalUnitIds?: string[]; Accounts?: string[] }; Regions?: string[] }>;
      const targets = groups.flatMap((g) => [...(g.DeploymentTargets?.OrganizationalUnitIds ?? []), ...(g.DeploymentTargets?.Accounts ?? [])]);
      const regions = groups.flatMap((g) => g.Regions ?? []);
      const template = JSON.parse(props.TemplateBody as string) as { Resources?: Record<string, CfnResource> };
      return {
        name: `StackSet ${typeof props.StackSetName === 'string' ? props.StackSetName : logicalId}`,
        where: `${targets.length ? `accounts of ${unique(targets).join(', ')}` : 'member accounts'} · ${regions.length ? unique(regions).join(', ') : 'member regions'}`,
        resources: template.Resources ?? {},
        exports: {},
        deployedBy: { stack: stack.name, logicalId },
      };
    });
}

/** The resources whose logical ID starts with `prefix`, plus what they name (transitively). */
function cutToConstruct(stack: DrawnStack, prefix: string): DrawnStack | undefined {
  const keep = new Set(Object.keys(stack.resources).filter((id) => id.startsWith(prefix)));
  if (keep.size === 0) return undefined;
  const queue = [...keep];
  while (queue.length) {
    const id = queue.pop()!;
    for (const target of referencedIds(stack.resources[id].Properties)) {
      if (stack.resources[target] && !keep.has(target)) {
        keep.add(target);
        queue.push(target);
      }
    }
  }
  const resources: Record<string, CfnResource> = {};
  for (const id of [...keep].sort(compare)) resources[id] = stack.resources[id];
  return { ...stack, resources, deployedBy: undefined };
}

interface Node { readonly key: string; readonly stack: string; readonly label: string }

function dot(pattern: string, stacks: DrawnStack[]): string {
  stacks = [...stacks].sort((a, b) => compare(a.name, b.name));
  // Every drawn resource's node key, by stack and logical ID (groups share one key).
  const nodeOf = new Map<string, string>();
  const nodes = new Map<string, Node>();
  const kept = new Map<string, string[]>();
  for (const stack of stacks) {
    const ids = keptResources(stack);
    kept.set(stack.name, ids);
    const byType = new Map<string, string[]>();
    for (const id of ids) {
      const type = stack.resources[id].Type;
      byType.set(type, [...(byType.get(type) ?? []), id]);
    }
    for (const [type, members] of byType) {
      members.sort(compare);
      if (members.length >= GROUP_AT) {
        const key = `${stack.name}/${type}`;
        const names = members.slice(0, MAX_NAMES_IN_GROUP).map(displayName);
        if (members.length > MAX_NAMES_IN_GROUP) names.push(`+${members.length - MAX_NAMES_IN_GROUP} more`);
        nodes.set(key, { key, stack: stack.name, label: `${typeLabel(type)} x${members.length}\n${names.join('\n')}` });
        for (const id of members) nodeOf.set(`${stack.name}/${id}`, key);
      } else {
        for (const id of members) {
          const key = `${stack.name}/${id}`;
          nodes.set(key, { key, stack: stack.name, label: `${displayName(id)}\n${typeLabel(type)}` });
          nodeOf.set(key, key);
        }
      }
    }
  }

  // Literal physical names (and KMS alias names, for their key) of every resource drawn here.
  const names: Array<{ name: string; node: string; stack: string }> = [];
  for (const stack of stacks) {
    for (const [id, r] of Object.entries(stack.resources)) {
      const target = r.Type === 'AWS::KMS::Alias' ? referencedIds(r.Properties?.TargetKeyId)[0] : id;
      const node = target ? nodeOf.get(`${stack.name}/${target}`) : undefined;
      if (!node) continue;
      const name = r.Properties?.[physicalNameProperty(r.Type, r.Properties)];
      if (typeof name === 'string' && name.length >= MIN_NAME_MATCH) names.push({ name, node, stack: stack.name });
    }
  }
  const exports = new Map<string, string>();
  for (const stack of stacks) {
    for (const [name, id] of Object.entries(stack.exports)) {
      const node = nodeOf.get(`${stack.name}/${id}`);
      if (node) exports.set(name, node);
    }
  }

  const edges = new Set<string>();
  const addEdge = (from: string, to: string | undefined, attrs = ''): void => {
    if (to && from !== to) edges.add(`  ${quote(from)} -> ${quote(to)}${attrs};`);
  };
  for (const stack of stacks) {
    for (const id of kept.get(stack.name)!) {
      const from = nodeOf.get(`${stack.name}/${id}`)!;
      const { Type: type, Properties: props } = stack.resources[id];
      for (const target of referencedIds(props)) addEdge(from, nodeOf.get(`${stack.name}/${target}`));
      for (const name of importedNames(props)) addEdge(from, exports.get(name));
      // Its own name is not a reference (a same-named resource in another region is not named).
      const own = physicalNameProperty(type, props);
      const strings = literalStrings(Object.fromEntries(Object.entries(props ?? {}).filter(([key]) => key !== own)));
      for (const candidate of names) {
        if (candidate.node !== from && strings.some((s) => namesResource(s, candidate.name))) addEdge(from, candidate.node);
      }
    }
  }
  // A StackSet points at the cluster of the template it deploys.
  for (const stack of stacks) {
    if (!stack.deployedBy) continue;
    const from = nodeOf.get(`${stack.deployedBy.stack}/${stack.deployedBy.logicalId}`);
    const first = [...nodes.values()].filter((n) => n.stack === stack.name).map((n) => n.key).sort(compare)[0];
    if (from && first) addEdge(from, first, ` [lhead=${quote(clusterId(stacks, stack.name))}, style=dashed, label="deploys"]`);
  }

  const lines = [
    `digraph ${quote(pattern)} {`,
    '  graph [rankdir=LR, compound=true, fontname="Helvetica", fontsize=12, labelloc=t, labeljust=l, nodesep=0.3, ranksep=0.6,',
    `    label=${quote(`${pattern}: generated from the example app by npm run diagrams. A -> B: A names B.`)}];`,
    '  node [shape=box, style="rounded,filled", fillcolor="#f5f7fa", color="#5b6b7f", fontname="Helvetica", fontsize=10];',
    '  edge [color="#5b6b7f", fontname="Helvetica", fontsize=9];',
  ];
  for (const stack of stacks) {
    lines.push(`  subgraph ${quote(clusterId(stacks, stack.name))} {`);
    lines.push(`    label=${quote(`${stack.name}\n${stack.where}`)}; style="rounded"; color="#9aa5b1";`);
    const members = [...nodes.values()].filter((n) => n.stack === stack.name).sort((a, b) => compare(a.key, b.key));
    if (members.length === 0) lines.push(`    ${quote(`${stack.name}/(empty)`)} [label="(nothing drawn)", style=dashed];`);
    for (const node of members) lines.push(`    ${quote(node.key)} [label=${quote(node.label)}];`);
    lines.push('  }');
  }
  lines.push(...[...edges].sort(compare));
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** The logical IDs of the stack drawn, by the rule of the header. */
function keptResources(stack: DrawnStack): string[] {
  const all = Object.keys(stack.resources);
  const referrers = new Map<string, Set<string>>();
  for (const id of all) {
    for (const target of referencedIds(stack.resources[id].Properties)) {
      if (!stack.resources[target]) continue;
      referrers.set(target, new Set([...(referrers.get(target) ?? []), id]));
    }
  }
  // Functions behind a custom resource, and what only they (and other plumbing) refer to.
  const serving = new Set<string>();
  for (const id of all) {
    const token = stack.resources[id].Properties?.ServiceToken;
    for (const target of referencedIds(token)) if (stack.resources[target]) serving.add(target);
  }
  let grew = true;
  while (grew) {
    grew = false;
    for (const id of all) {
      if (serving.has(id)) continue;
      const by = [...(referrers.get(id) ?? [])];
      if (by.some((r) => serving.has(r)) && by.every((r) => serving.has(r) || PLUMBING_TYPES.has(stack.resources[r].Type))) {
        serving.add(id);
        grew = true;
      }
    }
  }
  return all.filter((id) => !PLUMBING_TYPES.has(stack.resources[id].Type) && !serving.has(id)).sort(compare);
}

/** Logical IDs named by Ref, Fn::GetAtt and Fn::Sub anywhere in `value` (pseudo parameters left out). */
function referencedIds(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      for (const [key, inner] of Object.entries(v)) {
        if (key === 'Ref' && typeof inner === 'string') {
          found.add(inner);
        } else if (key === 'Fn::GetAtt') {
          const target = Array.isArray(inner) ? inner[0] : typeof inner === 'string' ? inner.split('.')[0] : undefined;
          if (typeof target === 'string') found.add(target);
        } else if (key === 'Fn::Sub') {
          const text = Array.isArray(inner) ? inner[0] : inner;
          if (typeof text === 'string') for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g)) found.add(m[1]);
          if (Array.isArray(inner)) walk(inner[1]);
        } else {
          walk(inner);
        }
      }
    }
  };
  walk(value);
  return [...found].filter((id) => !id.startsWith('AWS::')).sort(compare);
}

function importedNames(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [key, inner] of Object.entries(v)) {
        if (key === 'Fn::ImportValue' && typeof inner === 'string') found.push(inner);
        else walk(inner);
      }
    }
  };
  walk(value);
  return found;
}

/** Every literal string in `value`, with each Fn::Join joined (a token in it becomes `\u0000`). */
function literalStrings(value: unknown): string[] {
  const found: string[] = [];
  const joined = (v: unknown): string => (typeof v === 'string' ? v : '\u0000');
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      found.push(v);
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      for (const [key, inner] of Object.entries(v)) {
        if (key === 'Fn::Join' && Array.isArray(inner) && typeof inner[0] === 'string' && Array.isArray(inner[1])) {
          found.push((inner[1] as unknown[]).map(joined).join(inner[0]));
        }
        walk(inner);
      }
    }
  };
  walk(value);
  return found;
}

/**
 * The property that holds a resource's physical name: `<Kind>Name` (BucketName, TopicName,
 * AliasName, LogGroupName, AlarmName, ...) or, for kinds that call it so, `Name`.
 */
function physicalNameProperty(type: string, props: Record<string, unknown> | undefined): string {
  const own = `${type.split('::').pop()}Name`;
  return props && own in props ? own : 'Name';
}

/** `text` is `name`, or names it as an ARN or path segment (`:name`, `/name`, then an end). */
function namesResource(text: string, name: string): boolean {
  if (text === name) return true;
  let at = text.indexOf(name);
  while (at > 0) {
    const before = text[at - 1];
    const after = text[at + name.length];
    if ((before === ':' || before === '/') && (after === undefined || after === '/' || after === ':' || after === '*')) return true;
    at = text.indexOf(name, at + 1);
  }
  return false;
}

/** `DataSourceBucketF8C50E5C` -> `DataSourceBucket`, cut to {@link MAX_NAME} characters. */
function displayName(logicalId: string): string {
  const name = logicalId.replace(/[0-9A-F]{8}$/, '') || logicalId;
  return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name;
}

/** `AWS::S3::Bucket` -> `S3 Bucket`; `Custom::GuardDutyDelegatedAdmin` -> `custom resource GuardDutyDelegatedAdmin`. */
function typeLabel(type: string): string {
  const parts = type.split('::');
  if (parts[0] === 'Custom') return `custom resource ${parts.slice(1).join(' ')}`;
  return parts.slice(1).join(' ');
}

function clusterId(stacks: DrawnStack[], name: string): string {
  return `cluster_${stacks.findIndex((s) => s.name === name)}`;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Code-point order, independent of the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
