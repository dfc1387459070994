import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { createEncryptionKey } from './encryption-key';
import { dataRemovalPolicy } from './sandbox';

const LOGS_KEY_ID = 'DevOpsPatternsLogsKey';

/**
 * Props for {@link EncryptedLogGroup}.
 */
export interface EncryptedLogGroupProps {
  /**
   * The log group name. Services that write to a fixed name (`/aws/lambda/<fn>`,
   * `/aws/vendedlogs/...`) need it set.
   * @default - generated
   */
  readonly logGroupName?: string;
  /**
   * How long events are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly retention?: logs.RetentionDays;
  /**
   * The key that encrypts the log events.
   * @default - the stack's shared logs key (created on first use)
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A CloudWatch Logs log group encrypted with a customer managed KMS key and a retention, kept on
 * stack deletion unless in sandbox mode. CloudWatch Logs always encrypts; a customer managed key
 * adds control over who can read and an audit trail of decryption.
 */
export class EncryptedLogGroup extends Construct {
  /**
   * The stack's shared key for log groups, created on first use. Its policy lets CloudWatch
   * Logs in this account and region use it, only for log groups of this account.
   */
  public static logsKey(scope: IConstruct): kms.IKey {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(LOGS_KEY_ID) as kms.Key | undefined;
    if (existing) return existing;
    const key = createEncryptionKey(stack, LOGS_KEY_ID, { description: `Encrypts CloudWatch Logs log groups of ${stack.stackName}` });
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }));
    return key;
  }

  /** The log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EncryptedLogGroupProps = {}) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: props.logGroupName,
      retention: props.retention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.encryptionKey ?? EncryptedLogGroup.logsKey(this),
      removalPolicy: dataRemovalPolicy(this),
    });
  }
}
