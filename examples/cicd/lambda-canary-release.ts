/**
 * CICD-5 example: a small API function released through a 10 % canary for 10 minutes, with a
 * pre-traffic hook that invokes the new version before any caller does, and one more alarm of
 * the team's own (a custom metric) next to the construct's alias alarms.
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { acknowledge, addAlarmNotification, EncryptedLogGroup, LambdaCanaryRelease, ServiceRole, TrafficShift } from '../../lib';
import { env, ExampleConfig } from '../config';

const API_CODE = `
exports.handler = async (event) => ({
  statusCode: 200,
  body: JSON.stringify({ message: 'hello', version: process.env.AWS_LAMBDA_FUNCTION_VERSION }),
});
`;

// Invokes the new version once and reports the result to CodeDeploy. The Node.js runtime ships
// the AWS SDK for JavaScript v3, so no bundling is needed.
const HOOK_CODE = `
const { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } = require('@aws-sdk/client-codedeploy');
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
exports.handler = async (event) => {
  let status = 'Succeeded';
  try {
    const out = await new LambdaClient({}).send(new InvokeCommand({ FunctionName: process.env.TARGET_VERSION_ARN }));
    if (out.FunctionError) status = 'Failed';
  } catch (e) {
    console.error(e);
    status = 'Failed';
  }
  await new CodeDeployClient({}).send(new PutLifecycleEventHookExecutionStatusCommand({
    deploymentId: event.DeploymentId, lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId, status,
  }));
  return status;
};
`;

/** A function of the example, with the library's defaults for logs, role and tracing. */
export function exampleFunction(scope: Construct, id: string, description: string, code: string): lambda.Function {
  const role = new ServiceRole(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
  const logGroup = new EncryptedLogGroup(scope, `${id}Logs`).logGroup;
  logGroup.grantWrite(role);
  const fn = new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_LATEST,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromInline(code),
    description,
    timeout: Duration.seconds(10),
    memorySize: 256,
    role,
    logGroup,
    tracing: lambda.Tracing.ACTIVE,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }));
  role.acknowledgeOnGrants('AwsSolutions-IAM5[Resource::*]',
    'X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions, so their statement must name every resource.');
  const resource = fn.node.defaultChild!;
  acknowledge(resource, 'NIST.800.53.R5-LambdaInsideVPC',
    'This example function reaches no resource inside a VPC, so a VPC would add NAT cost and failure modes without narrowing its access.');
  acknowledge(resource, 'NIST.800.53.R5-LambdaConcurrency',
    'This example reserves no concurrency so that it deploys in accounts with a low Lambda concurrency quota, such as new accounts, where Lambda refuses any reservation that leaves fewer than 100 unreserved concurrent executions; an application with room in its account sets reservedConcurrentExecutions.');
  acknowledge(resource, 'NIST.800.53.R5-LambdaDLQ',
    'This function is only invoked synchronously (by callers of the alias or by CodeDeploy), so a failure returns to the caller; a dead-letter queue only receives failed asynchronous invocations.');
  return fn;
}

/** The CICD-5 example stack. */
export class LambdaCanaryReleaseStack extends Stack {
  public readonly release: LambdaCanaryRelease;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const api = exampleFunction(this, 'Api', 'CICD-5 example API released by CodeDeploy', API_CODE);
    const hook = exampleFunction(this, 'PreTrafficHook', 'CICD-5 pre-traffic test of the new API version', HOOK_CODE);
    hook.addEnvironment('TARGET_VERSION_ARN', api.currentVersion.functionArn);
    api.currentVersion.grantInvoke(hook);

    // The team's own signal: a business metric the API publishes, which must not drop during a release.
    const failedOrders = new cloudwatch.Metric({
      namespace: 'Example/Orders', metricName: 'FailedOrders', statistic: 'Sum', period: Duration.minutes(1),
    }).createAlarm(this, 'FailedOrdersAlarm', {
      alarmDescription: 'Orders fail while the API is being released.',
      threshold: 5,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.release = new LambdaCanaryRelease(this, 'Release', {
      function: api,
      trafficShift: TrafficShift.canary10Percent10Minutes(),
      preTrafficHook: hook,
    });
    this.release.addAlarm(failedOrders);
    addAlarmNotification(failedOrders, this.release.notificationTopic);
  }
}

/** The CICD-5 example stacks. */
export interface LambdaCanaryReleaseExamples {
  readonly canary: LambdaCanaryReleaseStack;
}

/** Adds the CICD-5 example stack to `app`. */
export function addLambdaCanaryReleaseExamples(app: App, config: ExampleConfig): LambdaCanaryReleaseExamples {
  const canary = new LambdaCanaryReleaseStack(app, 'Cicd5-LambdaCanary', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'CICD-5 LambdaCanaryRelease: Lambda alias released by CodeDeploy with a canary and alarm rollback',
  });
  return { canary };
}
