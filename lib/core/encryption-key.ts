import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { isSandbox } from './sandbox';

/**
 * Props for {@link createEncryptionKey}.
 */
export interface EncryptionKeyOptions {
  /** What the key protects, shown in the KMS console. */
  readonly description: string;
  /** An alias for the key (`alias/...`). @default - no alias */
  readonly alias?: string;
}

/**
 * A customer managed, symmetric KMS key with yearly rotation on. Kept on stack deletion unless
 * in sandbox mode, because data encrypted with a deleted key is lost for good.
 */
export function createEncryptionKey(scope: Construct, id: string, options: EncryptionKeyOptions): kms.Key {
  const sandbox = isSandbox(scope);
  return new kms.Key(scope, id, {
    description: options.description,
    alias: options.alias,
    enableKeyRotation: true,
    removalPolicy: sandbox ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    pendingWindow: sandbox ? Duration.days(7) : Duration.days(30),
  });
}
