/**
 * IAC-1 response wrapper for Node.js: answers CloudFormation on the pre-signed `ResponseURL`
 * for the user's code, whatever that code does.
 *
 * `InlineCustomResource` embeds this module, compiled to plain CommonJS, in the function's
 * `Code.ZipFile` and appends `exports.handler = respondingHandler(async function (event, context) { <user code> });`.
 * The module therefore imports only Node.js built-ins and nothing of this library.
 *
 * The protocol (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html):
 * an HTTP PUT of a JSON document with Status (SUCCESS or FAILED), Reason (required when
 * FAILED), PhysicalResourceId (non-empty, at most 1 KB, identical for every response about the
 * same resource), StackId, RequestId and LogicalResourceId copied from the request, NoEcho and
 * Data; the whole body at most 4,096 bytes. Like the cfn-response module
 * (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-lambda-function-code-cfnresponsemodule.html)
 * it sends an empty Content-Type, which the pre-signed URL was signed with, and the body's length.
 *
 * What it adds to cfn-response: it answers FAILED with the error when the code throws, and
 * before the function's own timeout when the code hangs (a timer at the remaining time minus
 * {@link RESPONSE_MARGIN_MS}); it keeps the PhysicalResourceId stable (the code's, else the
 * existing one, else one derived from the stack and logical id, never the log stream name that
 * cfn-response defaults to); a failed Create answers with a placeholder id, so the Delete of the
 * rollback answers SUCCESS without running the code; a response over 4,096 bytes becomes a
 * FAILED response that says so.
 */
import * as http from 'http';
import * as https from 'https';

/** A CloudFormation custom resource request (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html). */
export interface CustomResourceRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

/** The part of the Lambda context the wrapper uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  readonly logStreamName?: string;
}

/** What the user's code may return. */
export interface UserResult {
  /** The resource's id; returning a different one on Update replaces the resource. */
  readonly PhysicalResourceId?: string;
  /** Names and values, read with Fn::GetAtt. */
  readonly Data?: Record<string, unknown>;
  /** Whether CloudFormation masks Data in its outputs and events. */
  readonly NoEcho?: boolean;
}

/** The user's code: the body of an async function of (event, context). */
export type UserFunction = (event: CustomResourceRequest, context: LambdaContext) => Promise<UserResult | void> | UserResult | void;

/** The response document CloudFormation reads from the pre-signed URL. */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly NoEcho: boolean;
  readonly Data?: Record<string, unknown>;
}

/** Time kept back from the function's timeout to answer CloudFormation. */
export const RESPONSE_MARGIN_MS = 10000;
/** The most a response body may hold (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html). */
export const MAX_RESPONSE_BYTES = 4096;
/** The most a PhysicalResourceId may hold: 1 KB. */
export const MAX_PHYSICAL_ID_BYTES = 1024;
/** The prefix of the placeholder id a failed Create answers with. */
export const FAILED_CREATE_PREFIX = 'create-failed:';
/** How many times the response is PUT before the invocation fails (and Lambda retries it). */
export const SEND_ATTEMPTS = 3;

/** Wraps `userFunction` into a Lambda handler that always answers CloudFormation. */
export function respondingHandler(userFunction: UserFunction): (event: CustomResourceRequest, context: LambdaContext) => Promise<void> {
  return async (event, context) => {
    // The pre-signed URL lets anyone who has it answer for this resource: never log it.
    console.log('request', JSON.stringify({ ...event, ResponseURL: '(not logged)' }));
    let response: CustomResourceResponse;
    if (event.RequestType === 'Delete' && String(event.PhysicalResourceId ?? '').startsWith(FAILED_CREATE_PREFIX)) {
      // The Create of this resource failed: there is nothing to delete.
      response = respond(event, 'SUCCESS', event.PhysicalResourceId!);
    } else {
      response = await runUserCode(userFunction, event, context);
    }
    console.log('response', JSON.stringify({ ...response, Data: response.NoEcho ? '(NoEcho)' : response.Data }));
    await send(event.ResponseURL, JSON.stringify(response));
  };
}

async function runUserCode(userFunction: UserFunction, event: CustomResourceRequest, context: LambdaContext): Promise<CustomResourceResponse> {
  const budget = Math.max(context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS, 0);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the code did not finish within ${budget} ms (the function's timeout less ${RESPONSE_MARGIN_MS} ms to answer)`)), budget);
  });
  try {
    const result = await Promise.race([Promise.resolve().then(() => userFunction(event, context)), deadline]);
    return succeeded(event, context, result || {});
  } catch (error) {
    console.log('error', error);
    return failed(event, context, error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
}

function succeeded(event: CustomResourceRequest, context: LambdaContext, result: UserResult): CustomResourceResponse {
  const returnedId = result.PhysicalResourceId;
  if (returnedId !== undefined && (typeof returnedId !== 'string' || returnedId.length === 0 || Buffer.byteLength(returnedId) > MAX_PHYSICAL_ID_BYTES || returnedId.startsWith(FAILED_CREATE_PREFIX))) {
    return failed(event, context, `PhysicalResourceId must be a non-empty string of at most ${MAX_PHYSICAL_ID_BYTES} bytes not starting with ${FAILED_CREATE_PREFIX}`);
  }
  if (result.Data !== undefined && (result.Data === null || typeof result.Data !== 'object' || Array.isArray(result.Data))) {
    return failed(event, context, 'Data must be an object of names and values');
  }
  const id = event.RequestType === 'Delete' ? event.PhysicalResourceId!
    : returnedId ?? event.PhysicalResourceId ?? `${event.StackId}/${event.LogicalResourceId}`;
  const response = respond(event, 'SUCCESS', id, result.Data, result.NoEcho === true);
  const size = Buffer.byteLength(JSON.stringify(response));
  if (size > MAX_RESPONSE_BYTES) {
    return failed(event, context, `the response would be ${size} bytes, over CloudFormation's ${MAX_RESPONSE_BYTES}-byte limit: return less Data`);
  }
  return response;
}

function failed(event: CustomResourceRequest, context: LambdaContext, message: string): CustomResourceResponse {
  const id = event.RequestType === 'Create' ? `${FAILED_CREATE_PREFIX}${event.RequestId}` : event.PhysicalResourceId!;
  const response = respond(event, 'FAILED', id);
  const reason = `${message} (log stream ${context.logStreamName ?? 'unknown'})`;
  // The reason gets what is left of the 4,096 bytes (its characters may take up to 6 bytes once escaped).
  const room = Math.floor((MAX_RESPONSE_BYTES - Buffer.byteLength(JSON.stringify(response)) - 20) / 6);
  return { ...response, Reason: reason.length > room ? `${reason.slice(0, Math.max(room - 3, 0))}...` : reason };
}

function respond(event: CustomResourceRequest, status: 'SUCCESS' | 'FAILED', physicalResourceId: string, data?: Record<string, unknown>, noEcho = false): CustomResourceResponse {
  return {
    Status: status,
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: noEcho,
    ...(data === undefined ? {} : { Data: data }),
  };
}

/**
 * PUTs `body` to the pre-signed URL, trying {@link SEND_ATTEMPTS} times; throws when every
 * attempt failed, so Lambda retries the invocation. HTTPS only, except plain HTTP to the
 * loopback address (the local server that stands in for S3 in the tests).
 */
export async function send(responseUrl: string, body: string): Promise<void> {
  const url = new URL(responseUrl);
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`refusing to send the response to a ${url.protocol} URL`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await put(url, body);
      return;
    } catch (error) {
      console.log(`sending the response, attempt ${attempt} of ${SEND_ATTEMPTS}: ${error instanceof Error ? error.message : String(error)}`);
      if (attempt >= SEND_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

function put(url: URL, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: 'PUT',
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
      timeout: 3000,
    }, (response) => {
      response.resume();
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`HTTP ${status} from the pre-signed URL`));
      });
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 3 s')));
    request.on('error', reject);
    request.end(body);
  });
}
