/**
 * SEC-3 SecretStore: where an application keeps a secret, with the right service for the job.
 *
 * Secrets Manager when the secret must rotate: a secret encrypted with a customer managed KMS key,
 * its value generated (never in the template), attached to its database so host and port are
 * filled in, and automatic rotation, either hosted by Secrets Manager (RDS, Redshift,
 * DocumentDB engines: `secretsmanager.HostedRotation`, which deploys the AWS rotation function
 * for you) or by your own rotation function. Rotation intervals outside 1-1000 days are refused
 * (the service's limits).
 *
 * SSM Parameter Store SecureString when cost matters and the secret does not rotate itself
 * (standard parameters are free; Secrets Manager charges per secret and per API call).
 * CloudFormation cannot create a SecureString parameter (`AWS::SSM::Parameter` only takes String
 * and StringList), and putting the value in a template would leak it anyway. So in that mode the
 * construct creates what CloudFormation can: the customer managed KMS key that encrypts the
 * parameter, the read (and write) grants on the parameter's ARN and the key, and a stack output
 * with the exact `aws ssm put-parameter --type SecureString --key-id ...` command an operator runs
 * once to store the value. Applications read it with `GetParameter --with-decryption`.
 */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { createEncryptionKey } from '../core/encryption-key';
import { dataRemovalPolicy } from '../core/sandbox';
import { PropsCheck } from '../core/validation';
import { SecretStoreKind } from './secret-store-kind';

/**
 * Props for {@link SecretStore}.
 */
export interface SecretStoreProps {
  /**
   * Which service keeps the secret.
   * @default SecretStoreKind.SECRETS_MANAGER
   */
  readonly kind?: SecretStoreKind;

  /**
   * The secret's name; for Parameter Store the parameter name, a path starting with `/`
   * (required there).
   * @default - generated (Secrets Manager only)
   */
  readonly secretName?: string;

  /**
   * What the secret is for.
   * @default - none
   */
  readonly description?: string;

  /**
   * The key that encrypts the secret.
   * @default - a new customer managed key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How Secrets Manager generates the value, for example a JSON template with the user name and a
   * generated `password` key for a database secret.
   * @default - a 32-character random string
   */
  readonly generateSecretString?: secretsmanager.SecretStringGenerator;

  /**
   * Attach the secret to a database (an RDS instance or cluster, a proxy): Secrets Manager adds
   * the engine, host and port to the secret, which hosted rotation needs.
   * @default - not attached
   */
  readonly attachTo?: secretsmanager.ISecretAttachmentTarget;

  /**
   * Rotation hosted by Secrets Manager, for example
   * `secretsmanager.HostedRotation.postgreSqlSingleUser({ vpc })`. One of `hostedRotation` and
   * `rotationFunction` is required for a Secrets Manager secret.
   * @default - none
   */
  readonly hostedRotation?: secretsmanager.HostedRotation;

  /**
   * Your own rotation function (for secrets that are not database credentials).
   * @default - none
   */
  readonly rotationFunction?: lambda.IFunction;

  /**
   * How often the secret rotates: 1 to 1000 days.
   * @default Duration.days(30)
   */
  readonly rotationInterval?: Duration;
}

/**
 * SEC-3: a secret in Secrets Manager with KMS and automatic rotation, or the KMS key, grants and
 * put-parameter command for an SSM Parameter Store SecureString.
 *
 * ```ts
 * const db = new SecretStore(stack, 'DbCredentials', {
 *   generateSecretString: { secretStringTemplate: JSON.stringify({ username: 'app' }), generateStringKey: 'password' },
 *   attachTo: database,
 *   hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser(),
 *   rotationInterval: Duration.days(30),
 * });
 * db.grantRead(appRole);
 * ```
 */
export class SecretStore extends Construct {
  /** The most a rotation interval can be, in days (Secrets Manager's limit). */
  public static readonly MAX_ROTATION_DAYS = 1000;

  /** Which service keeps the secret. */
  public readonly kind: SecretStoreKind;
  /** The key that encrypts the secret. */
  public readonly encryptionKey: kms.IKey;
  /** The Secrets Manager secret (attached to its database when `attachTo` is set), in Secrets Manager mode. */
  public readonly secret?: secretsmanager.ISecret;
  /** The rotation schedule, in Secrets Manager mode. */
  public readonly rotationSchedule?: secretsmanager.RotationSchedule;
  /** The parameter's name, in Parameter Store mode. */
  public readonly parameterName?: string;
  /** The parameter's ARN, in Parameter Store mode. */
  public readonly parameterArn?: string;
  /** The command that stores the SecureString value, in Parameter Store mode (also a stack output). */
  public readonly putParameterCommand?: string;

  constructor(scope: Construct, id: string, props: SecretStoreProps = {}) {
    super(scope, id);
    this.kind = props.kind ?? SecretStoreKind.SECRETS_MANAGER;
    const parameterStore = this.kind === SecretStoreKind.PARAMETER_STORE;

    const check = new PropsCheck(this, 'SecretStore');
    if (props.rotationInterval !== undefined) {
      const days = props.rotationInterval.toHours() / 24;
      check.require(Number.isInteger(days) && days >= 1 && days <= SecretStore.MAX_ROTATION_DAYS,
        `rotationInterval must be a whole number of days between 1 and ${SecretStore.MAX_ROTATION_DAYS}, got ${props.rotationInterval.toHumanString()}`);
    }
    check.require(!(props.hostedRotation && props.rotationFunction), 'set either hostedRotation or rotationFunction, not both');
    if (parameterStore) {
      check.require(props.secretName !== undefined && /^\/[a-zA-Z0-9_.\-/]{1,1010}$/.test(props.secretName),
        `a Parameter Store secret needs secretName, a path such as /app/api-token, got ${props.secretName ?? 'none'}`);
      const secretsManagerOnly: Array<[string, unknown]> = [
        ['hostedRotation', props.hostedRotation], ['rotationFunction', props.rotationFunction],
        ['rotationInterval', props.rotationInterval], ['attachTo', props.attachTo], ['generateSecretString', props.generateSecretString],
      ];
      for (const [name, value] of secretsManagerOnly) {
        check.require(value === undefined, `${name} needs Secrets Manager: Parameter Store neither rotates nor generates secrets (use kind SECRETS_MANAGER)`);
      }
    } else {
      check.require(props.hostedRotation !== undefined || props.rotationFunction !== undefined,
        'a Secrets Manager secret needs hostedRotation or rotationFunction: automatic rotation is what Secrets Manager is for (use kind PARAMETER_STORE for a secret that does not rotate)');
    }
    check.throwIfAny();

    this.encryptionKey = props.encryptionKey ?? createEncryptionKey(this, 'Key', {
      description: `Encrypts the secret ${props.secretName ?? this.node.path}`,
    });

    if (parameterStore) {
      const stack = Stack.of(this);
      const name = props.secretName!;
      this.parameterName = name;
      this.parameterArn = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.substring(1) });
      this.putParameterCommand = [
        'aws ssm put-parameter', `--region ${stack.region}`, `--name ${name}`, '--type SecureString',
        `--key-id ${this.encryptionKey.keyArn}`, '--value file://secret-value.txt', '--overwrite',
      ].join(' ');
      new CfnOutput(this, 'PutParameterCommand', {
        description: `CloudFormation cannot create SecureString parameters: run this once (value in secret-value.txt, then delete the file) to store ${name}`,
        value: this.putParameterCommand,
      });
      return;
    }

    const secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: props.secretName,
      description: props.description,
      encryptionKey: this.encryptionKey,
      generateSecretString: props.generateSecretString,
      // Kept on `cdk destroy` unless the stack is in sandbox mode (the `sandbox` context).
      removalPolicy: dataRemovalPolicy(this),
    });
    this.secret = props.attachTo ? secret.attach(props.attachTo) : secret;
    this.rotationSchedule = this.secret.addRotationSchedule('Rotation', {
      hostedRotation: props.hostedRotation,
      rotationLambda: props.rotationFunction,
      automaticallyAfter: props.rotationInterval ?? Duration.days(30),
    });
  }

  /** Lets `grantee` read the secret's value (and decrypt it with the key). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    if (this.secret) return this.secret.grantRead(grantee);
    this.encryptionKey.grantDecrypt(grantee);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ssm:GetParameter', 'ssm:GetParameters'],
      resourceArns: [this.parameterArn!],
    });
  }

  /** Lets `grantee` change the secret's value (and encrypt it with the key). */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    if (this.secret) return this.secret.grantWrite(grantee);
    this.encryptionKey.grantEncrypt(grantee);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ssm:PutParameter'],
      resourceArns: [this.parameterArn!],
    });
  }
}
