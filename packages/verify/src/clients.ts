/**
 * AWS clients for `verify`: the standard credential chain (optionally a named profile), one
 * CloudFormation client per account and region, and a role assumed per target account when a
 * role ARN template is given. Tests pass their own {@link ClientFactory}.
 */
import { CloudFormationClient, CloudFormationClientConfig } from '@aws-sdk/client-cloudformation';
import { STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';

/** Attempts per call with the SDK's standard retry strategy (exponential backoff with jitter). */
export const MAX_ATTEMPTS = 6;

/** Creates the AWS clients `verify` uses. */
export interface ClientFactory {
  /** The STS client that tells whose credentials these are. */
  sts(region: string): STSClient;
  /** A CloudFormation client for `region`, acting as `roleArn` when given. */
  cloudFormation(region: string, roleArn?: string): CloudFormationClient;
}

/** Options of {@link defaultClientFactory}. */
export interface ClientFactoryOptions {
  /** A named profile from ~/.aws/config; default: the standard chain (AWS_PROFILE, env, SSO, ...). */
  readonly profile?: string;
  /** Attempts per call, retries included. */
  readonly maxAttempts?: number;
  /** The HTTP handler of the CloudFormation clients (a proxy agent, or a stand-in in tests). */
  readonly requestHandler?: CloudFormationClientConfig['requestHandler'];
}

/** Clients on the standard credential chain, with the standard retry strategy. */
export function defaultClientFactory(options: ClientFactoryOptions = {}): ClientFactory {
  const base = fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const cache = new Map<string, CloudFormationClient>();
  return {
    sts: (region) => new STSClient({ region, credentials: base, maxAttempts, retryMode: 'standard' }),
    cloudFormation: (region, roleArn) => {
      const key = `${region} ${roleArn ?? ''}`;
      let client = cache.get(key);
      if (!client) {
        const credentials = roleArn
          ? fromTemporaryCredentials({
            masterCredentials: base,
            params: { RoleArn: roleArn, RoleSessionName: 'cdk-patterns-verify', DurationSeconds: 3600 },
            clientConfig: { region, maxAttempts, retryMode: 'standard' },
          })
          : base;
        client = new CloudFormationClient({
          region, credentials, maxAttempts, retryMode: 'standard', requestHandler: options.requestHandler,
        });
        cache.set(key, client);
      }
      return client;
    },
  };
}

/** The role ARN for `account` and `region` from a template with `{account}` and `{region}`. */
export function roleArnFor(template: string, account: string, region: string): string {
  return template.replace(/\{account\}/g, account).replace(/\{region\}/g, region);
}
