/**
 * The example app, synthesized once as `cdk synth` builds it (every example stack, the rule
 * packs and CloudFormation validation): zero findings, one snapshot per example stack, the
 * permission test over every stack, the same app in sandbox mode, and the verify command reading
 * this synth's cloud assembly.
 */
import { Stack } from 'aws-cdk-lib';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { IConstruct } from 'constructs';
import { exampleConfig } from '../../examples/config';
import { addConfigComplianceExamples } from '../../examples/security/config-compliance';
import * as library from '../../lib';
import { readAssembly, selectStacks } from '../../packages/verify/src/assembly';
import { recordAcknowledgements } from '../support/acknowledgements';
import { cdkJsonContext, checkedApp, exampleApp } from '../support/app';
import { checkPermissions, explainDenial, organizationFromContext, PermissionReport } from '../support/permissions';

type Resources = Record<string, { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }>;

const context = cdkJsonContext();
const organization = organizationFromContext(context);

// Synthesizing runs the checks: a finding left anywhere throws here, with its text. Every
// acknowledgement made meanwhile is recorded with the file that made it.
const { result: { app, assembly }, acknowledgements } = recordAcknowledgements(() => {
  const built = exampleApp();
  return { app: built, assembly: built.synth() };
});
const stacks = assembly.stacksRecursively;

function resources(stack: cxapi.CloudFormationStackArtifact): Resources {
  return stack.template.Resources as Resources;
}

describe('the example app', () => {
  test('synthesizes every example stack with zero check findings', () => {
    expect(stacks.length).toBeGreaterThan(20);
    // A Service Catalog product stack (IAC-4) is a template asset of its parent stack, not a stack.
    expect(app.node.findAll().filter((c) => Stack.isStack(c) && !(c instanceof servicecatalog.ProductStack))).toHaveLength(stacks.length);
  });

  test.each(stacks.map((s) => [s.stackName, s] as const))('snapshot of %s', (_name, stack) => {
    expect(stack.template).toMatchSnapshot();
  });

  test('no Lambda function reserves concurrency, so the app deploys in accounts with a low concurrency quota', () => {
    const functions = stacks.flatMap((stack) => Object.entries(resources(stack)).filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id, r]) => ({ id: `${stack.stackName}/${id}`, reserved: r.Properties?.ReservedConcurrentExecutions })));
    expect(functions.length).toBeGreaterThan(5);
    expect(functions.filter((f) => f.reserved !== undefined)).toEqual([]);
  });

  test('without sandbox, data is kept: every bucket and KMS key is retained', () => {
    const dropped = stacks.flatMap((stack) => Object.entries(resources(stack))
      .filter(([, r]) => ['AWS::S3::Bucket', 'AWS::KMS::Key'].includes(r.Type) && r.DeletionPolicy !== 'Retain')
      .map(([id]) => `${stack.stackName}/${id}`));
    expect(dropped).toEqual([]);
  });
});

describe('acknowledgements over the example app', () => {
  const made = (prefix: string) => acknowledgements.filter((a) => a.madeIn.startsWith(prefix));
  // Every class the package exports: a construct the library created is one of them, or inside one.
  const classes = (Object.values(library) as unknown[]).filter((v): v is abstract new (...args: never[]) => unknown => typeof v === 'function' && typeof v.prototype === 'object');
  const insideLibraryConstruct = (c: IConstruct) => c.node.scopes.some((scope) => classes.some((cls) => scope instanceof cls));

  test('the library acknowledges findings only on constructs it created, never on the example\'s (the user\'s) own resources', () => {
    expect(made('lib/').length).toBeGreaterThan(100);
    expect(made('examples/').length).toBeGreaterThan(0);
    const foreign = made('lib/').filter((a) => !insideLibraryConstruct(a.target)).map((a) => `${a.target.node.path}: ${a.id} (made in ${a.madeIn})`);
    expect(foreign).toEqual([]);
    expect(acknowledgements.filter((a) => a.madeIn === '(unknown)')).toEqual([]);
  });

  test('no acknowledgement the library or the examples make is on a stack or the app (aws-cdk-lib\'s own stack-wide W3010 for the availability zones it picks is its business)', () => {
    const wide = acknowledgements.filter((a) => a.madeIn !== 'aws-cdk-lib' && (Stack.isStack(a.target) || a.target.node.scope === undefined)).map((a) => `${a.target.node.path || 'App'}: ${a.id} (made in ${a.madeIn})`);
    expect(wide).toEqual([]);
  });
});

describe('the permission test over the example app', () => {
  let result: PermissionReport;
  let selfManagedConfig: PermissionReport;
  beforeAll(async () => {
    result = await checkPermissions(assembly, { organization });
    // SEC-2 without Control Tower (`-c controlTower=false`): its own recorders, a central bucket
    // and the member StackSet, which the default app leaves to Control Tower.
    const variant = checkedApp({ controlTower: false });
    addConfigComplianceExamples(variant, exampleConfig(variant));
    selfManagedConfig = await checkPermissions(variant.synth(), { organization });
  });

  test('every service-to-service edge is allowed, every name and size within its limit, and no edge is of an unknown kind', () => {
    expect(result.problems).toBeUndefined();
    expect(selfManagedConfig.problems).toBeUndefined();
  });

  test('covers the edge kinds every pattern relies on', () => {
    const kinds = [...Object.keys(result.edgeKinds), ...Object.keys(selfManagedConfig.edgeKinds)];
    for (const kind of [
      'alarm -> SNS topic', 'EventBridge rule -> sns', 'EventBridge rule -> states', 'EventBridge rule -> codebuild', 'EventBridge rule -> codepipeline',
      'CloudTrail -> S3 bucket', 'CloudTrail -> KMS key', 'CloudTrail -> CloudWatch Logs (role)', 'AWS Config -> delivery bucket',
      'S3 server access logs -> bucket', 'ALB access logs -> bucket', 'VPC flow logs -> CloudWatch Logs (role)', 'CloudWatch Logs -> log group KMS key',
      'S3 replication -> same account', 'S3 replication -> other account', 'CodePipeline -> artifact stores', 'CodePipeline action (CodeBuild)',
      'CodePipeline action (CodeDeploy)', 'CodePipeline action (S3)', 'Step Functions task -> SNS topic', 'Step Functions SDK task -> API', 'CodeGuru Profiler -> SNS topic',
      'API Gateway -> CloudWatch Logs (account role)',
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(result.edgeKinds['alarm -> SNS topic']).toBeGreaterThanOrEqual(16);
    expect(result.requestCount).toBeGreaterThan(400);
  });

  test('members deployed by a StackSet are checked too: each member region\'s Config recorder delivers to the central bucket', () => {
    const memberDeliveries = selfManagedConfig.edges.filter((e) => e.kind === 'AWS Config -> delivery bucket' && e.from.stack.stackName.includes('@'));
    expect(memberDeliveries.map((e) => e.from.stack.region).sort()).toEqual([context.primaryRegion, context.secondaryRegion].sort());
    expect(new Set(memberDeliveries.map((e) => e.from.stack.account))).toEqual(new Set([context.workloadAccount]));
  });

  test('a member\'s recorder role may write only under its own account\'s prefix of the central bucket, and may not list it', async () => {
    const delivery = selfManagedConfig.edges.find((e) => e.kind === 'AWS Config -> delivery bucket' && e.from.stack.stackName.includes('@'))!;
    const put = delivery.requests.find((r) => r.action === 's3:PutObject')!;
    expect(await explainDenial(selfManagedConfig.assembly, put, { organization })).toBeUndefined();
    const member = context.workloadAccount as string;
    const elsewhere = { ...put, resource: put.resource.replace(`/AWSLogs/${member}/`, '/AWSLogs/999999999999/') };
    expect(await explainDenial(selfManagedConfig.assembly, elsewhere, { organization })).toMatch(/s3:PutObject on \S+\/AWSLogs\/999999999999\/\S+ is not allowed/);
    const bucketArn = put.resource.split('/')[0];
    expect(await explainDenial(selfManagedConfig.assembly, { principal: put.principal, action: 's3:ListBucket', resource: bucketArn }, { organization })).toMatch(/s3:ListBucket on \S+ is not allowed/);
  });
});

describe('the example app in sandbox mode (-c sandbox=true)', () => {
  const sandboxStacks = exampleApp({ sandbox: 'true' }).synth().stacksRecursively;

  test('no resource in any example stack is retained', () => {
    const retained = sandboxStacks.flatMap((stack) => Object.entries(resources(stack))
      .filter(([, r]) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate' || r.DeletionPolicy === 'Snapshot')
      .map(([id, r]) => `${stack.stackName}/${id} (${r.Type})`));
    expect(retained).toEqual([]);
  });

  test('every bucket is emptied before it is deleted', () => {
    for (const stack of sandboxStacks) {
      const all = resources(stack);
      const buckets = Object.entries(all).filter(([, r]) => r.Type === 'AWS::S3::Bucket').map(([id]) => id);
      const emptied = Object.values(all)
        .filter((r) => r.Type === 'Custom::S3AutoDeleteObjects')
        .map((r) => (r.Properties?.BucketName as { Ref: string }).Ref);
      expect({ stack: stack.stackName, buckets: buckets.sort() }).toEqual({ stack: stack.stackName, buckets: emptied.sort() });
    }
  });
});

describe('the pattern diagrams of the README (npm run diagrams)', () => {
  // Loaded here, so that this block is all this check adds to the file.
  let fs: typeof import('fs');
  let path: typeof import('path');
  let createHash: typeof import('crypto').createHash;
  let sources: Record<string, string>;
  let root: string;
  beforeAll(async () => {
    fs = await import('fs');
    path = await import('path');
    createHash = (await import('crypto')).createHash;
    // (jest.requireActual: a relative dynamic import() would need a .js extension under node16.)
    sources = jest.requireActual<typeof import('../../scripts/diagram-dot')>('../../scripts/diagram-dot').diagramSources(assembly);
    root = path.join(__dirname, '..', '..');
  });
  const RERUN = 'run `npm run diagrams` and commit docs/diagrams';

  /** Each `### <ID> ...` section of the README: its ID and its text up to the next heading. */
  function patternSections(): Array<{ id: string; text: string }> {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    return [...readme.matchAll(/^### ([A-Z]+-\d+) [^\n]*\n([\s\S]*?)(?=^#{1,3} |(?![\s\S]))/gm)].map((m) => ({ id: m[1], text: m[2] }));
  }

  test('every pattern section of the README shows its diagram, an SVG committed in docs/diagrams and drawn from the example app', () => {
    const sections = patternSections();
    expect(sections.length).toBeGreaterThanOrEqual(17);
    const problems = sections.flatMap(({ id, text }) => [
      ...(fs.existsSync(path.join(root, 'docs', 'diagrams', `${id}.svg`)) ? [] : [`${id}: docs/diagrams/${id}.svg is missing: ${RERUN}`]),
      ...(new RegExp(`!\\[[^\\]]*\\]\\(docs/diagrams/${id}\\.svg\\)`).test(text) ? [] : [`${id}: its README section does not show ![...](docs/diagrams/${id}.svg)`]),
      ...(id in sources ? [] : [`${id}: no example stack is drawn for it (a stack name starting with its ID, or a StackSet member cut in scripts/diagram-dot.ts)`]),
    ]);
    expect(problems).toEqual([]);
  });

  test('every committed diagram is what `npm run diagrams` generates from the example app now', () => {
    const dir = path.join(root, 'docs', 'diagrams');
    const committed = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    const problems = [
      ...Object.entries(sources).flatMap(([id, source]) => {
        const dot = path.join(dir, `${id}.dot`);
        const svg = path.join(dir, `${id}.svg`);
        if (!fs.existsSync(dot)) return [`docs/diagrams/${id}.dot is missing: ${RERUN}`];
        if (fs.readFileSync(dot, 'utf8') !== source) return [`docs/diagrams/${id}.dot is stale (the example app has changed): ${RERUN}`];
        const hash = createHash('sha256').update(source).digest('hex');
        if (!fs.existsSync(svg) || !fs.readFileSync(svg, 'utf8').includes(`sha256 ${hash}`)) return [`docs/diagrams/${id}.svg was not rendered from the current ${id}.dot: ${RERUN}`];
        return [];
      }),
      ...committed.filter((f) => !(f.replace(/\.(dot|svg)$/, '') in sources)).map((f) => `docs/diagrams/${f} belongs to no pattern of the example app: ${RERUN}`),
    ];
    expect(Object.keys(sources).length).toBeGreaterThanOrEqual(17);
    expect(problems).toEqual([]);
  });
});

describe('the verify command reads the cloud assembly of this synth (packages/verify)', () => {
  test('the RES-7 example stacks: environment, template and bootstrap version', () => {
    const read = selectStacks(readAssembly(assembly.directory), ['Res7-*']);
    expect(read.map((s) => [s.id, s.stackName, s.account, s.region, s.requiredBootstrapVersion, s.bootstrapQualifier])).toEqual([
      ['Res7-CrossRegion-Replica', 'Res7-CrossRegion-Replica', '444444444444', 'eu-central-1', 6, 'hnb659fds'],
      ['Res7-CrossRegion-Source', 'Res7-CrossRegion-Source', '444444444444', 'eu-west-1', 6, 'hnb659fds'],
      ['Res7-CrossAccount-Replica', 'Res7-CrossAccount-Replica', '333333333333', 'eu-central-1', 6, 'hnb659fds'],
      ['Res7-CrossAccount-Source', 'Res7-CrossAccount-Source', '444444444444', 'eu-west-1', 6, 'hnb659fds'],
    ]);
    expect(read[1].template).toEqual(assembly.getStackByName('Res7-CrossRegion-Source').template);
  });

  test('every example stack is read', () => {
    expect(readAssembly(assembly.directory).map((s) => s.id).sort()).toEqual(stacks.map((s) => s.id).sort());
  });
});
