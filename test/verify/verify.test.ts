/**
 * verify against mocked CloudFormation and STS (aws-sdk-client-mock): every path of the status,
 * template, drift and preflight checks, with a fake clock so waiting takes no time.
 */
import {
  CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackEventsCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { renderJson, renderTable } from '../../packages/verify/src/report';
import { verify, VerifyOptions } from '../../packages/verify/src/verify';
import { awsError, fakeClock, fixtureTemplate, LOG_ARCHIVE, recordingFactory, WORKLOAD, writeAssembly } from './fixture';

const cfn = mockClient(CloudFormationClient);
const sts = mockClient(STSClient);
const assemblyDir = writeAssembly();

const detectionStatus = (status: string, drift?: string, reason?: string) => ({
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/demo-source/1',
  StackDriftDetectionId: 'det-1', DetectionStatus: status as 'DETECTION_COMPLETE', StackDriftStatus: drift as 'IN_SYNC',
  DetectionStatusReason: reason, Timestamp: new Date('2026-01-15T09:00:00Z'),
});

/** Every stack deployed, current, drift detection finishing after one poll with no drift. */
function allInSync(): void {
  cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({
    Stacks: [{ StackName: input.StackName, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date('2026-01-01T00:00:00Z') }],
  }));
  cfn.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify(fixtureTemplate()) });
  cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: 'det-1' });
  cfn.on(DescribeStackDriftDetectionStatusCommand)
    .resolvesOnce(detectionStatus('DETECTION_IN_PROGRESS'))
    .resolves(detectionStatus('DETECTION_COMPLETE', 'IN_SYNC'));
  cfn.on(DescribeStackResourceDriftsCommand).resolves({ StackResourceDrifts: [] });
}

const bucketDrift = {
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/demo-source/1',
  LogicalResourceId: 'DataBucketE3889A50',
  PhysicalResourceId: 'demo-source-databucket-1a2b3c',
  ResourceType: 'AWS::S3::Bucket',
  StackResourceDriftStatus: 'MODIFIED' as const,
  Timestamp: new Date('2026-01-15T09:00:10Z'),
  PropertyDifferences: [
    { PropertyPath: '/VersioningConfiguration/Status', ExpectedValue: 'Enabled', ActualValue: 'Suspended', DifferenceType: 'NOT_EQUAL' as const },
    { PropertyPath: '/Tags/1', ExpectedValue: '', ActualValue: '{"Key":"owner","Value":"someone"}', DifferenceType: 'ADD' as const },
  ],
};
const keyDeleted = {
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/demo-source/1',
  LogicalResourceId: 'DataKey1234ABCD', PhysicalResourceId: 'mrk-1234', ResourceType: 'AWS::KMS::Key',
  StackResourceDriftStatus: 'DELETED' as const, Timestamp: new Date('2026-01-15T09:00:10Z'), PropertyDifferences: [],
};

let clock: ReturnType<typeof fakeClock>;
let factory: ReturnType<typeof recordingFactory>;
function run(options: Partial<VerifyOptions> = {}) {
  return verify({
    assemblyDir, clients: factory, now: clock.now, sleep: clock.sleep, timeoutSeconds: 60, pollIntervalSeconds: 5,
    stacks: ['Demo-Source'], ...options,
  });
}

beforeEach(() => {
  cfn.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: WORKLOAD, Arn: `arn:aws:sts::${WORKLOAD}:assumed-role/Admin/me` });
  clock = fakeClock();
  factory = recordingFactory();
});

describe('verify: status, template and drift', () => {
  test('in sync: every check ok, exit code 0, drift detection polled until complete', async () => {
    allInSync();
    const report = await run();
    expect(report.exitCode).toBe(0);
    expect(report.result).toBe('in-sync');
    expect(report.targets).toHaveLength(1);
    expect(report.targets[0]).toMatchObject({ name: 'Demo-Source', stackName: 'demo-source', account: WORKLOAD, region: 'eu-west-1', result: 'in-sync' });
    expect(report.targets[0].checks.map((c) => [c.name, c.state, c.cell])).toEqual([
      ['status', 'ok', 'UPDATE_COMPLETE'], ['template', 'ok', 'current'], ['drift', 'ok', 'IN_SYNC'],
    ]);
    expect(cfn.commandCalls(DetectStackDriftCommand)[0].args[0].input).toEqual({ StackName: 'demo-source' });
    expect(cfn.commandCalls(GetTemplateCommand)[0].args[0].input).toEqual({ StackName: 'demo-source', TemplateStage: 'Original' });
    expect(cfn.commandCalls(DescribeStackDriftDetectionStatusCommand)).toHaveLength(2);
    expect(clock.sleeps).toEqual([5000]);
    expect(factory.requests).toEqual([{ region: 'eu-west-1', roleArn: undefined }]);
  });

  test('template key order and whitespace do not count as a difference', async () => {
    allInSync();
    const t = fixtureTemplate();
    const reordered = Object.fromEntries(Object.entries(t).reverse());
    cfn.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify(reordered, undefined, 4) });
    expect((await run()).exitCode).toBe(0);
  });

  test('drifted: each drifted resource with its property differences, exit code 1', async () => {
    allInSync();
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(detectionStatus('DETECTION_COMPLETE', 'DRIFTED'));
    cfn.on(DescribeStackResourceDriftsCommand).resolves({ StackResourceDrifts: [bucketDrift, keyDeleted] });
    const report = await run();
    expect(report.exitCode).toBe(1);
    const drift = report.targets[0].checks.find((c) => c.name === 'drift')!;
    expect(drift).toMatchObject({ state: 'finding', cell: 'DRIFTED (2)', driftDetectionId: 'det-1' });
    expect(drift.driftedResources).toEqual([
      {
        logicalId: 'DataBucketE3889A50', physicalId: 'demo-source-databucket-1a2b3c', resourceType: 'AWS::S3::Bucket', status: 'MODIFIED',
        differences: [
          { path: '/VersioningConfiguration/Status', type: 'NOT_EQUAL', expected: 'Enabled', actual: 'Suspended' },
          { path: '/Tags/1', type: 'ADD', expected: '', actual: '{"Key":"owner","Value":"someone"}' },
        ],
      },
      { logicalId: 'DataKey1234ABCD', physicalId: 'mrk-1234', resourceType: 'AWS::KMS::Key', status: 'DELETED', differences: [] },
    ]);
    expect(cfn.commandCalls(DescribeStackResourceDriftsCommand)[0].args[0].input).toMatchObject({
      StackName: 'demo-source', StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'],
    });
    const table = renderTable(report);
    expect(table).toContain('/VersioningConfiguration/Status: expected Enabled, actual Suspended  [NOT_EQUAL]');
    expect(table).toContain('DataKey1234ABCD (AWS::KMS::Key) DELETED');
    expect(table).toMatchSnapshot();
  });

  test('drifted resources are collected over every page', async () => {
    allInSync();
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(detectionStatus('DETECTION_COMPLETE', 'DRIFTED'));
    cfn.on(DescribeStackResourceDriftsCommand)
      .resolvesOnce({ StackResourceDrifts: [bucketDrift], NextToken: 'page-2' })
      .resolves({ StackResourceDrifts: [keyDeleted] });
    const report = await run();
    expect(report.targets[0].checks[2].driftedResources!.map((r) => r.logicalId)).toEqual(['DataBucketE3889A50', 'DataKey1234ABCD']);
    expect(cfn.commandCalls(DescribeStackResourceDriftsCommand)[1].args[0].input.NextToken).toBe('page-2');
  });

  test('missing stack: NOT DEPLOYED, exit code 1, template and drift not checked', async () => {
    cfn.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id demo-source does not exist'));
    const report = await run();
    expect(report.exitCode).toBe(1);
    const [status, template, drift] = report.targets[0].checks;
    expect(status).toMatchObject({ state: 'finding', cell: 'NOT DEPLOYED', advice: 'deploy it: `npx cdk deploy Demo-Source`' });
    expect(status.summary).toBe(`stack demo-source does not exist in aws://${WORKLOAD}/eu-west-1`);
    expect([template.state, drift.state]).toEqual(['skipped', 'skipped']);
    expect(cfn.commandCalls(DetectStackDriftCommand)).toHaveLength(0);
  });

  test('rollback state: the latest failed events, newest first, at most five, exit code 1', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'demo-source', StackStatus: 'UPDATE_ROLLBACK_COMPLETE', CreationTime: new Date(), StackStatusReason: 'Update rolled back' }],
    });
    const events = Array.from({ length: 8 }, (_, i) => ({
      StackId: 's', EventId: `e${i}`, StackName: 'demo-source', Timestamp: new Date(Date.UTC(2026, 0, 15, 9, 10 - i)),
      LogicalResourceId: `Resource${i}`, ResourceType: 'AWS::S3::Bucket',
      ResourceStatus: (i === 1 ? 'UPDATE_COMPLETE' : 'UPDATE_FAILED') as 'UPDATE_FAILED',
      ResourceStatusReason: `reason ${i}`,
    }));
    cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: events });
    const report = await run();
    expect(report.exitCode).toBe(1);
    const status = report.targets[0].checks[0];
    expect(status).toMatchObject({ state: 'finding', cell: 'UPDATE_ROLLBACK_COMPLETE', stackStatus: 'UPDATE_ROLLBACK_COMPLETE' });
    expect(status.failedEvents!.map((e) => e.logicalId)).toEqual(['Resource0', 'Resource2', 'Resource3', 'Resource4', 'Resource5']);
    expect(status.failedEvents![0]).toEqual({
      timestamp: '2026-01-15T09:10:00.000Z', logicalId: 'Resource0', resourceType: 'AWS::S3::Bucket', status: 'UPDATE_FAILED', reason: 'reason 0',
    });
    expect(status.advice).toContain('npx cdk deploy Demo-Source');
    expect(renderTable(report)).toContain('2026-01-15T09:10:00.000Z Resource0 (AWS::S3::Bucket) UPDATE_FAILED: reason 0');
  });

  test('ROLLBACK_COMPLETE after a failed create: advice to destroy and deploy again', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'demo-source', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date() }] });
    cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    const report = await run();
    expect(report.exitCode).toBe(1);
    expect(report.targets[0].checks[0].advice).toContain('`npx cdk destroy Demo-Source`');
  });

  test('an operation in progress is not stable: exit code 1, wait and run again', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'demo-source', StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date() }] });
    const report = await run();
    expect(report.exitCode).toBe(1);
    expect(report.targets[0].checks[0].advice).toMatch(/wait for it to finish/);
    expect(cfn.commandCalls(DescribeStackEventsCommand)).toHaveLength(0);
  });

  test('template out of date: the differing paths, exit code 1', async () => {
    allInSync();
    const deployed = fixtureTemplate('Suspended') as { Resources: Record<string, unknown> };
    delete deployed.Resources.DataKey1234ABCD;
    deployed.Resources.OldQueue = { Type: 'AWS::SQS::Queue' };
    cfn.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify(deployed) });
    const report = await run();
    expect(report.exitCode).toBe(1);
    const template = report.targets[0].checks[1];
    expect(template).toMatchObject({ state: 'finding', cell: 'OUT OF DATE' });
    expect(template.templateDifferences).toEqual([
      { path: 'Resources.DataBucketE3889A50.Properties.VersioningConfiguration.Status', change: 'changed' },
      { path: 'Resources.DataKey1234ABCD', change: 'only-synthesized' },
      { path: 'Resources.OldQueue', change: 'only-deployed' },
    ]);
    expect(template.advice).toContain('npx cdk deploy Demo-Source');
  });

  test('a deployed template that is not JSON was not deployed from this app', async () => {
    allInSync();
    cfn.on(GetTemplateCommand).resolves({ TemplateBody: 'Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n' });
    const report = await run();
    expect(report.exitCode).toBe(1);
    expect(report.targets[0].checks[1]).toMatchObject({ state: 'finding', cell: 'not CDK' });
  });

  test('detection failed with no drift found: exit code 2 with the reason', async () => {
    allInSync();
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(
      detectionStatus('DETECTION_FAILED', undefined, 'Failed to detect drift on resource [DataKey1234ABCD]: AccessDenied'));
    const report = await run();
    expect(report.exitCode).toBe(2);
    expect(report.targets[0].checks[2]).toMatchObject({
      state: 'error', errorKind: 'detection-failed', cell: 'DETECTION FAILED',
      summary: 'drift detection of demo-source failed: Failed to detect drift on resource [DataKey1234ABCD]: AccessDenied',
    });
    expect(report.targets[0].checks[2].advice).toMatch(/lookup role/);
  });

  test('detection failed for some resources but others drifted: the drift is reported, exit code 1', async () => {
    allInSync();
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(detectionStatus('DETECTION_FAILED', 'DRIFTED', 'one resource failed'));
    cfn.on(DescribeStackResourceDriftsCommand).resolves({ StackResourceDrifts: [bucketDrift] });
    const report = await run();
    expect(report.exitCode).toBe(1);
    expect(report.targets[0].checks[2].summary).toContain('detection failed for some resources: one resource failed');
  });

  test('detection timeout: progress reported while waiting, then exit code 2 naming the detection', async () => {
    allInSync();
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(detectionStatus('DETECTION_IN_PROGRESS'));
    const progress: number[] = [];
    const report = await run({ timeoutSeconds: 20, onProgress: (p) => progress.push(p.elapsedSeconds) });
    expect(report.exitCode).toBe(2);
    expect(report.targets[0].checks[2]).toMatchObject({
      state: 'error', errorKind: 'timeout', cell: 'TIMED OUT', driftDetectionId: 'det-1',
      summary: 'drift detection of demo-source did not finish within 20 s (detection det-1)',
    });
    expect(report.targets[0].checks[2].advice).toContain('--timeout (e.g. 40)');
    expect(progress).toEqual([0, 5, 10, 15]);
    expect(clock.sleeps).toEqual([5000, 5000, 5000, 5000]);
  });

  test('throttled after the SDK retries: exit code 2, wait or verify fewer stacks', async () => {
    cfn.on(DescribeStacksCommand).rejects(awsError('Throttling', 'Rate exceeded', 6));
    const report = await run();
    expect(report.exitCode).toBe(2);
    expect(report.targets[0].checks[0]).toMatchObject({
      state: 'error', errorKind: 'throttled', cell: 'error: throttled',
      summary: `throttled by AWS on cloudformation:DescribeStacks in aws://${WORKLOAD}/eu-west-1 after 6 attempts`,
    });
  });

  test('access denied names the missing action', async () => {
    allInSync();
    cfn.on(DetectStackDriftCommand).rejects(awsError('AccessDenied',
      `User: arn:aws:sts::${WORKLOAD}:assumed-role/Dev/me is not authorized to perform: cloudformation:DetectStackDrift`));
    const report = await run();
    expect(report.exitCode).toBe(2);
    const drift = report.targets[0].checks[2];
    expect(drift).toMatchObject({ state: 'error', errorKind: 'access-denied' });
    expect(drift.summary).toMatch(/^access denied: the caller may not call cloudformation:DetectStackDrift in aws:\/\/111111111111\/eu-west-1/);
    expect(drift.advice).toMatch(/^grant cloudformation:DetectStackDrift to the principal/);
  });

  test('no credentials: stops before any stack, exit code 2, says to log in with the profile', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));
    const report = await run({ profile: 'sandbox' });
    expect(report).toMatchObject({ exitCode: 2, result: 'error', targets: [] });
    expect(report.error).toMatchObject({ kind: 'no-credentials' });
    expect(report.error!.advice).toContain('aws sso login --profile sandbox');
    expect(cfn.calls()).toHaveLength(0);
  });

  test('expired credentials say so', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('ExpiredToken', 'The security token included in the request is expired'));
    const report = await run();
    expect(report.error!.message).toMatch(/^the AWS credentials have expired/);
  });

  test('a stack in another account is skipped without a role template (exit code 2)', async () => {
    allInSync();
    const report = await run({ stacks: ['Demo-Archive'] });
    expect(report.exitCode).toBe(2);
    expect(report.targets[0]).toMatchObject({ result: 'skipped', account: LOG_ARCHIVE });
    expect(report.targets[0].checks[0].summary).toMatch(
      new RegExp(`^skipped: credentials are for account ${WORKLOAD}, the target is account ${LOG_ARCHIVE}`));
    expect(cfn.calls()).toHaveLength(0);
  });

  test('with a role template, each stack is checked through the role of its account and region', async () => {
    allInSync();
    const report = await run({
      stacks: ['Demo-*'], roleArnTemplate: 'arn:aws:iam::{account}:role/cdk-hnb659fds-lookup-role-{account}-{region}',
    });
    expect(report.exitCode).toBe(0);
    expect(report.targets.map((t) => t.name)).toEqual(['Demo-Replica', 'Demo-Source', 'Demo-Archive']);
    expect(factory.requests).toEqual([
      { region: 'eu-central-1', roleArn: `arn:aws:iam::${WORKLOAD}:role/cdk-hnb659fds-lookup-role-${WORKLOAD}-eu-central-1` },
      { region: 'eu-west-1', roleArn: `arn:aws:iam::${WORKLOAD}:role/cdk-hnb659fds-lookup-role-${WORKLOAD}-eu-west-1` },
      { region: 'eu-central-1', roleArn: `arn:aws:iam::${LOG_ARCHIVE}:role/cdk-hnb659fds-lookup-role-${LOG_ARCHIVE}-eu-central-1` },
    ]);
  });

  test('an unknown stack name is an error that lists the stacks', async () => {
    const report = await run({ stacks: ['Nope'] });
    expect(report.exitCode).toBe(2);
    expect(report.error).toEqual({
      kind: 'usage', message: 'no stack matches "Nope" in the cloud assembly',
      advice: 'the stacks are: Demo-Replica, Demo-Source, Demo-Archive',
    });
  });

  test('JSON output: mode, exit code, result, caller and per-check details', async () => {
    allInSync();
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(detectionStatus('DETECTION_COMPLETE', 'DRIFTED'));
    cfn.on(DescribeStackResourceDriftsCommand).resolves({ StackResourceDrifts: [bucketDrift] });
    const json = JSON.parse(renderJson(await run()));
    expect(json).toEqual({
      mode: 'verify', exitCode: 1, result: 'not-in-sync', callerAccount: WORKLOAD,
      targets: [{
        kind: 'stack', name: 'Demo-Source', stackName: 'demo-source', account: WORKLOAD, region: 'eu-west-1', result: 'not-in-sync',
        checks: [
          { name: 'status', state: 'ok', cell: 'UPDATE_COMPLETE', stackStatus: 'UPDATE_COMPLETE', summary: 'stack demo-source is UPDATE_COMPLETE' },
          { name: 'template', state: 'ok', cell: 'current', templateDifferences: [], summary: 'the deployed template is the synthesized one' },
          expect.objectContaining({
            name: 'drift', state: 'finding', cell: 'DRIFTED (1)', driftDetectionId: 'det-1',
            driftedResources: [expect.objectContaining({ logicalId: 'DataBucketE3889A50', differences: expect.any(Array) })],
            advice: expect.any(String),
          }),
        ],
      }],
    });
  });
});

describe('verify --preflight: bootstrap stacks', () => {
  const toolkit = (version?: string, status = 'UPDATE_COMPLETE') => ({
    Stacks: [{
      StackName: 'CDKToolkit', StackStatus: status as 'UPDATE_COMPLETE', CreationTime: new Date(),
      Outputs: version === undefined ? [{ OutputKey: 'BucketName', OutputValue: 'b' }] : [{ OutputKey: 'BootstrapVersion', OutputValue: version }],
    }],
  });

  test('every environment bootstrapped with a recent enough version: exit code 0, one row per environment', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).resolves(toolkit('29'));
    const report = await run({ preflight: true, stacks: [], roleArnTemplate: 'arn:aws:iam::{account}:role/r-{region}' });
    expect(report.exitCode).toBe(0);
    expect(report.mode).toBe('preflight');
    expect(report.targets.map((t) => [t.name, t.stacks, t.checks[0].cell])).toEqual([
      [`aws://${WORKLOAD}/eu-central-1`, ['Demo-Replica'], 'v29 (needs v6)'],
      [`aws://${WORKLOAD}/eu-west-1`, ['Demo-Source'], 'v29 (needs v6)'],
      [`aws://${LOG_ARCHIVE}/eu-central-1`, ['Demo-Archive'], 'v29 (needs v6)'],
    ]);
    expect(cfn.commandCalls(DetectStackDriftCommand)).toHaveLength(0);
  });

  test('missing bootstrap stack: exit code 1 naming the environment and the bootstrap command with --trust', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).rejects(awsError('ValidationError', 'Stack with id CDKToolkit does not exist'));
    const report = await run({ preflight: true, stacks: ['Demo-Archive', 'Demo-Source'], roleArnTemplate: 'arn:aws:iam::{account}:role/r' });
    expect(report.exitCode).toBe(1);
    const [source, archive] = report.targets.map((t) => t.checks[0]);
    expect(source).toMatchObject({
      state: 'finding', cell: 'not bootstrapped',
      summary: `aws://${WORKLOAD}/eu-west-1 is not bootstrapped: there is no CDKToolkit stack`,
      advice: `bootstrap with \`npx cdk bootstrap aws://${WORKLOAD}/eu-west-1\``,
    });
    expect(archive.advice).toBe(`bootstrap with \`npx cdk bootstrap aws://${LOG_ARCHIVE}/eu-central-1 --trust ${WORKLOAD} ` +
      `--trust-for-lookup ${WORKLOAD} --cloudformation-execution-policies arn:aws:iam::aws:policy/AdministratorAccess\` ` +
      `with credentials for account ${LOG_ARCHIVE}`);
  });

  test('bootstrap too old: exit code 1 with the versions', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).resolves(toolkit('4'));
    const report = await run({ preflight: true });
    expect(report.exitCode).toBe(1);
    expect(report.targets[0].checks[0]).toMatchObject({
      state: 'finding', cell: 'v4 < v6', bootstrapVersion: 4, requiredBootstrapVersion: 6,
      summary: `aws://${WORKLOAD}/eu-west-1 is bootstrapped with version 4, but the assembly needs version 6 or later`,
    });
  });

  test('legacy bootstrap (no BootstrapVersion output) counts as version 0', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).resolves(toolkit(undefined));
    const report = await run({ preflight: true });
    expect(report.targets[0].checks[0].summary).toContain('version 0 (legacy, no BootstrapVersion output)');
  });

  test('a bootstrap stack in a failed state is a finding', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).resolves(toolkit('29', 'UPDATE_ROLLBACK_FAILED'));
    const report = await run({ preflight: true, toolkitStackName: 'CDKToolkit' });
    expect(report.exitCode).toBe(1);
    expect(report.targets[0].checks[0].cell).toBe('bootstrap UPDATE_ROLLBACK_FAILED');
  });

  test('a role that cannot be assumed (target not bootstrapped with --trust) is access denied with bootstrap advice', async () => {
    cfn.on(DescribeStacksCommand).rejects(awsError('AccessDenied',
      `User: arn:aws:sts::${WORKLOAD}:assumed-role/Admin/me is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${LOG_ARCHIVE}:role/r`));
    const report = await run({ preflight: true, stacks: ['Demo-Archive'], roleArnTemplate: 'arn:aws:iam::{account}:role/r' });
    expect(report.exitCode).toBe(2);
    expect(report.targets[0].checks[0].summary).toMatch(new RegExp(`^access denied: cannot assume arn:aws:iam::${LOG_ARCHIVE}:role/r`));
    expect(report.targets[0].checks[0].advice).toContain(`bootstrap aws://${LOG_ARCHIVE}/eu-central-1 with \`--trust <your account>\``);
  });
});
