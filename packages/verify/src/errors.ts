/**
 * What can go wrong while verifying, in words that say what to do. AWS SDK errors are
 * classified by name: missing or expired credentials, access denied (naming the action),
 * throttling that outlasted the SDK's retries, and the network.
 */

/** The kinds of error `verify` reports; each exits with code 2. */
export type VerifyErrorKind =
  | 'no-credentials'
  | 'access-denied'
  | 'throttled'
  | 'network'
  | 'timeout'
  | 'detection-failed'
  | 'assembly'
  | 'usage'
  | 'aws';

/** An error with a kind and a sentence on what to do about it. */
export class VerifyError extends Error {
  constructor(
    /** What kind of error this is. */
    public readonly kind: VerifyErrorKind,
    message: string,
    /** What to do about it. */
    public readonly advice: string,
  ) {
    super(message);
    this.name = 'VerifyError';
  }
}

/** Where an AWS call was made, to word the error. */
export interface CallContext {
  /** The IAM action, e.g. `cloudformation:DescribeStacks`. */
  readonly action: string;
  readonly account?: string;
  readonly region?: string;
  readonly profile?: string;
  /** The role assumed for the call, if any. */
  readonly roleArn?: string;
}

const NO_CREDENTIALS = new Set([
  'CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId',
  'UnrecognizedClientException', 'TokenRefreshRequired', 'InvalidGrantException', 'SignatureDoesNotMatch',
]);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);
const NETWORK_CODES = new Set(['ENOTFOUND', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH']);

interface SdkLikeError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly attempts?: number };
}

/** Turns an error thrown by an AWS SDK call into a {@link VerifyError} that says what to do. */
export function classifyError(error: unknown, ctx: CallContext): VerifyError {
  if (error instanceof VerifyError) return error;
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as SdkLikeError;
  const name = e.name ?? 'Error';
  const message = e.message ?? String(error);
  const where = ctx.account || ctx.region ? ` in aws://${ctx.account ?? '?'}/${ctx.region ?? '?'}` : '';
  const profileFlag = ctx.profile ? ` --profile ${ctx.profile}` : '';

  if (NO_CREDENTIALS.has(name) || /expired|could not load credentials|token.*(invalid|refresh)/i.test(name)) {
    const expired = /expired/i.test(name) || /expired/i.test(message);
    return new VerifyError('no-credentials',
      `${expired ? 'the AWS credentials have expired' : 'no usable AWS credentials'}` +
      `${ctx.profile ? ` for profile ${ctx.profile}` : ''} (${name}: ${message})`,
      `run \`aws sso login${profileFlag}\` (or \`aws configure${profileFlag}\`), or set AWS_PROFILE or ` +
      'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, then run again');
  }
  if (ACCESS_DENIED.has(name) || /not authorized to perform/i.test(message)) {
    if (ctx.roleArn && /AssumeRole/i.test(message)) {
      return new VerifyError('access-denied',
        `access denied: cannot assume ${ctx.roleArn} (${message})`,
        `the role must exist and trust your account: bootstrap aws://${ctx.account}/${ctx.region} with ` +
        '`--trust <your account>` (and `--trust-for-lookup` for the lookup role), or fix --role-arn-template');
    }
    return new VerifyError('access-denied',
      `access denied: the caller may not call ${ctx.action}${where}${ctx.roleArn ? ` as ${ctx.roleArn}` : ''} (${message})`,
      `grant ${ctx.action} to the principal (README: "Verifying what is deployed" lists the policy), or pass ` +
      '--role-arn-template with a role that has it, such as the bootstrap lookup role');
  }
  if (THROTTLED.has(name)) {
    const attempts = e.$metadata?.attempts;
    return new VerifyError('throttled',
      `throttled by AWS on ${ctx.action}${where}${attempts ? ` after ${attempts} attempts` : ' after retries'}`,
      'wait a minute and run again, or verify fewer stacks at a time (`npm run verify -- <stack>`)');
  }
  if ((e.code && NETWORK_CODES.has(e.code)) || name === 'TimeoutError' || NETWORK_CODES.has(name)) {
    return new VerifyError('network',
      `cannot reach AWS for ${ctx.action}${where} (${e.code ?? name}: ${message})`,
      'check the network connection, proxy (HTTPS_PROXY) and that the region exists, then run again');
  }
  return new VerifyError('aws', `${ctx.action}${where} failed: ${name}: ${message}`,
    'see the AWS error above; run again with the same arguments once it is fixed');
}
