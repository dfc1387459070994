/**
 * Error classification, and the real SDK retry strategy: a CloudFormation client from the default
 * factory against a local stand-in HTTP handler that always answers "Throttling" (no network).
 */
import { Readable } from 'stream';
import { checkStatus } from '../../packages/verify/src/checks';
import { defaultClientFactory, MAX_ATTEMPTS, roleArnFor } from '../../packages/verify/src/clients';
import { classifyError } from '../../packages/verify/src/errors';

const ctx = { action: 'cloudformation:DescribeStacks', account: '111111111111', region: 'eu-west-1', profile: 'dev' };

describe('classifyError', () => {
  test.each([
    ['CredentialsProviderError', 'no-credentials'],
    ['ExpiredTokenException', 'no-credentials'],
    ['InvalidClientTokenId', 'no-credentials'],
    ['AccessDenied', 'access-denied'],
    ['AccessDeniedException', 'access-denied'],
    ['Throttling', 'throttled'],
    ['TooManyRequestsException', 'throttled'],
    ['TimeoutError', 'network'],
    ['InternalFailure', 'aws'],
  ])('%s is %s', (name, kind) => {
    expect(classifyError(Object.assign(new Error('m'), { name }), ctx).kind).toBe(kind);
  });

  test('a DNS failure is a network error that says to check the connection', () => {
    const e = classifyError(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), ctx);
    expect(e.kind).toBe('network');
    expect(e.advice).toMatch(/^check the network connection/);
  });

  test('no credentials names the profile in the login command', () => {
    expect(classifyError(Object.assign(new Error('x'), { name: 'CredentialsProviderError' }), ctx).advice)
      .toMatch(/^run `aws sso login --profile dev` \(or `aws configure --profile dev`\)/);
  });
});

describe('defaultClientFactory', () => {
  test('clients use the standard retry strategy with several attempts, one client per region and role', async () => {
    const factory = defaultClientFactory({ profile: 'dev' });
    const client = factory.cloudFormation('eu-west-1');
    expect(await client.config.maxAttempts()).toBe(MAX_ATTEMPTS);
    const mode = client.config.retryMode;
    expect(typeof mode === 'function' ? await mode() : mode).toBe('standard');
    expect(await client.config.region()).toBe('eu-west-1');
    expect(factory.cloudFormation('eu-west-1')).toBe(client);
    expect(factory.cloudFormation('eu-west-1', 'arn:aws:iam::1:role/r')).not.toBe(client);
    expect(await factory.sts('eu-west-1').config.maxAttempts()).toBe(MAX_ATTEMPTS);
  });

  test('throttling is retried by the SDK, then reported as throttled with the number of attempts', async () => {
    let requests = 0;
    const requestHandler = {
      handle: async () => {
        requests++;
        const body = '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>' +
          '<RequestId>r</RequestId></ErrorResponse>';
        return { response: { statusCode: 400, headers: { 'content-type': 'text/xml' }, body: Readable.from([Buffer.from(body)]) } };
      },
    };
    const factory = defaultClientFactory({ maxAttempts: 3, requestHandler });
    // Static credentials: the default chain is not consulted for this client.
    const client = factory.cloudFormation('eu-west-1');
    client.config.credentials = async () => ({ accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' });
    const result = await checkStatus({
      cloudFormation: client, account: '111111111111', region: 'eu-west-1', now: Date.now, sleep: async () => undefined,
      timeoutSeconds: 1, pollIntervalSeconds: 1,
    }, { id: 'S', stackName: 'S', template: {}, requiredBootstrapVersion: 0 });
    expect(requests).toBe(3);
    expect(result).toMatchObject({
      state: 'error', errorKind: 'throttled',
      summary: 'throttled by AWS on cloudformation:DescribeStacks in aws://111111111111/eu-west-1 after 3 attempts',
    });
  }, 30000);
});

test('roleArnFor fills in account and region', () => {
  expect(roleArnFor('arn:aws:iam::{account}:role/cdk-q-lookup-role-{account}-{region}', '1', 'r'))
    .toBe('arn:aws:iam::1:role/cdk-q-lookup-role-1-r');
});
