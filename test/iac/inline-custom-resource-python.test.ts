/**
 * The Python response wrapper, exactly as the template holds it (wrapper plus user code), run by
 * python3 against a local HTTP server standing in for the pre-signed URL.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { InlineCustomResource } from '../../lib';
import { cfnRequest, ResponseServer } from '../support/response-server';

// Loads index.py from argv[1] and calls handler(event, context) as the Lambda runtime would.
const DRIVER = `
import json, sys, time
sys.path.insert(0, sys.argv[1])
import index
class Context:
    log_stream_name = '2026/01/01/[$LATEST]abc'
    def __init__(self, ms):
        self.deadline = time.time() * 1000 + ms
    def get_remaining_time_in_millis(self):
        return int(self.deadline - time.time() * 1000)
index.handler(json.loads(sys.argv[2]), Context(int(sys.argv[3])))
`;

let server: ResponseServer;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iac1-python-'));

/** Synthesizes an InlineCustomResource with `code` on Python and writes its ZipFile as index.py. */
function inlineFunction(code: string): string {
  const stack = new Stack(new App(), 'Iac1');
  new InlineCustomResource(stack, 'Sum', { code, runtime: lambda.Runtime.PYTHON_3_13 });
  const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
  expect(fn.Properties.Runtime).toBe('python3.13');
  const fnDir = fs.mkdtempSync(path.join(dir, 'fn-'));
  fs.writeFileSync(path.join(fnDir, 'index.py'), fn.Properties.Code.ZipFile);
  return fnDir;
}

/** Runs the handler in python3 (asynchronously, so the local server keeps answering). */
function invoke(fnDir: string, event: unknown, remainingMs = 60000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', DRIVER, fnDir, JSON.stringify(event), String(remainingMs)], { timeout: 30000 }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') reject(new Error('python3 is not on the PATH: the IAC-1 Python wrapper tests run it (see the README\'s development tools)'));
      else if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

const STACK_ID = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Iac1/8f2a5a60-0000-0000-0000-000000000001';

describe('IAC-1 Python response wrapper', () => {
  beforeAll(async () => {
    server = await ResponseServer.start();
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.received.length = 0;
  });

  test('success: a PUT with an empty Content-Type, the body\'s length, the fields and the Data; the URL is not logged', async () => {
    const fnDir = inlineFunction(`
      import hashlib
      total = sum(int(n) for n in event['ResourceProperties']['Numbers'])
      return {'Data': {'Total': total, 'Digest': hashlib.sha256(str(total).encode()).hexdigest()[:8]}}
    `);
    const { stdout } = await invoke(fnDir, cfnRequest(server));
    expect(server.received).toHaveLength(1);
    const [put] = server.received;
    expect(put.method).toBe('PUT');
    expect(put.headers['content-type']).toBe('');
    expect(put.headers['content-length']).toBe(String(put.rawBody.length));
    expect(put.body).toEqual({
      Status: 'SUCCESS', PhysicalResourceId: `${STACK_ID}/SumResource`, StackId: STACK_ID,
      RequestId: 'b0c1d2e3-0000-0000-0000-000000000002', LogicalResourceId: 'SumResource', NoEcho: false,
      Data: { Total: 6, Digest: expect.stringMatching(/^[0-9a-f]{8}$/) },
    });
    expect(stdout).not.toContain('X-Amz-Signature');
  });

  test('a raised exception answers FAILED with its message; a failed Create gets the placeholder id', async () => {
    const fnDir = inlineFunction("raise ValueError('no numbers')");
    await invoke(fnDir, cfnRequest(server));
    expect(server.received[0].body).toMatchObject({
      Status: 'FAILED', Reason: 'ValueError: no numbers (log stream 2026/01/01/[$LATEST]abc)',
      PhysicalResourceId: 'create-failed:b0c1d2e3-0000-0000-0000-000000000002',
    });
  });

  test('a syntax error in the user code is answered FAILED too (the code compiles inside the wrapper)', async () => {
    const fnDir = inlineFunction('return {"Data": {');
    await invoke(fnDir, cfnRequest(server, { RequestType: 'Update', PhysicalResourceId: 'existing-id' }));
    expect(server.received[0].body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'existing-id', Reason: expect.stringMatching(/^SyntaxError/) });
  });

  test('code that never finishes is answered FAILED before the timeout, and the handler returns', async () => {
    const fnDir = inlineFunction('import time\ntime.sleep(60)');
    const started = Date.now();
    await invoke(fnDir, cfnRequest(server), 10000 + 500);
    expect(Date.now() - started).toBeLessThan(10000);
    expect(server.received[0].body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^the code did not finish within \d+ ms/) });
  });

  test('the rollback Delete of a failed Create answers SUCCESS without running the code', async () => {
    const fnDir = inlineFunction("raise RuntimeError('must not run')");
    await invoke(fnDir, cfnRequest(server, { RequestType: 'Delete', PhysicalResourceId: 'create-failed:b0c1d2e3-0000-0000-0000-000000000002' }));
    expect(server.received[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'create-failed:b0c1d2e3-0000-0000-0000-000000000002' });
  });

  test('Data over the 4,096-byte response limit answers FAILED; Update keeps the existing id', async () => {
    const fnDir = inlineFunction("return {'Data': {'Blob': 'x' * 5000}}");
    await invoke(fnDir, cfnRequest(server, { RequestType: 'Update', PhysicalResourceId: 'existing-id' }));
    const [put] = server.received;
    expect(put.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'existing-id', Reason: expect.stringMatching(/over CloudFormation's 4096-byte limit/) });
    expect(put.rawBody.length).toBeLessThanOrEqual(4096);
  });
});
