import { Names } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { EncryptedLogGroup } from '../core/log-group';

/**
 * A web ACL with the AWS managed common rule set, logging to an encrypted log group, for the
 * RES-6 entry points (not exported: a helper of `WeightedLoadBalancer` and `FailoverDistribution`).
 * A CLOUDFRONT-scope web ACL and its log group must be created in us-east-1
 * (docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html).
 *
 * @returns the web ACL's ARN
 */
export function createManagedWebAcl(scope: Construct, wafScope: 'REGIONAL' | 'CLOUDFRONT'): string {
  const name = Names.uniqueResourceName(scope, { maxLength: 100, separator: '-' });
  const acl = new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: wafScope,
    defaultAction: { allow: {} },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
    rules: [{
      name: 'aws-common',
      priority: 0,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${name}-common`, sampledRequestsEnabled: true },
    }],
  });
  // WAF log groups must be named aws-waf-logs-* (docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html).
  const group: logs.ILogGroup = new EncryptedLogGroup(scope, 'WafLogs', { logGroupName: `aws-waf-logs-${name}` }).logGroup;
  new wafv2.CfnLoggingConfiguration(scope, 'WafLogging', { resourceArn: acl.attrArn, logDestinationConfigs: [group.logGroupArn] });
  return acl.attrArn;
}
