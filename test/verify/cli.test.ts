/** The CLI in-process: argument parsing, exit codes 0/1/2, table and JSON output, progress on stderr. */
import {
  CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { main, parseArguments } from '../../packages/verify/src/cli';
import { awsError, fakeClock, fixtureTemplate, recordingFactory, WORKLOAD, writeAssembly } from './fixture';

const cfn = mockClient(CloudFormationClient);
const sts = mockClient(STSClient);
const app = writeAssembly();

async function cli(argv: string[], interactive = false) {
  let stdout = '';
  let stderr = '';
  const clock = fakeClock();
  const code = await main(argv, {
    stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, interactive,
    clients: recordingFactory(), now: clock.now, sleep: clock.sleep,
  });
  return { code, stdout, stderr };
}

function deployed(drift: 'IN_SYNC' | 'DRIFTED', pollsInProgress = 0): void {
  cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({
    Stacks: [{ StackName: input.StackName, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date() }],
  }));
  cfn.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify(fixtureTemplate()) });
  cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: 'det-9' });
  const status = (s: string) => ({ StackId: 's', StackDriftDetectionId: 'det-9', DetectionStatus: s as 'DETECTION_COMPLETE', StackDriftStatus: drift, Timestamp: new Date() });
  let poll = cfn.on(DescribeStackDriftDetectionStatusCommand);
  for (let i = 0; i < pollsInProgress; i++) poll = poll.resolvesOnce(status('DETECTION_IN_PROGRESS'));
  poll.resolves(status('DETECTION_COMPLETE'));
  cfn.on(DescribeStackResourceDriftsCommand).resolves({
    StackResourceDrifts: drift === 'IN_SYNC' ? [] : [{
      StackId: 's', LogicalResourceId: 'DataBucketE3889A50', ResourceType: 'AWS::S3::Bucket', StackResourceDriftStatus: 'MODIFIED', Timestamp: new Date(),
      PropertyDifferences: [{ PropertyPath: '/VersioningConfiguration/Status', ExpectedValue: 'Enabled', ActualValue: 'Suspended', DifferenceType: 'NOT_EQUAL' }],
    }],
  });
}

beforeEach(() => {
  cfn.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: WORKLOAD });
});

describe('parseArguments', () => {
  test('stacks and every option, with space or =', () => {
    expect(parseArguments(['A', '--preflight', '--json', '--profile', 'p', '--region=eu-west-1', '--app', 'out',
      '--timeout', '600', '--role-arn-template', 'arn:aws:iam::{account}:role/x', '--toolkit-stack-name', 'Tk', 'B'])).toEqual({
      stacks: ['A', 'B'], preflight: true, json: true, help: false, profile: 'p', region: 'eu-west-1', app: 'out',
      timeoutSeconds: 600, roleArnTemplate: 'arn:aws:iam::{account}:role/x', toolkitStackName: 'Tk',
    });
  });
  test('defaults', () => {
    expect(parseArguments([])).toMatchObject({ stacks: [], preflight: false, json: false, app: 'cdk.out', timeoutSeconds: 300 });
  });
  test.each([
    [['--timeout', 'soon'], '--timeout must be a whole number of seconds, got "soon"'],
    [['--timeout', '0'], '--timeout must be a whole number of seconds, got "0"'],
    [['--profile'], '--profile needs a value'],
    [['--profile', '--json'], '--profile needs a value'],
    [['--role-arn-template', 'arn:aws:iam::1:role/x'], '--role-arn-template must contain {account} (and usually {region})'],
    [['--force'], 'unknown option --force'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseArguments(argv)).toThrow(message);
  });
});

describe('main', () => {
  test('in sync: exit code 0 and a table', async () => {
    deployed('IN_SYNC');
    const { code, stdout } = await cli(['Demo-Source', '--app', app]);
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(0, 2)).toEqual([
      'STACK        ACCOUNT       REGION     STATUS           TEMPLATE  DRIFT    RESULT',
      'Demo-Source  111111111111  eu-west-1  CREATE_COMPLETE  current   IN_SYNC  in sync',
    ]);
    expect(stdout).toContain('1 stack(s): 1 in sync, 0 not in sync, 0 error(s), 0 skipped; all in sync (exit code 0)');
  });

  test('drifted: exit code 1 and the drifted property in the table output', async () => {
    deployed('DRIFTED');
    const { code, stdout } = await cli(['Demo-Source', '--app', app]);
    expect(code).toBe(1);
    expect(stdout).toContain('Demo-Source  111111111111  eu-west-1  CREATE_COMPLETE  current   DRIFTED (1)  NOT IN SYNC');
    expect(stdout).toContain('/VersioningConfiguration/Status: expected Enabled, actual Suspended  [NOT_EQUAL]');
  });

  test('--json: parseable JSON only on stdout, progress on stderr', async () => {
    deployed('DRIFTED', 7);
    const { code, stdout, stderr } = await cli(['Demo-Source', '--app', app, '--json']);
    expect(code).toBe(1);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ mode: 'verify', exitCode: 1, result: 'not-in-sync', targets: [{ name: 'Demo-Source', result: 'not-in-sync' }] });
    // Not a terminal: one progress line per stack every 30 s.
    expect(stderr).toBe('drift detection of demo-source: 0s of at most 300s\ndrift detection of demo-source: 30s of at most 300s\n');
  });

  test('on a terminal, progress is one line redrawn in place and cleared before the output', async () => {
    deployed('IN_SYNC', 2);
    const { stderr } = await cli(['Demo-Source', '--app', app], true);
    expect(stderr).toBe('\r\x1b[K| drift detection (timeout 300s): demo-source 0s\r\x1b[K/ drift detection (timeout 300s): demo-source 5s\r\x1b[K');
  });

  test('an error (access denied): exit code 2 and what to do', async () => {
    cfn.on(DescribeStacksCommand).rejects(awsError('AccessDenied', 'not authorized to perform: cloudformation:DescribeStacks'));
    const { code, stdout } = await cli(['Demo-Source', '--app', app]);
    expect(code).toBe(2);
    expect(stdout).toContain('error: access-denied');
    expect(stdout).toContain('what to do: grant cloudformation:DescribeStacks to the principal');
    expect(stdout).toContain('could not check everything (exit code 2)');
  });

  test('no credentials: exit code 2 with the login command', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));
    const { code, stdout } = await cli(['--app', app, '--profile', 'sandbox']);
    expect(code).toBe(2);
    expect(stdout).toMatch(/^error \(no-credentials\): no usable AWS credentials for profile sandbox/);
    expect(stdout).toContain('what to do: run `aws sso login --profile sandbox`');
  });

  test('--preflight: one row per environment, exit code 1 when one is not bootstrapped', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).rejects(awsError('ValidationError', 'Stack with id CDKToolkit does not exist'));
    const { code, stdout } = await cli(['Demo-Source', 'Demo-Replica', '--preflight', '--app', app]);
    expect(code).toBe(1);
    expect(stdout.split('\n')[0]).toBe('ENVIRONMENT                      ACCOUNT       REGION        BOOTSTRAP         RESULT');
    expect(stdout).toContain(`what to do: bootstrap with \`npx cdk bootstrap aws://${WORKLOAD}/eu-central-1\``);
  });

  test('a bad argument: exit code 2 and the usage on stderr', async () => {
    const { code, stdout, stderr } = await cli(['--timeout', 'x']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: --timeout must be a whole number of seconds, got "x"\n\nusage: cdk-patterns-verify/);
  });

  test('no cloud assembly: exit code 2, synthesize first', async () => {
    const { code, stdout } = await cli(['--app', '/nonexistent/cdk.out']);
    expect(code).toBe(2);
    expect(stdout).toContain('error (assembly): no cloud assembly in /nonexistent/cdk.out');
  });

  test('--help: the usage, exit code 0', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: cdk-patterns-verify \[stack \.\.\.\] \[options\]/);
    expect(stdout).toContain('Exit codes: 0 all in sync; 1 drift');
  });
});
