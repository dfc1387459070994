/**
 * OBS-6 example: in the workload account, a small REST API (a mock integration behind IAM
 * authorization, with a request validator) deployed to one cached, logged and alarmed stage.
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { acknowledge, ApiCacheSize, ApiObservability, EncryptedLogGroup } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The API stack. */
export class ApiObservabilityStack extends Stack {
  /** The API, defined here and deployed by {@link ApiObservability}. */
  public readonly api: apigateway.RestApi;
  public readonly observability: ApiObservability;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    // deploy: false, so the observed stage is the API's only stage; cloudWatchRole: false,
    // because ApiObservability sets the account's CloudWatch role.
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: 'obs6-status-api',
      description: 'OBS-6 example: a status endpoint answered by a mock integration',
      deploy: false,
      cloudWatchRole: false,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
    });
    const validator = this.api.addRequestValidator('Validator', { validateRequestParameters: true, validateRequestBody: true });
    const status = this.api.root.addResource('status');
    status.addMethod('GET', new apigateway.MockIntegration({
      requestTemplates: { 'application/json': '{"statusCode": 200}' },
      integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"status": "ok"}' } }],
    }), {
      authorizationType: apigateway.AuthorizationType.IAM,
      requestValidator: validator,
      methodResponses: [{ statusCode: '200' }],
    });
    // Callers are AWS principals signing with SigV4: IAM authorization, no Cognito user pool.
    acknowledge(status.node.findChild('GET').node.defaultChild!, 'AwsSolutions-COG4',
      'The status endpoint is called by AWS principals that sign with SigV4 (IAM authorization, which satisfies AwsSolutions-APIG4); there are no end users to sign in through a Cognito user pool.');
    // AWS managed rules in front of the stage, with WAF logs to an encrypted log group.
    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'obs6-web-acl', sampledRequestsEnabled: true },
      rules: [{
        name: 'aws-common',
        priority: 0,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' } },
        visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'obs6-aws-common', sampledRequestsEnabled: true },
      }],
    });
    const wafLogs = new EncryptedLogGroup(this, 'WafLogs', { logGroupName: `aws-waf-logs-${this.stackName}` }).logGroup;
    new wafv2.CfnLoggingConfiguration(this, 'WafLogging', { resourceArn: webAcl.attrArn, logDestinationConfigs: [wafLogs.logGroupArn] });

    this.observability = new ApiObservability(this, 'Observed', {
      restApi: this.api,
      webAclArn: webAcl.attrArn,
      stageName: 'prod',
      cacheTtl: Duration.minutes(10),
      cacheSize: ApiCacheSize.GB_0_5,
    });
  }
}

/** The OBS-6 example stacks. */
export interface ApiObservabilityExamples {
  readonly api: ApiObservabilityStack;
}

/** Adds the OBS-6 example stack to `app`, in the workload account. */
export function addApiObservabilityExamples(app: App, config: ExampleConfig): ApiObservabilityExamples {
  const api = new ApiObservabilityStack(app, 'Obs6-Api', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'OBS-6 ApiObservability: a REST API stage with an encrypted cache, JSON access logs, error-rate and latency alarms and a 403 count from the access logs (workload account)',
  });
  return { api };
}
