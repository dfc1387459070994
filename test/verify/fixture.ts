/**
 * A small synthetic cloud assembly (the fields `cdk synth` writes for the default synthesizer)
 * and helpers for offline tests of verify: mocked CloudFormation and STS, a fake clock.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { STSClient } from '@aws-sdk/client-sts';
import { ClientFactory } from '../../packages/verify/src/clients';

export const WORKLOAD = '111111111111';
export const LOG_ARCHIVE = '222222222222';

/** The synthesized template of every fixture stack. */
export function fixtureTemplate(versioning = 'Enabled'): Record<string, unknown> {
  return {
    Resources: {
      DataBucketE3889A50: {
        Type: 'AWS::S3::Bucket',
        Properties: { VersioningConfiguration: { Status: versioning }, Tags: [{ Key: 'pattern', Value: 'RES-7' }] },
      },
      DataKey1234ABCD: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
    },
    Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' } },
  };
}

interface FixtureStack {
  readonly id: string;
  readonly env: string;
  readonly stackName?: string;
}

/** The fixture's stacks: two in the workload account (two regions), one in the log archive account. */
export const FIXTURE_STACKS: FixtureStack[] = [
  { id: 'Demo-Replica', env: `aws://${WORKLOAD}/eu-central-1` },
  { id: 'Demo-Source', env: `aws://${WORKLOAD}/eu-west-1`, stackName: 'demo-source' },
  { id: 'Demo-Archive', env: `aws://${LOG_ARCHIVE}/eu-central-1` },
];

/** Writes a cloud assembly with `stacks` to a new temporary directory and returns it. */
export function writeAssembly(stacks: FixtureStack[] = FIXTURE_STACKS): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-cdk-out-'));
  const artifacts: Record<string, unknown> = {};
  for (const s of stacks) {
    const templateFile = `${s.id}.template.json`;
    fs.writeFileSync(path.join(dir, templateFile), JSON.stringify(fixtureTemplate(), undefined, 1));
    artifacts[`${s.id}.assets`] = {
      type: 'cdk:asset-manifest',
      properties: { file: `${s.id}.assets.json`, requiresBootstrapStackVersion: 6, bootstrapStackVersionSsmParameter: '/cdk-bootstrap/hnb659fds/version' },
    };
    artifacts[s.id] = {
      type: 'aws:cloudformation:stack',
      environment: s.env,
      properties: {
        templateFile,
        ...(s.stackName ? { stackName: s.stackName } : {}),
        requiresBootstrapStackVersion: 6,
        bootstrapStackVersionSsmParameter: '/cdk-bootstrap/hnb659fds/version',
      },
      dependencies: [`${s.id}.assets`],
      displayName: s.id,
    };
  }
  artifacts.Tree = { type: 'cdk:tree', properties: { file: 'tree.json' } };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '55.0.0', artifacts }));
  return dir;
}

/** A client factory that records what was asked for; the clients are stubbed by aws-sdk-client-mock. */
export function recordingFactory(): ClientFactory & { readonly requests: Array<{ region: string; roleArn?: string }> } {
  const requests: Array<{ region: string; roleArn?: string }> = [];
  const credentials = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' };
  return {
    requests,
    sts: (region) => new STSClient({ region, credentials }),
    cloudFormation: (region, roleArn) => {
      requests.push({ region, roleArn });
      return new CloudFormationClient({ region, credentials });
    },
  };
}

/** A clock that only moves when something sleeps. */
export function fakeClock(start = Date.UTC(2026, 0, 15, 9, 0, 0)) {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => { sleeps.push(ms); t += ms; },
  };
}

/** An AWS SDK-style error. */
export function awsError(name: string, message: string, attempts?: number): Error {
  return Object.assign(new Error(message), { name, $metadata: attempts ? { attempts } : {} });
}
