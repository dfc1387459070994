/**
 * SEC-3: which service keeps a {@link SecretStore}'s secret.
 */

/** Which service keeps the secret. */
export enum SecretStoreKind {
  /** AWS Secrets Manager: automatic rotation, per-secret cost. */
  SECRETS_MANAGER = 'SECRETS_MANAGER',
  /** SSM Parameter Store SecureString: no rotation, no per-secret cost for standard parameters. */
  PARAMETER_STORE = 'PARAMETER_STORE',
}
