import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { InlineCustomResource } from '../../lib';
import {
  FAILED_CREATE_PREFIX, MAX_RESPONSE_BYTES, RESPONSE_MARGIN_MS, respondingHandler, send,
} from '../../lib/iac/handlers/inline-custom-resource';
import { cfnRequest, lambdaContext, ResponseServer } from '../support/response-server';

describe('IAC-1 Node.js response wrapper', () => {
  let server: ResponseServer;
  let logs: string[];

  beforeAll(async () => {
    server = await ResponseServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    server.received.length = 0;
    server.failFirst = [];
    logs = [];
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a) ?? String(a))).join(' '));
    });
  });
  afterEach(() => jest.restoreAllMocks());

  const STACK_ID = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Iac1/8f2a5a60-0000-0000-0000-000000000001';

  describe('the response wrapper answers on the pre-signed URL as S3 expects it', () => {
    test('success: one PUT with an empty Content-Type, the body\'s byte length, and every response field', async () => {
      const handler = respondingHandler(async (event) => ({ Data: { Total: 6, Note: 'é' }, PhysicalResourceId: `sum-${event.LogicalResourceId}` }));
      await handler(cfnRequest(server), lambdaContext());
      expect(server.received).toHaveLength(1);
      const [put] = server.received;
      expect(put.method).toBe('PUT');
      expect(put.url).toBe('/stack%7CResource%7Crequest?X-Amz-Signature=example');
      expect(put.headers['content-type']).toBe('');
      expect(put.headers['content-length']).toBe(String(put.rawBody.length)); // bytes, not characters ('é' takes two)
      expect(put.body).toEqual({
        Status: 'SUCCESS',
        PhysicalResourceId: 'sum-SumResource',
        StackId: STACK_ID,
        RequestId: 'b0c1d2e3-0000-0000-0000-000000000002',
        LogicalResourceId: 'SumResource',
        NoEcho: false,
        Data: { Total: 6, Note: 'é' },
      });
    });

    test('Create without a returned id answers a deterministic one: the stack id and the logical id', async () => {
      await respondingHandler(() => undefined)(cfnRequest(server), lambdaContext());
      expect(server.received[0].body.PhysicalResourceId).toBe(`${STACK_ID}/SumResource`);
    });

    test('Update without a returned id keeps the existing id, so CloudFormation does not replace the resource', async () => {
      await respondingHandler(async () => ({ Data: { Total: 7 } }))(cfnRequest(server, { RequestType: 'Update', PhysicalResourceId: 'existing-id' }), lambdaContext());
      expect(server.received[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'existing-id', Data: { Total: 7 } });
    });

    test('Delete answers with the id it was given, whatever the code returns', async () => {
      await respondingHandler(async () => ({ PhysicalResourceId: 'other' }))(cfnRequest(server, { RequestType: 'Delete', PhysicalResourceId: 'existing-id' }), lambdaContext());
      expect(server.received[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'existing-id' });
    });

    test('NoEcho is passed on, and masked Data is not logged', async () => {
      await respondingHandler(async () => ({ Data: { Password: 'secret-value' }, NoEcho: true }))(cfnRequest(server), lambdaContext());
      expect(server.received[0].body).toMatchObject({ NoEcho: true, Data: { Password: 'secret-value' } });
      expect(logs.join('\n')).not.toContain('secret-value');
    });

    test('the pre-signed URL is never logged (whoever holds it can answer for the resource)', async () => {
      await respondingHandler(async () => { throw new Error('boom'); })(cfnRequest(server), lambdaContext());
      expect(logs.join('\n')).toContain('SumResource');
      expect(logs.join('\n')).not.toContain('X-Amz-Signature');
    });
  });

  describe('the response wrapper always answers', () => {
    test('a thrown error answers FAILED with its message and the log stream; a failed Create gets a placeholder id', async () => {
      await respondingHandler(async () => { throw new Error('the lookup failed'); })(cfnRequest(server), lambdaContext());
      expect(server.received).toHaveLength(1);
      expect(server.received[0].body).toMatchObject({
        Status: 'FAILED',
        Reason: 'the lookup failed (log stream 2026/01/01/[$LATEST]abc)',
        PhysicalResourceId: `${FAILED_CREATE_PREFIX}b0c1d2e3-0000-0000-0000-000000000002`,
      });
      expect(server.received[0].body.Data).toBeUndefined();
    });

    test('a failed Update keeps the existing id, so the rollback updates the same resource', async () => {
      await respondingHandler(() => { throw new Error('nope'); })(cfnRequest(server, { RequestType: 'Update', PhysicalResourceId: 'existing-id' }), lambdaContext());
      expect(server.received[0].body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'existing-id' });
    });

    test('code that never finishes is answered FAILED before the function\'s timeout (remaining time less the margin)', async () => {
      const started = Date.now();
      await respondingHandler(() => new Promise(() => undefined))(cfnRequest(server), lambdaContext(RESPONSE_MARGIN_MS + 300));
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(RESPONSE_MARGIN_MS);
      expect(server.received).toHaveLength(1);
      expect(server.received[0].body.Status).toBe('FAILED');
      expect(server.received[0].body.Reason).toMatch(/^the code did not finish within \d+ ms \(the function's timeout less 10000 ms to answer\)/);
    });

    test('the rollback Delete of a failed Create answers SUCCESS without running the code', async () => {
      const code = jest.fn();
      const id = `${FAILED_CREATE_PREFIX}b0c1d2e3-0000-0000-0000-000000000002`;
      await respondingHandler(code)(cfnRequest(server, { RequestType: 'Delete', PhysicalResourceId: id }), lambdaContext());
      expect(code).not.toHaveBeenCalled();
      expect(server.received[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: id });
    });

    test('Data that would take the response over 4,096 bytes answers FAILED and says so', async () => {
      await respondingHandler(async () => ({ Data: { Blob: 'x'.repeat(5000) } }))(cfnRequest(server), lambdaContext());
      const [put] = server.received;
      expect(put.body.Status).toBe('FAILED');
      expect(put.body.Reason).toMatch(/^the response would be \d+ bytes, over CloudFormation's 4096-byte limit: return less Data/);
      expect(put.body.Data).toBeUndefined();
      expect(put.rawBody.length).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    });

    test('a long error message is shortened so the response stays within 4,096 bytes', async () => {
      await respondingHandler(async () => { throw new Error('ü'.repeat(10000)); })(cfnRequest(server), lambdaContext());
      const [put] = server.received;
      expect(put.body.Status).toBe('FAILED');
      expect(put.body.Reason.endsWith('...')).toBe(true);
      expect(put.rawBody.length).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    });

    test('a returned id that is empty or mimics the placeholder answers FAILED instead of corrupting the resource', async () => {
      await respondingHandler(async () => ({ PhysicalResourceId: `${FAILED_CREATE_PREFIX}x` }))(cfnRequest(server), lambdaContext());
      await respondingHandler(async () => ({ PhysicalResourceId: '' }))(cfnRequest(server), lambdaContext());
      expect(server.received.map((r) => r.body.Status)).toEqual(['FAILED', 'FAILED']);
      expect(server.received[0].body.Reason).toMatch(/^PhysicalResourceId must be a non-empty string of at most 1024 bytes/);
    });

    test('a refused PUT is tried again; when every attempt fails the invocation fails, so Lambda retries it', async () => {
      server.failFirst = [500];
      await respondingHandler(async () => ({ Data: { A: '1' } }))(cfnRequest(server), lambdaContext());
      expect(server.received.map((r) => r.body.Status)).toEqual(['SUCCESS', 'SUCCESS']);

      server.received.length = 0;
      server.failFirst = [403, 403, 403];
      await expect(send(server.url(), '{}')).rejects.toThrow('HTTP 403 from the pre-signed URL');
      expect(server.received).toHaveLength(3);
    });

    test('sends only over HTTPS (plain HTTP only to the loopback stand-in)', async () => {
      await expect(send('http://example.com/key', '{}')).rejects.toThrow('refusing to send the response to a http: URL');
    });
  });

  describe('the code in the template is the wrapper plus the user\'s code, and works as it stands', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iac1-inline-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    function inlineHandler(code: string): (event: unknown, context: unknown) => Promise<void> {
      const stack = new Stack(new App(), 'Iac1');
      new InlineCustomResource(stack, 'Sum', { code });
      const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
      const file = path.join(fs.mkdtempSync(path.join(dir, 'fn-')), 'index.js');
      fs.writeFileSync(file, fn.Properties.Code.ZipFile);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file).handler;
    }

    test('the inline Node.js code answers SUCCESS with the Data the user code returns, and may require built-ins', async () => {
      const handler = inlineHandler(`
        const { createHash } = require('crypto');
        const total = event.ResourceProperties.Numbers.reduce((a, b) => a + Number(b), 0);
        return { Data: { Total: total, Digest: createHash('sha256').update(String(total)).digest('hex').slice(0, 8) } };
      `);
      await handler(cfnRequest(server), lambdaContext());
      expect(server.received[0].headers['content-type']).toBe('');
      expect(server.received[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${STACK_ID}/SumResource`, Data: { Total: 6, Digest: expect.stringMatching(/^[0-9a-f]{8}$/) } });
    });

    test('the inline Node.js code answers FAILED when the user code throws', async () => {
      const handler = inlineHandler('throw new Error(`no numbers in ${event.LogicalResourceId}`);');
      await handler(cfnRequest(server), lambdaContext());
      expect(server.received[0].body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^no numbers in SumResource/) });
    });
  });
});
