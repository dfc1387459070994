/**
 * CICD-7 example: a blue/green pair of Elastic Beanstalk environments of one application, each
 * rolling out new versions with traffic splitting (15 % for 10 minutes). The database lives in
 * its own stack, outside both environments: they receive its endpoint and secret ARN, so either
 * environment can be rebuilt or swapped without touching the data. Swap with
 * `aws elasticbeanstalk swap-environment-cnames` (see the README).
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { BeanstalkDeploymentPolicy, BeanstalkEnvironment } from '../../lib';
import { env, ExampleConfig } from '../config';
import { deployTimeAzs, exampleVpc } from './ecs-blue-green-service';

/** Props for {@link BeanstalkEnvironmentStack}. */
export interface BeanstalkEnvironmentStackProps extends StackProps {
  /** The database endpoint, from the database's own stack. */
  readonly databaseHost: string;
  /** The complete ARN of the database secret, from the database's own stack. */
  readonly databaseSecretArn: string;
}

/** The CICD-7 example stack: one application, a blue and a green environment. */
export class BeanstalkEnvironmentStack extends Stack {
  public readonly blue: BeanstalkEnvironment;
  public readonly green: BeanstalkEnvironment;

  /** The first two AZs of the region, resolved at deployment: synth needs no credentials. */
  public get availabilityZones(): string[] {
    return deployTimeAzs();
  }

  constructor(scope: Construct, id: string, props: BeanstalkEnvironmentStackProps) {
    super(scope, id, props);
    const vpc = exampleVpc(this, 'Vpc');
    const databaseSecret = secretsmanager.Secret.fromSecretCompleteArn(this, 'DatabaseSecret', props.databaseSecretArn);
    const common = {
      vpc,
      deploymentPolicy: BeanstalkDeploymentPolicy.trafficSplitting({ newVersionPercent: 15, evaluationTimeMinutes: 10 }),
      environmentProperties: { DB_HOST: props.databaseHost, NODE_ENV: 'production' },
      databaseSecret,
    };
    this.blue = new BeanstalkEnvironment(this, 'Blue', { ...common, applicationName: 'cicd7-orders', environmentName: 'cicd7-orders-blue' });
    this.green = new BeanstalkEnvironment(this, 'Green', { ...common, applicationOf: this.blue, environmentName: 'cicd7-orders-green' });
  }
}

/** The CICD-7 example stacks. */
export interface BeanstalkEnvironmentExamples {
  readonly beanstalk: BeanstalkEnvironmentStack;
}

/**
 * Adds the CICD-7 example stack to `app`. The database endpoint and secret come from the
 * `cicd7DatabaseHost` and `cicd7DatabaseSecretArn` context (placeholders by default).
 */
export function addBeanstalkEnvironmentExamples(app: App, config: ExampleConfig): BeanstalkEnvironmentExamples {
  const context = (key: string, fallback: string) => (app.node.tryGetContext(key) as string | undefined) ?? fallback;
  const beanstalk = new BeanstalkEnvironmentStack(app, 'Cicd7-Beanstalk', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'CICD-7 BeanstalkEnvironment: blue/green Elastic Beanstalk environments with traffic-splitting deployments',
    databaseHost: context('cicd7DatabaseHost', `orders.cluster-example.${config.primaryRegion}.rds.amazonaws.com`),
    databaseSecretArn: context('cicd7DatabaseSecretArn',
      `arn:aws:secretsmanager:${config.primaryRegion}:${config.workloadAccount}:secret:cicd7/orders/db-AbCdEf`),
  });
  return { beanstalk };
}
