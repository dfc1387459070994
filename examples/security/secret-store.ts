/**
 * SEC-3 example: in the workload account, database credentials in Secrets Manager with hosted
 * rotation every 30 days, and an API token in Parameter Store as a SecureString, both readable
 * by the application's role.
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SecretStore, SecretStoreKind, ServiceRole } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The workload account's secrets. */
export class SecretStoreStack extends Stack {
  public readonly databaseCredentials: SecretStore;
  public readonly apiToken: SecretStore;
  public readonly appRole: ServiceRole;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    // The application's existing PostgreSQL instance.
    const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(this, 'OrdersDatabase', {
      instanceIdentifier: 'orders',
      instanceEndpointAddress: `orders.cluster.${this.region}.rds.amazonaws.com`,
      port: 5432,
      securityGroups: [],
    });
    this.databaseCredentials = new SecretStore(this, 'OrdersDbCredentials', {
      description: 'Credentials of the orders application for its PostgreSQL database',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'orders_app' }),
        generateStringKey: 'password',
        excludePunctuation: true,
      },
      attachTo: database,
      hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser(),
      rotationInterval: Duration.days(30),
    });
    this.apiToken = new SecretStore(this, 'PaymentsApiToken', {
      kind: SecretStoreKind.PARAMETER_STORE,
      secretName: '/orders/payments-api-token',
    });
    this.appRole = new ServiceRole(this, 'OrdersAppRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'The orders application (ECS task role)',
    });
    this.databaseCredentials.grantRead(this.appRole);
    this.apiToken.grantRead(this.appRole);
  }
}

/** Adds the SEC-3 example stack to `app`. */
export function addSecretStoreExamples(app: App, config: ExampleConfig): { workload: SecretStoreStack } {
  const workload = new SecretStoreStack(app, 'Sec3-Workload-SecretStore', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'SEC-3 SecretStore: rotated database credentials in Secrets Manager and a SecureString API token (workload account)',
  });
  return { workload };
}
