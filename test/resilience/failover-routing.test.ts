import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  acknowledge, acknowledgeNotReplicated, EndpointHealthCheck, FailoverDistribution, FailoverRouting, ResilientNetwork, RoutedEndpoint, RoutingPolicy, SecureBucket, WeightedLoadBalancer,
} from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addFailoverRoutingExamples } from '../../examples/resilience/failover-routing';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';

const ENV = { account: '111111111111', region: 'us-east-1' };
const CERT_ARN = 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000';

function stack(app: App = new App({ context: cdkJsonContext() }), env = ENV): Stack {
  return new Stack(app, 'Routing', { env });
}

function zone(s: Stack): route53.IHostedZone {
  const existing = s.node.tryFindChild('Zone') as route53.IHostedZone | undefined;
  return existing ?? route53.HostedZone.fromHostedZoneAttributes(s, 'Zone', { hostedZoneId: 'Z0000000000000000000A', zoneName: 'example.com' });
}

const ips = (...a: string[]) => route53.RecordTarget.fromIpAddresses(...a);
const check: EndpointHealthCheck = { fqdn: 'a.example.net', path: '/health' };

function routing(s: Stack, endpoints: RoutedEndpoint[], extra: Partial<{ healthCheckAlarms: boolean }> = {}): FailoverRouting {
  return new FailoverRouting(s, 'Api', { zone: zone(s), recordName: 'api', endpoints, ...extra });
}

describe('RES-6 FailoverRouting example', () => {
  const app = exampleTestApp();
  const { failover } = addFailoverRoutingExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(failover);

  test('every service-to-service edge of the example stack is allowed by its policies (permission test)', async () => {
    const report = await expectPermissionsHold([failover]);
    expect(report.edgeKinds['CloudFront origin access control -> S3 bucket']).toBe(2);
    expect(report.edgeKinds['ALB access logs -> bucket']).toBe(1);
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(1);
  });

  test('www fails over from the load balancer (A and AAAA, with its health check) to CloudFront (EvaluateTargetHealth false, as Route 53 requires for a distribution)', () => {
    for (const type of ['A', 'AAAA']) {
      example.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'www.failover.example.com.', Type: type, Failover: 'PRIMARY', SetIdentifier: 'load-balancer',
        HealthCheckId: { Ref: Match.stringLikeRegexp('^WwwloadbalancerHealthCheck') },
        AliasTarget: Match.objectLike({ EvaluateTargetHealth: true }),
      });
      example.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'www.failover.example.com.', Type: type, Failover: 'SECONDARY', SetIdentifier: 'static-site',
        AliasTarget: Match.objectLike({ DNSName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SiteDistribution'), 'DomainName'] }, EvaluateTargetHealth: false }),
      });
    }
  });

  test('the health check requests the load balancer itself over HTTPS with SNI, and an alarm on HealthCheckStatus tells a person (us-east-1)', () => {
    example.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({
        Type: 'HTTPS', Port: 443, ResourcePath: '/health', EnableSNI: true, FailureThreshold: 3, RequestInterval: 30,
        FullyQualifiedDomainName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebLoadBalancer'), 'DNSName'] },
      }),
    });
    example.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Route53', MetricName: 'HealthCheckStatus', Statistic: 'Minimum', Threshold: 1, ComparisonOperator: 'LessThanThreshold',
      Dimensions: [{ Name: 'HealthCheckId', Value: { Ref: Match.stringLikeRegexp('^WwwloadbalancerHealthCheck') } }],
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^WwwNotificationsTopic') }],
    });
  });

  test('the load balancer is dual stack, HTTPS only, drops invalid headers, logs, keeps deletion protection, and sits behind a web ACL', () => {
    example.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      IpAddressType: 'dualstack', Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    example.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    example.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
    example.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: { Ref: Match.stringLikeRegexp('^WebLoadBalancer') } });
    example.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'REGIONAL' });
  });

  test('blue/green: the listener forwards 90 % to blue and 10 % to green', () => {
    example.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      DefaultActions: [{
        Type: 'forward',
        ForwardConfig: { TargetGroups: [
          { TargetGroupArn: { Ref: Match.stringLikeRegexp('^WebBlue') }, Weight: 90 },
          { TargetGroupArn: { Ref: Match.stringLikeRegexp('^WebGreen') }, Weight: 10 },
        ] },
      }],
    });
  });

  test('CloudFront fails over between the two buckets on 500, 502, 503, 504, with TLS 1.2 (2021), logs, IPv6 and a CLOUDFRONT web ACL', () => {
    example.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        OriginGroups: { Quantity: 1, Items: [Match.objectLike({
          FailoverCriteria: { StatusCodes: { Items: [500, 502, 503, 504], Quantity: 4 } },
          Members: { Quantity: 2, Items: [Match.anyValue(), Match.anyValue()] },
        })] },
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' }),
        Logging: Match.objectLike({ Bucket: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SiteLogsBucket'), 'RegionalDomainName'] } }),
        IPV6Enabled: true,
        WebACLId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SiteWebAcl'), 'Arn'] },
        Aliases: ['www.failover.example.com'],
      }),
    });
    example.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT' });
  });

  test('each origin bucket admits CloudFront for this distribution only (origin access control)', () => {
    const policies = example.findResources('AWS::S3::BucketPolicy', {
      Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject',
        Condition: { StringEquals: { 'AWS:SourceArn': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('^SiteDistribution') }])] }) } },
      })]) } },
    });
    expect(Object.keys(policies)).toHaveLength(2);
  });

  test('the CloudFront log bucket has ACLs enabled for the log delivery, and the ALB log bucket uses SSE-S3', () => {
    example.hasResourceProperties('AWS::S3::Bucket', { OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] } });
    const albLogs = Object.entries(example.findResources('AWS::S3::Bucket')).filter(([id]) => id.startsWith('WebAccessLogsBucket'));
    expect(albLogs.map(([, b]) => (b as { Properties: { BucketEncryption: unknown } }).Properties.BucketEncryption))
      .toEqual([{ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] }]);
  });
});

describe('RES-6 FailoverRouting construct', () => {
  test('weighted, latency, geolocation and multivalue records carry their routing fields and set identifiers', () => {
    const s = stack();
    new FailoverRouting(s, 'Weighted', { zone: zone(s), recordName: 'w', endpoints: [
      { id: 'blue', target: ips('192.0.2.1'), routing: RoutingPolicy.weighted(255) },
      { id: 'green', target: ips('192.0.2.2'), routing: RoutingPolicy.weighted(0) },
    ] });
    new FailoverRouting(s, 'Latency', { zone: zone(s), recordName: 'l', endpoints: [
      { id: 'eu', target: ips('192.0.2.3'), routing: RoutingPolicy.latency('eu-west-1'), healthCheck: { ipAddress: '192.0.2.3' } },
    ] });
    new FailoverRouting(s, 'Geo', { zone: zone(s), recordName: 'g', endpoints: [
      { id: 'europe', target: ips('192.0.2.4'), routing: RoutingPolicy.geolocation(route53.GeoLocation.continent(route53.Continent.EUROPE)) },
      { id: 'de', target: ips('192.0.2.5'), routing: RoutingPolicy.geolocation(route53.GeoLocation.country('DE')) },
      { id: 'other', target: ips('192.0.2.6'), routing: RoutingPolicy.geolocation(route53.GeoLocation.default()) },
    ] });
    new FailoverRouting(s, 'Multi', { zone: zone(s), recordName: 'm', endpoints: [
      { id: 'one', target: ips('192.0.2.7'), routing: RoutingPolicy.multivalue(), healthCheck: { ipAddress: '192.0.2.7' } },
      { id: 'two', target: ips('192.0.2.8'), routing: RoutingPolicy.multivalue(), healthCheck: { ipAddress: '192.0.2.8' } },
    ] });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'w.example.com.', SetIdentifier: 'blue', Weight: 255, TTL: '60' });
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'w.example.com.', SetIdentifier: 'green', Weight: 0 });
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'l.example.com.', SetIdentifier: 'eu', Region: 'eu-west-1', HealthCheckId: Match.anyValue() });
    t.hasResourceProperties('AWS::Route53::RecordSet', { SetIdentifier: 'europe', GeoLocation: { ContinentCode: 'EU' } });
    t.hasResourceProperties('AWS::Route53::RecordSet', { SetIdentifier: 'de', GeoLocation: { CountryCode: 'DE' } });
    t.hasResourceProperties('AWS::Route53::RecordSet', { SetIdentifier: 'other', GeoLocation: { CountryCode: '*' } });
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'm.example.com.', SetIdentifier: 'one', MultiValueAnswer: true, HealthCheckId: Match.anyValue() });
  });

  test('in a stack outside us-east-1, health checks get no alarm and no topic by default (their metrics exist only in us-east-1)', () => {
    const s = stack(undefined, { account: '111111111111', region: 'eu-west-1' });
    routing(s, [
      { id: 'p', target: ips('192.0.2.1'), routing: RoutingPolicy.failoverPrimary(), healthCheck: check },
      { id: 's', target: ips('192.0.2.2'), routing: RoutingPolicy.failoverSecondary() },
    ]);
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::Route53::HealthCheck', 1);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    t.resourceCountIs('AWS::SNS::Topic', 0);
  });

  test('health check settings pass through: 10-second interval, failure threshold, three checker regions', () => {
    const s = stack();
    routing(s, [{ id: 'p', target: ips('192.0.2.1'), routing: RoutingPolicy.failoverPrimary(),
      healthCheck: { ipAddress: '192.0.2.1', port: 8443, requestInterval: Duration.seconds(10), failureThreshold: 2, regions: ['us-east-1', 'eu-west-1', 'ap-southeast-1'] } }]);
    Template.fromStack(s).hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({ IPAddress: '192.0.2.1', Port: 8443, RequestInterval: 10, FailureThreshold: 2, Regions: ['us-east-1', 'eu-west-1', 'ap-southeast-1'] }),
    });
  });

  test('WeightedLoadBalancer sends everything to blue by default', () => {
    const s = stack();
    const vpc = new ec2.Vpc(s, 'Vpc', { ipProtocol: ec2.IpProtocol.DUAL_STACK, maxAzs: 2, natGateways: 0 });
    new WeightedLoadBalancer(s, 'Web', { vpc, certificate: acm.Certificate.fromCertificateArn(s, 'Cert', CERT_ARN), webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/x/00000000-0000-0000-0000-000000000000' });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [Match.objectLike({ Weight: 100 }), Match.objectLike({ Weight: 0 })] } }] });
    t.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });

  test('passes the checks and the permission test on its own (all three constructs, us-east-1)', async () => {
    const a = checkedApp();
    const s = stack(a);
    s.node.setContext('availability-zones:account=111111111111:region=us-east-1', ['us-east-1a', 'us-east-1b']);
    const z = new route53.PublicHostedZone(s, 'Zone', { zoneName: 'example.com' });
    const network = new ResilientNetwork(s, 'Network', { availabilityZones: ['us-east-1a', 'us-east-1b'], dualStack: true });
    const certificate = acm.Certificate.fromCertificateArn(s, 'Cert', CERT_ARN);
    const lb = new WeightedLoadBalancer(s, 'Web', { vpc: network.vpc, certificate, greenTrafficPercent: 50 });
    const buckets = ['One', 'Two'].map((n) => {
      const secure = new SecureBucket(s, n);
      // The test's own buckets, as in the example: each other's copy, and aws-cdk-lib's OAC key grant.
      acknowledgeNotReplicated(secure.bucket, 'The two origin buckets of this test are each other\'s copy behind the origin group.');
      acknowledge(secure, 'Annotation::@aws-cdk/aws-cloudfront-origins:wildcardKeyPolicyForOac', 'The key admits CloudFront of this account only, to decrypt; the one distribution cannot be named without a dependency cycle.');
      return secure.bucket;
    });
    const site = new FailoverDistribution(s, 'Site', { origins: buckets, domainNames: ['www.example.com'], certificate, fallbackStatusCodes: [403, 404, 500, 503] });
    new FailoverRouting(s, 'Www', { zone: z, recordName: 'www', endpoints: [
      { id: 'lb', target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(lb.loadBalancer)),
        routing: RoutingPolicy.weighted(200), healthCheck: { fqdn: lb.loadBalancer.loadBalancerDnsName }, ipv6: true },
      { id: 'cdn', target: route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(site.distribution)),
        routing: RoutingPolicy.weighted(55), ipv6: true },
    ] });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['CloudFront origin access control -> S3 bucket']).toBe(2);
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(1);
  });
});

describe('RES-6 FailoverRouting refusals', () => {
  const refused = (endpoints: RoutedEndpoint[], message: string, extra: Partial<{ healthCheckAlarms: boolean }> = {}, env = ENV) =>
    expect(() => routing(stack(undefined, env), endpoints, extra)).toThrow(`Routing/Api: invalid FailoverRouting props (1 problem):\n  - ${message}`);

  test('refuses a failover primary without a health check', () => {
    refused([
      { id: 'p', target: ips('192.0.2.1'), routing: RoutingPolicy.failoverPrimary() },
      { id: 's', target: ips('192.0.2.2'), routing: RoutingPolicy.failoverSecondary() },
    ], 'the failover primary "p" needs a healthCheck: without one Route 53 considers it always healthy and never fails over');
  });

  test('refuses weights that are all zero', () => {
    refused([
      { id: 'blue', target: ips('192.0.2.1'), routing: RoutingPolicy.weighted(0) },
      { id: 'green', target: ips('192.0.2.2'), routing: RoutingPolicy.weighted(0) },
    ], 'the weights are all zero (blue, green): give the endpoint that should take traffic a weight above 0 (with all weights 0 Route 53 answers with every record equally, which is no choice at all)');
  });

  test('refuses a weight outside 0-255', () => {
    refused([{ id: 'blue', target: ips('192.0.2.1'), routing: RoutingPolicy.weighted(256) }], 'the weight of "blue" must be a whole number from 0 to 255, got 256');
  });

  test('refuses two primaries', () => {
    refused([
      { id: 'p1', target: ips('192.0.2.1'), routing: RoutingPolicy.failoverPrimary(), healthCheck: check },
      { id: 'p2', target: ips('192.0.2.2'), routing: RoutingPolicy.failoverPrimary(), healthCheck: check },
    ], 'failover takes exactly one primary and at most one secondary, got 2 primary and 0 secondary');
  });

  test('refuses mixed routing policies on one name', () => {
    refused([
      { id: 'a', target: ips('192.0.2.1'), routing: RoutingPolicy.weighted(1) },
      { id: 'b', target: ips('192.0.2.2'), routing: RoutingPolicy.latency('eu-west-1') },
    ], 'all endpoints of one name must use one kind of routing policy (failover primary and secondary count as one), got WEIGHTED, LATENCY');
  });

  test('refuses repeated endpoint ids', () => {
    refused([
      { id: 'a', target: ips('192.0.2.1'), routing: RoutingPolicy.weighted(1) },
      { id: 'a', target: ips('192.0.2.2'), routing: RoutingPolicy.weighted(1) },
    ], 'endpoint ids must be unique (they are the records\' set identifiers), repeated: a');
  });

  test('refuses a multivalue alias', () => {
    const s = stack();
    const target = route53.RecordTarget.fromAlias({ bind: () => ({ dnsName: 'x.example.net', hostedZoneId: 'Z1' }) });
    expect(() => routing(s, [{ id: 'm', target, routing: RoutingPolicy.multivalue() }]))
      .toThrow('the multivalue endpoint "m" must point at IP addresses: multivalue answer records cannot be aliases');
  });

  test('refuses ipv6 on IP address targets', () => {
    refused([{ id: 'a', target: ips('192.0.2.1'), routing: RoutingPolicy.weighted(1), ipv6: true }], 'ipv6 on "a" needs an alias target (an AAAA record with IPv4 addresses would be refused)');
  });

  test('refuses health check limits: failure threshold, interval, fewer than 3 regions, unknown region, fqdn and ipAddress', () => {
    expect(() => routing(stack(), [{ id: 'p', target: ips('192.0.2.1'), routing: RoutingPolicy.failoverPrimary(),
      healthCheck: { fqdn: 'a.example.net', ipAddress: '192.0.2.1', failureThreshold: 11, requestInterval: Duration.seconds(20), regions: ['us-east-1', 'eu-central-1'] } }]))
      .toThrow('Routing/Api: invalid FailoverRouting props (5 problems):\n'
        + '  - the health check of "p" needs exactly one of fqdn and ipAddress\n'
        + '  - the health check failureThreshold of "p" must be a whole number from 1 to 10, got 11\n'
        + '  - the health check requestInterval of "p" must be 10 or 30 seconds, got 20\n'
        + '  - the health check of "p" must run from at least 3 regions (or leave regions out for all), got 2\n'
        + '  - the health check regions of "p" must be among us-east-1, us-west-1, us-west-2, eu-west-1, ap-southeast-1, ap-southeast-2, ap-northeast-1, sa-east-1, got eu-central-1');
  });

  test('refuses health check alarms in a stack outside us-east-1', () => {
    refused([{ id: 'p', target: ips('192.0.2.1'), routing: RoutingPolicy.failoverPrimary(), healthCheck: check }],
      'healthCheckAlarms needs a stack in us-east-1: Route 53 publishes health check metrics only there, so an alarm in eu-west-1 would never fire (put the FailoverRouting, or a second one for the alarms, in a us-east-1 stack)',
      { healthCheckAlarms: true }, { account: '111111111111', region: 'eu-west-1' });
  });
});

describe('RES-6 WeightedLoadBalancer and FailoverDistribution refusals', () => {
  const certificate = (s: Stack, arn = CERT_ARN) => acm.Certificate.fromCertificateArn(s, 'Cert', arn);
  const bucket = (s: Stack, n: string) => s3.Bucket.fromBucketName(s, n, `bucket-${n.toLowerCase()}`);

  test('refuses a green share outside 0-100', () => {
    const s = stack();
    const vpc = ec2.Vpc.fromVpcAttributes(s, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['us-east-1a'], publicSubnetIds: ['subnet-1'] });
    expect(() => new WeightedLoadBalancer(s, 'Web', { vpc, certificate: certificate(s), greenTrafficPercent: 120 }))
      .toThrow('Routing/Web: invalid WeightedLoadBalancer props (1 problem):\n  - greenTrafficPercent must be a whole number from 0 to 100, got 120');
  });

  test('refuses an origin group with one origin', () => {
    const s = stack();
    expect(() => new FailoverDistribution(s, 'Site', { origins: [bucket(s, 'One')], domainNames: ['www.example.com'], certificate: certificate(s) }))
      .toThrow('Routing/Site: invalid FailoverDistribution props (1 problem):\n  - origins must name exactly two buckets, the primary and the one to fail over to (an origin group holds two origins), got 1');
  });

  test('refuses fallback status codes CloudFront does not fail over on', () => {
    const s = stack();
    expect(() => new FailoverDistribution(s, 'Site', { origins: [bucket(s, 'One'), bucket(s, 'Two')], domainNames: ['www.example.com'], certificate: certificate(s), fallbackStatusCodes: [500, 429] }))
      .toThrow('Routing/Site: invalid FailoverDistribution props (1 problem):\n  - fallbackStatusCodes must be among 400, 403, 404, 416, 500, 502, 503, 504 (the codes CloudFront fails over on), got 429');
  });

  test('refuses a certificate outside us-east-1 and, outside us-east-1, a missing web ACL', () => {
    const s = stack(undefined, { account: '111111111111', region: 'eu-west-1' });
    expect(() => new FailoverDistribution(s, 'Site', {
      origins: [bucket(s, 'One'), bucket(s, 'Two')], domainNames: ['www.example.com'],
      certificate: certificate(s, 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000'),
    })).toThrow('Routing/Site: invalid FailoverDistribution props (2 problems):\n'
      + '  - the certificate must be in us-east-1 (CloudFront uses certificates from there only), it is in eu-west-1\n'
      + '  - without webAclArn this construct creates a CLOUDFRONT web ACL, which exists only in us-east-1: put the stack in us-east-1 or pass the ARN of a web ACL made there');
  });
});
