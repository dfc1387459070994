/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation requests and responses are untyped JSON in these tests. */
/**
 * A local HTTP server standing in for the pre-signed S3 URL CloudFormation hands a custom
 * resource: it records each request's method, headers and body, and answers 200 (or the
 * statuses it is told to answer first).
 */
import * as http from 'http';
import { AddressInfo } from 'net';

/** One request the server received. */
export interface ReceivedResponse {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawBody: Buffer;
  readonly body: Record<string, any>;
}

export class ResponseServer {
  /** Starts a server on 127.0.0.1 on a free port. */
  public static async start(): Promise<ResponseServer> {
    const server = new ResponseServer();
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  public readonly received: ReceivedResponse[] = [];
  /** Statuses to answer before answering 200, one per request. */
  public failFirst: number[] = [];
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks);
        let body: Record<string, any>;
        try {
          body = JSON.parse(rawBody.toString('utf8'));
        } catch {
          body = { unparsable: rawBody.toString('utf8') };
        }
        this.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawBody, body });
        res.statusCode = this.failFirst.shift() ?? 200;
        res.end();
      });
    });
  }

  /** A pre-signed-looking URL on this server. */
  public url(key = 'stack%7CResource%7Crequest'): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/${key}?X-Amz-Signature=example`;
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A CloudFormation request for `server`. */
export function cfnRequest(server: ResponseServer, overrides: Record<string, unknown> = {}): any {
  return {
    RequestType: 'Create',
    ResponseURL: server.url(),
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Iac1/8f2a5a60-0000-0000-0000-000000000001',
    RequestId: 'b0c1d2e3-0000-0000-0000-000000000002',
    LogicalResourceId: 'SumResource',
    ResourceType: 'Custom::Inline',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:fn', Numbers: ['1', '2', '3'] },
    ...overrides,
  };
}

/** A Lambda context whose remaining time starts at `remainingMs`. */
export function lambdaContext(remainingMs = 60000): { getRemainingTimeInMillis(): number; logStreamName: string; get_remaining_time_in_millis?: never } {
  const start = Date.now();
  return { getRemainingTimeInMillis: () => remainingMs - (Date.now() - start), logStreamName: '2026/01/01/[$LATEST]abc' };
}
