/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation templates are untyped JSON; the check walks them as such. */
/**
 * The service-to-service edges of a deployed assembly: every place where an AWS service, or a
 * role a service assumes, acts on a resource on the user's behalf. Each edge becomes one or more
 * requests (principal, action, resource, the context the service sends), which the evaluator
 * judges against the policies of the assembly.
 *
 * Service behaviour each request models, with the document it comes from:
 * - SNS -> SQS subscribers and subscription dead-letter queues: sns.amazonaws.com sends with the
 *   topic as aws:SourceArn (docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html,
 *   .../sns-configure-dead-letter-queue.html) and encrypts for SSE-KMS queues with the same context.
 * - alarm -> SNS: cloudwatch.amazonaws.com publishes, with aws:SourceArn (the alarm) and
 *   aws:SourceAccount; on an encrypted topic it needs kms:GenerateDataKey* and kms:Decrypt
 *   (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 * - EventBridge targets: resource policy for SNS/SQS/Lambda/logs, a role for the rest
 *   (docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
 * - CloudTrail -> S3/KMS/Logs (docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html,
 *   .../create-kms-key-policy-for-cloudtrail.html, .../send-cloudtrail-events-to-cloudwatch-logs.html).
 * - AWS Config -> S3/KMS/SNS (docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html).
 * - S3 server access logs: logging.s3.amazonaws.com, SSE-S3 targets only
 *   (docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html), to simple
 *   or date-partitioned keys (docs.aws.amazon.com/AmazonS3/latest/API/API_PartitionedPrefix.html).
 * - ALB access logs: the region's ELB account or logdelivery.elasticloadbalancing.amazonaws.com, SSE-S3 only
 *   (docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
 * - VPC flow logs -> CloudWatch Logs through a role trusted by vpc-flow-logs.amazonaws.com
 *   (docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
 * - API Gateway access and execution logs -> CloudWatch Logs through the account's CloudWatch role
 *   (AWS::ApiGateway::Account, one per account and region), trusted by apigateway.amazonaws.com
 *   (docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html#set-up-access-logging-permissions).
 * - CloudWatch Logs encryption: logs.<region>.amazonaws.com with the aws:logs:arn encryption context
 *   (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 * - S3 replication role (docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html,
 *   .../replication-config-for-kms-objects.html).
 * - CodePipeline / CodeBuild / CodeDeploy roles on artifact stores and keys
 *   (docs.aws.amazon.com/codepipeline/latest/userguide/security-iam.html).
 * - Step Functions SendCommand on the instances of an Auto Scaling group whose lifecycle actions
 *   start the workflow: the instances carry the aws:autoscaling:groupName tag
 *   (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html).
 * - Systems Manager maintenance window tasks and Automation runbooks: ssm.amazonaws.com assumes the
 *   task's or the runbook's role, which then sends commands and acts on EC2
 *   (docs.aws.amazon.com/systems-manager/latest/userguide/configuring-maintenance-window-permissions-cli.html,
 *   .../automation-setup-iam.html, .../automation-actions.html).
 * - Amazon Q Developer in chat applications (chatbot.amazonaws.com) assumes a channel's role
 *   (docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-iam-policies.html); SNS delivers to the
 *   channel over HTTPS and decrypts an SSE-KMS topic itself, so the channel needs no key access
 *   (docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html).
 * - EventBridge Pipes: the pipe's role reads the source and calls the target
 *   (docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html).
 * - Kinesis Data Streams for DynamoDB: DynamoDB's service-linked role writes item changes to the
 *   stream and encrypts with its key (docs.aws.amazon.com/amazondynamodb/latest/developerguide/kds_iam.html).
 * - CloudWatch agent configured by State Manager from Parameter Store: the agent on each target
 *   instance calls with the instance role
 *   (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/create-iam-roles-for-cloudwatch-agent.html).
 * - CloudFront origin access control -> S3 (and the bucket's KMS key): cloudfront.amazonaws.com
 *   reads objects with the distribution as AWS:SourceArn, and for SSE-KMS objects needs kms:Decrypt
 *   on the bucket's key (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html).
 * - RDS event subscriptions -> SNS: events.rds.amazonaws.com publishes with the RDS resource the
 *   event is about as aws:SourceArn and its account as aws:SourceAccount
 *   (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.GrantingPermissions.html), and
 *   encrypts for an SSE-KMS topic (it is in the list of
 *   docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 * - RDS enhanced monitoring assumes the instance's monitoring role as monitoring.rds.amazonaws.com
 *   (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html).
 * - EventBridge Scheduler's ECS target: RunTask in the target cluster and PassRole for the task's
 *   roles, as the schedule's role (docs.aws.amazon.com/AmazonECS/latest/developerguide/CWE_IAM_role.html).
 * - Amazon EKS: EKS assumes the cluster role with sts:AssumeRole and sts:TagSession
 *   (docs.aws.amazon.com/eks/latest/userguide/cluster-iam-role.html, .../auto-cluster-iam-role.html)
 *   and uses it for envelope encryption of secrets (kms:Encrypt, kms:Decrypt, kms:DescribeKey, and
 *   kms:CreateGrant for the control plane's grant: .../enable-kms.html); EC2 assumes the node role
 *   of managed node groups and Auto Mode nodes (.../create-node-role.html, .../auto-create-node-role.html);
 *   EKS Pod Identity assumes a pod's role as pods.eks.amazonaws.com with sts:AssumeRole and
 *   sts:TagSession, sending the cluster as aws:SourceArn and its account as aws:SourceAccount
 *   (.../pod-id-role.html).
 * - Service Catalog launch constraints: servicecatalog.amazonaws.com assumes the launch role and
 *   runs the provisioned product's stack (SC-<account>-pp-<id>) with it
 *   (docs.aws.amazon.com/servicecatalog/latest/adminguide/constraints-launch.html,
 *   .../getstarted-launchconstraint.html).
 */
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { DeployedAssembly, DeployedResource } from './model';
import { asArray, parseArn, PolicyIndex } from './policies';

/** One request a service makes for an edge. */
export interface EdgeRequest {
  /** A service principal (`events.amazonaws.com`) or a role ARN. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Request context beyond what the evaluator adds for every request. */
  readonly context?: Record<string, string | string[]>;
}

/** A service-to-service edge of the assembly. */
export interface Edge {
  /** What kind of edge (`alarm -> SNS topic`), for counting and messages. */
  readonly kind: string;
  /** The resource whose service acts, for messages. */
  readonly from: DeployedResource;
  /** What it acts on, for messages. */
  readonly to: string;
  readonly requests: EdgeRequest[];
}

/** A structural fact the service needs and no policy can grant (SSE-S3 only targets, name prefixes). */
export interface StructuralProblem {
  readonly kind: string;
  readonly from: DeployedResource;
  readonly message: string;
}

/** The organization the assembly's accounts belong to, for organization-wide edges. */
export interface OrganizationContext {
  readonly organizationId: string;
  /** A member account to stand for "any account of the organization" (organization trails, StackSets). */
  readonly memberAccount: string;
}

/** Finds every edge of the assembly. */
export function findEdges(assembly: DeployedAssembly, policies: PolicyIndex, organization?: OrganizationContext): { edges: Edge[]; structural: StructuralProblem[]; uncovered: string[] } {
  const edges: Edge[] = [];
  const structural: StructuralProblem[] = [];
  const uncovered: string[] = [];
  const ctx: Finder = { assembly, policies, edges, structural, uncovered, organization };
  alarms(ctx);
  rules(ctx);
  bucketNotifications(ctx);
  subscriptions(ctx);
  logSubscriptions(ctx);
  firehoseDeliveries(ctx);
  trails(ctx);
  configDelivery(ctx);
  accessLogs(ctx);
  loadBalancerLogs(ctx);
  flowLogs(ctx);
  apiGatewayLogs(ctx);
  logGroupKeys(ctx);
  replication(ctx);
  pipelines(ctx);
  functions(ctx);
  stateMachines(ctx);
  profilingGroups(ctx);
  buildProjects(ctx);
  containerLogs(ctx);
  deploymentAlarms(ctx);
  wafLogs(ctx);
  cloudFrontOrigins(ctx);
  schedules(ctx);
  lifecyclePolicies(ctx);
  configDriftRules(ctx);
  eventPipes(ctx);
  dynamoDbChangeCapture(ctx);
  cloudWatchAgents(ctx);
  maintenanceWindowTasks(ctx);
  automationRunbooks(ctx);
  rdsEventSubscriptions(ctx);
  roleTrusts(ctx);
  eksClusters(ctx);
  launchConstraints(ctx);
  return { edges, structural, uncovered };
}

interface Finder {
  assembly: DeployedAssembly;
  policies: PolicyIndex;
  edges: Edge[];
  structural: StructuralProblem[];
  uncovered: string[];
  organization?: OrganizationContext;
}

const source = (from: DeployedResource) => ({ 'aws:SourceAccount': from.stack.account, 'aws:SourceArn': from.arn ?? from.ref });

/** kms requests an encrypting publisher makes to an SSE-KMS topic or queue. */
function envelopeKeyRequests(f: Finder, principal: string, keyReference: string | undefined, account: string, region: string, context: Record<string, string> = {}): EdgeRequest[] {
  if (!keyReference) return [];
  const key = f.policies.keyOf(keyReference, account, region);
  const keyArn = key?.arn ?? (keyReference.startsWith('arn:') ? keyReference : `arn:aws:kms:${region}:${account}:${keyReference.startsWith('alias/') ? keyReference : `key/${keyReference}`}`);
  return ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({ principal, action, resource: keyArn, context }));
}

/** The requests of a service principal publishing to a topic (topic policy, then its key). */
function publishToTopic(f: Finder, principal: string, topicArn: string, context: Record<string, string>): EdgeRequest[] {
  const topic = f.assembly.findByArn(topicArn, 'AWS::SNS::Topic');
  const requests: EdgeRequest[] = [{ principal, action: 'sns:Publish', resource: topicArn, context }];
  if (topic) requests.push(...envelopeKeyRequests(f, principal, topic.properties.KmsMasterKeyId, topic.stack.account, topic.stack.region, { 'kms:EncryptionContext:aws:sns:topicArn': topicArn }));
  return requests;
}

/**
 * The requests of a service principal sending to a queue (queue policy, then its key). With
 * `sourceOnKey`, the key requests carry the sender's aws:SourceArn and aws:SourceAccount too: SNS
 * does so when it encrypts for an SSE-KMS queue, which is why aws-cdk-lib's SqsSubscription
 * conditions its key statement on the topic's aws:SourceArn (feature flag
 * @aws-cdk/aws-sns-subscriptions:restrictSqsDescryption, aws/aws-cdk#20521, verified there by a
 * deployed integration test).
 */
function sendToQueue(f: Finder, principal: string, queueArn: string, context: Record<string, string>, sourceOnKey = false): EdgeRequest[] {
  const queue = f.assembly.findByArn(queueArn, 'AWS::SQS::Queue');
  const requests: EdgeRequest[] = [{ principal, action: 'sqs:SendMessage', resource: queueArn, context }];
  const keyContext = { 'kms:EncryptionContext:aws:sqs:arn': queueArn, ...(sourceOnKey ? context : {}) };
  if (queue) requests.push(...envelopeKeyRequests(f, principal, queue.properties.KmsMasterKeyId, queue.stack.account, queue.stack.region, keyContext));
  return requests;
}

/** A service delivering through a role: the service assumes it, then the role acts. */
function throughRole(service: string, roleArn: string, assumeContext: Record<string, string>, acts: Array<{ action: string; resource: string; context?: Record<string, string | string[]> }>): EdgeRequest[] {
  return [
    { principal: service, action: 'sts:AssumeRole', resource: roleArn, context: assumeContext },
    ...acts.map((a) => ({ principal: roleArn, ...a })),
  ];
}

function alarms(f: Finder): void {
  for (const alarm of f.assembly.resourcesOfType('AWS::CloudWatch::Alarm')) {
    for (const key of ['AlarmActions', 'OKActions', 'InsufficientDataActions']) {
      for (const action of asArray<string>(alarm.properties[key])) {
        const arn = parseArn(action);
        if (arn?.service === 'sns') {
          f.edges.push({ kind: 'alarm -> SNS topic', from: alarm, to: action, requests: publishToTopic(f, 'cloudwatch.amazonaws.com', action, source(alarm)) });
        } else if (arn?.service === 'automate' || arn?.service === 'swf' || arn?.service === 'autoscaling' || arn?.service === 'ssm-incidents') {
          // EC2 and Auto Scaling actions are run by CloudWatch with its service-linked role.
        } else {
          f.uncovered.push(`${alarm.label}: alarm action ${action}`);
        }
      }
    }
  }
}

function rules(f: Finder): void {
  for (const rule of f.assembly.resourcesOfType('AWS::Events::Rule')) {
    for (const target of asArray<any>(rule.properties.Targets)) {
      const arn = String(target.Arn);
      const parsed = parseArn(arn);
      const ctx = source(rule);
      const to = `${arn} (target ${target.Id})`;
      let requests: EdgeRequest[] | undefined;
      if (target.RoleArn) {
        const act = ({
          states: 'states:StartExecution', codebuild: 'codebuild:StartBuild', codepipeline: 'codepipeline:StartPipelineExecution',
          events: 'events:PutEvents', kinesis: 'kinesis:PutRecord', firehose: 'firehose:PutRecordBatch', ecs: 'ecs:RunTask',
        } as Record<string, string>)[parsed?.service ?? ''];
        // An ECS target runs its task definition in the target cluster: RunTask is authorized on the
        // task definition with ecs:cluster, plus PassRole for the task's roles (ecsRunTaskActs).
        if (act === 'ecs:RunTask' && target.EcsParameters) requests = throughRole('events.amazonaws.com', target.RoleArn, ctx, ecsRunTaskActs(f, arn, target.EcsParameters));
        else if (act) requests = throughRole('events.amazonaws.com', target.RoleArn, ctx, [{ action: act, resource: arn }]);
        if (act === 'events:PutEvents') requests!.push({ principal: target.RoleArn, action: act, resource: arn });
      } else if (parsed?.service === 'sns') {
        requests = publishToTopic(f, 'events.amazonaws.com', arn, ctx);
      } else if (parsed?.service === 'sqs') {
        requests = sendToQueue(f, 'events.amazonaws.com', arn, ctx);
      } else if (parsed?.service === 'lambda') {
        requests = [{ principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction', resource: arn, context: ctx }];
      } else if (parsed?.service === 'logs') {
        requests = ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ principal: 'events.amazonaws.com', action, resource: `${arn.replace(/:\*$/, '')}:log-stream:x`, context: ctx }));
      }
      if (requests) {
        f.edges.push({ kind: `EventBridge rule -> ${parsed?.service}`, from: rule, to, requests });
      } else {
        f.uncovered.push(`${rule.label}: target ${arn}${target.RoleArn ? ' with a role' : ''}`);
      }
      if (target.DeadLetterConfig?.Arn) {
        f.edges.push({ kind: 'EventBridge rule -> dead-letter queue', from: rule, to: target.DeadLetterConfig.Arn, requests: sendToQueue(f, 'events.amazonaws.com', target.DeadLetterConfig.Arn, ctx) });
      }
    }
  }
}

function bucketNotifications(f: Finder): void {
  const buckets = [
    ...f.assembly.resourcesOfType('AWS::S3::Bucket').map((b) => ({ bucket: b, config: b.properties.NotificationConfiguration })),
    ...f.assembly.resourcesOfType('Custom::S3BucketNotifications').map((n) => ({ bucket: f.assembly.findByRef(n.properties.BucketName, 'AWS::S3::Bucket')!, config: n.properties.NotificationConfiguration })),
  ];
  for (const { bucket, config } of buckets) {
    if (!config || !bucket) continue;
    const ctx = source(bucket);
    // CloudFormation's shape (Topic, Queue, Function) or the S3 API's, which CDK's notifications
    // custom resource passes on (TopicArn, QueueArn, LambdaFunctionArn).
    for (const c of asArray<any>(config.TopicConfigurations)) {
      const topic = c.Topic ?? c.TopicArn;
      f.edges.push({ kind: 'S3 event notification -> SNS', from: bucket, to: topic, requests: publishToTopic(f, 's3.amazonaws.com', topic, ctx) });
    }
    for (const c of asArray<any>(config.QueueConfigurations)) {
      const queue = c.Queue ?? c.QueueArn;
      f.edges.push({ kind: 'S3 event notification -> SQS', from: bucket, to: queue, requests: sendToQueue(f, 's3.amazonaws.com', queue, ctx) });
    }
    for (const c of asArray<any>(config.LambdaConfigurations ?? config.LambdaFunctionConfigurations)) {
      const fn = c.Function ?? c.LambdaFunctionArn;
      f.edges.push({ kind: 'S3 event notification -> Lambda', from: bucket, to: fn, requests: [{ principal: 's3.amazonaws.com', action: 'lambda:InvokeFunction', resource: fn, context: ctx }] });
    }
  }
}

function subscriptions(f: Finder): void {
  for (const sub of f.assembly.resourcesOfType('AWS::SNS::Subscription')) {
    const topicArn = String(sub.properties.TopicArn);
    const ctx = { 'aws:SourceArn': topicArn, 'aws:SourceAccount': parseArn(topicArn)?.account ?? sub.stack.account };
    const protocol = sub.properties.Protocol;
    if (protocol === 'sqs') {
      f.edges.push({ kind: 'SNS subscription -> SQS', from: sub, to: sub.properties.Endpoint, requests: sendToQueue(f, 'sns.amazonaws.com', sub.properties.Endpoint, ctx, true) });
    } else if (protocol === 'lambda') {
      f.edges.push({ kind: 'SNS subscription -> Lambda', from: sub, to: sub.properties.Endpoint, requests: [{ principal: 'sns.amazonaws.com', action: 'lambda:InvokeFunction', resource: sub.properties.Endpoint, context: ctx }] });
    } else if (protocol === 'firehose') {
      f.edges.push({ kind: 'SNS subscription -> Firehose', from: sub, to: sub.properties.Endpoint, requests: throughRole('sns.amazonaws.com', sub.properties.SubscriptionRoleArn, ctx, [{ action: 'firehose:PutRecordBatch', resource: sub.properties.Endpoint }]) });
    } else if (!['email', 'email-json', 'http', 'https', 'sms', 'application'].includes(protocol)) {
      f.uncovered.push(`${sub.label}: subscription protocol ${protocol}`);
    }
    // What SNS cannot deliver once the delivery policy is exhausted goes to the subscription's
    // dead-letter queue, sent by SNS for the topic like a delivery to an SQS subscriber
    // (docs.aws.amazon.com/sns/latest/dg/sns-configure-dead-letter-queue.html).
    const dlq = sub.properties.RedrivePolicy?.deadLetterTargetArn;
    if (dlq) f.edges.push({ kind: 'SNS subscription -> dead-letter queue', from: sub, to: dlq, requests: sendToQueue(f, 'sns.amazonaws.com', dlq, ctx, true) });
  }
}

/**
 * CloudWatch Logs delivering subscribed events: to Lambda by the function's resource policy, to
 * Kinesis Data Streams and Firehose through the role it assumes (aws:SourceArn a log group of the
 * account: docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html). A producer
 * to a KMS-encrypted data stream also needs kms:GenerateDataKey on the stream's key
 * (docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html); the AWS managed
 * alias/aws/kinesis key admits every principal of the account through Kinesis.
 */
function logDeliveryRequests(f: Finder, destination: string, roleArn: string | undefined, ctx: Record<string, string>): EdgeRequest[] | undefined {
  const service = parseArn(destination)?.service;
  if (service === 'lambda') {
    return [{ principal: 'logs.amazonaws.com', action: 'lambda:InvokeFunction', resource: destination, context: ctx }];
  }
  if (service !== 'kinesis' && service !== 'firehose') return undefined;
  const action = service === 'kinesis' ? 'kinesis:PutRecord' : 'firehose:PutRecord';
  const acts: Array<{ action: string; resource: string; context?: Record<string, string> }> = [{ action, resource: destination }];
  const stream = service === 'kinesis' ? f.assembly.findByArn(destination, 'AWS::Kinesis::Stream') : undefined;
  const keyId = stream?.properties.StreamEncryption?.EncryptionType === 'KMS' ? String(stream.properties.StreamEncryption.KeyId) : undefined;
  if (stream && keyId && !/alias\/aws\/kinesis$/.test(keyId)) {
    acts.push({
      action: 'kms:GenerateDataKey', resource: keyArnOf(f, keyId, stream),
      context: { 'kms:ViaService': `kinesis.${stream.stack.region}.amazonaws.com`, 'kms:EncryptionContext:aws:kinesis:arn': destination },
    });
  }
  return throughRole('logs.amazonaws.com', roleArn ?? '(no RoleArn)', ctx, acts);
}

function logSubscriptions(f: Finder): void {
  for (const filter of f.assembly.resourcesOfType('AWS::Logs::SubscriptionFilter')) {
    const destination = String(filter.properties.DestinationArn);
    const group = String(filter.properties.LogGroupName);
    const groupArn = `arn:aws:logs:${filter.stack.region}:${filter.stack.account}:log-group:${group}:*`;
    const ctx = { 'aws:SourceArn': groupArn, 'aws:SourceAccount': filter.stack.account };
    const requests = logDeliveryRequests(f, destination, filter.properties.RoleArn, ctx);
    if (requests) f.edges.push({ kind: `CloudWatch Logs subscription -> ${parseArn(destination)?.service}`, from: filter, to: destination, requests });
    else f.uncovered.push(`${filter.label}: subscription destination ${destination}`);
  }
  // An account-level subscription filter policy delivers the events of any log group of the
  // account and region (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters-AccountLevel.html).
  for (const policy of f.assembly.resourcesOfType('AWS::Logs::AccountPolicy')) {
    if (policy.properties.PolicyType !== 'SUBSCRIPTION_FILTER_POLICY') continue;
    const document = JSON.parse(String(policy.properties.PolicyDocument));
    const destination = String(document.DestinationArn);
    const groupArn = `arn:aws:logs:${policy.stack.region}:${policy.stack.account}:log-group:any-application-log-group:*`;
    const ctx = { 'aws:SourceArn': groupArn, 'aws:SourceAccount': policy.stack.account };
    const requests = logDeliveryRequests(f, destination, document.RoleArn, ctx);
    if (requests) f.edges.push({ kind: `CloudWatch Logs account subscription policy -> ${parseArn(destination)?.service}`, from: policy, to: destination, requests });
    else f.uncovered.push(`${policy.label}: account subscription policy destination ${destination}`);
  }
}

/**
 * Firehose delivering as its role: it assumes the role with the account id as external id, then
 * writes objects (and, with a backup, refused documents) to S3, encrypts through S3 with the
 * configured key, and logs delivery errors (docs.aws.amazon.com/firehose/latest/dev/controlling-access.html,
 * "Allow Firehose to assume an IAM role", "Grant Firehose access to an Amazon S3 destination",
 * "... to a public OpenSearch Service destination"). With an S3 Bucket Key the KMS encryption
 * context is the bucket's ARN, without it the object's
 * (docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context).
 */
function firehoseDeliveries(f: Finder): void {
  for (const stream of f.assembly.resourcesOfType('AWS::KinesisFirehose::DeliveryStream')) {
    const p = stream.properties;
    const account = stream.stack.account;
    const region = stream.stack.region;
    const assume = { 'sts:ExternalId': account, 'aws:SourceAccount': account, 'aws:SourceArn': stream.arn! };
    const s3Acts = (c: any, what: string): Array<{ action: string; resource: string; context?: Record<string, string> }> => {
      const bucket = String(c.BucketARN);
      const key = `${bucket}/${c.Prefix ?? ''}2026/01/01/00/${stream.ref}-1-2026-01-01-00-00-00-0123abcd.${what}`;
      const errorKey = `${bucket}/${c.ErrorOutputPrefix ?? ''}processing-failed/2026/01/01/00/${stream.ref}-1-2026-01-01-00-00-00-0123abcd`;
      const acts: Array<{ action: string; resource: string; context?: Record<string, string> }> = [
        { action: 's3:GetBucketLocation', resource: bucket }, { action: 's3:ListBucket', resource: bucket },
        { action: 's3:PutObject', resource: key }, { action: 's3:AbortMultipartUpload', resource: key }, { action: 's3:PutObject', resource: errorKey },
      ];
      const keyArn = c.EncryptionConfiguration?.KMSEncryptionConfig?.AWSKMSKeyARN;
      if (keyArn) {
        const target = f.policies.bucketOf(bucket);
        const bucketKey = asArray<any>(target?.properties.BucketEncryption?.ServerSideEncryptionConfiguration)[0]?.BucketKeyEnabled === true;
        for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
          acts.push({ action, resource: keyArnOf(f, keyArn, stream), context: { 'kms:ViaService': `s3.${region}.amazonaws.com`, 'kms:EncryptionContext:aws:s3:arn': bucketKey ? bucket : key } });
        }
      }
      return acts;
    };
    const loggingActs = (c: any): Array<{ action: string; resource: string }> => {
      const logging = c?.CloudWatchLoggingOptions;
      if (!logging?.Enabled) return [];
      return [{ action: 'logs:PutLogEvents', resource: `arn:aws:logs:${region}:${account}:log-group:${logging.LogGroupName}:log-stream:${logging.LogStreamName}` }];
    };
    const s3 = p.ExtendedS3DestinationConfiguration ?? p.S3DestinationConfiguration;
    const openSearch = p.AmazonopensearchserviceDestinationConfiguration;
    if (s3) {
      f.edges.push({ kind: 'Firehose -> S3 bucket', from: stream, to: s3.BucketARN, requests: throughRole('firehose.amazonaws.com', s3.RoleARN, assume, [...s3Acts(s3, 'gz'), ...loggingActs(s3)]) });
    } else if (openSearch) {
      const domain = String(openSearch.DomainARN);
      f.edges.push({
        kind: 'Firehose -> OpenSearch domain', from: stream, to: domain,
        requests: throughRole('firehose.amazonaws.com', openSearch.RoleARN, assume, [
          { action: 'es:DescribeDomain', resource: domain }, { action: 'es:ESHttpPost', resource: `${domain}/_bulk` }, ...loggingActs(openSearch),
        ]),
      });
      const backup = openSearch.S3Configuration;
      if (backup) f.edges.push({ kind: 'Firehose -> S3 bucket', from: stream, to: backup.BucketARN, requests: throughRole('firehose.amazonaws.com', backup.RoleARN, assume, [...s3Acts(backup, 'json'), ...loggingActs(backup)]) });
    } else {
      f.uncovered.push(`${stream.label}: Firehose destination ${Object.keys(p).filter((k) => k.endsWith('DestinationConfiguration')).join(', ') || '(none)'}`);
    }
  }
}

function bucketArn(f: Finder, name: string): string { void f; return `arn:aws:s3:::${name}`; }

function prefixed(prefix: string | undefined, rest: string): string {
  return prefix ? `${prefix.replace(/\/$/, '')}/${rest}` : rest;
}

function trails(f: Finder): void {
  for (const trail of f.assembly.resourcesOfType('AWS::CloudTrail::Trail')) {
    const p = trail.properties;
    const trailArn = trail.arn!;
    const ctx = { 'aws:SourceArn': trailArn, 'aws:SourceAccount': trail.stack.account };
    const writers = [trail.stack.account];
    const accounts: string[][] = [[trail.stack.account]];
    if (p.IsOrganizationTrail && f.organization) accounts.push([f.organization.organizationId, f.organization.memberAccount]);
    void writers;
    const bucket = String(p.S3BucketName);
    const requests: EdgeRequest[] = [{ principal: 'cloudtrail.amazonaws.com', action: 's3:GetBucketAcl', resource: bucketArn(f, bucket), context: ctx }];
    for (const path of accounts) {
      requests.push({
        principal: 'cloudtrail.amazonaws.com', action: 's3:PutObject',
        resource: `${bucketArn(f, bucket)}/${prefixed(p.S3KeyPrefix, `AWSLogs/${path.join('/')}/CloudTrail/${trail.stack.region}/2026/01/01/${path[path.length - 1]}_CloudTrail_${trail.stack.region}_20260101T0000Z_abc.json.gz`)}`,
        context: { ...ctx, 's3:x-amz-acl': 'bucket-owner-full-control' },
      });
    }
    f.edges.push({ kind: 'CloudTrail -> S3 bucket', from: trail, to: bucket, requests });
    if (p.KMSKeyId) {
      const keyContext = { ...ctx, 'kms:EncryptionContext:aws:cloudtrail:arn': trailArn };
      f.edges.push({
        kind: 'CloudTrail -> KMS key', from: trail, to: p.KMSKeyId,
        requests: [
          { principal: 'cloudtrail.amazonaws.com', action: 'kms:GenerateDataKey', resource: keyArnOf(f, p.KMSKeyId, trail), context: keyContext },
          { principal: 'cloudtrail.amazonaws.com', action: 'kms:DescribeKey', resource: keyArnOf(f, p.KMSKeyId, trail), context: ctx },
        ],
      });
    }
    if (p.CloudWatchLogsLogGroupArn) {
      const group = String(p.CloudWatchLogsLogGroupArn).replace(/:\*$/, '');
      const stream = `${group}:log-stream:${trail.stack.account}_CloudTrail_${trail.stack.region}`;
      f.edges.push({
        kind: 'CloudTrail -> CloudWatch Logs (role)', from: trail, to: group,
        requests: throughRole('cloudtrail.amazonaws.com', p.CloudWatchLogsRoleArn, ctx, [
          { action: 'logs:CreateLogStream', resource: stream }, { action: 'logs:PutLogEvents', resource: stream },
        ]),
      });
    }
    if (p.SnsTopicName) {
      const topicArn = String(p.SnsTopicName).startsWith('arn:') ? p.SnsTopicName : `arn:aws:sns:${trail.stack.region}:${trail.stack.account}:${p.SnsTopicName}`;
      f.edges.push({ kind: 'CloudTrail -> SNS topic', from: trail, to: topicArn, requests: publishToTopic(f, 'cloudtrail.amazonaws.com', topicArn, ctx) });
    }
  }
}

function keyArnOf(f: Finder, reference: string, at: DeployedResource): string {
  const key = f.policies.keyOf(reference, at.stack.account, at.stack.region);
  if (key) return key.arn!;
  return reference.startsWith('arn:') ? reference : `arn:aws:kms:${at.stack.region}:${at.stack.account}:key/${reference}`;
}

function configDelivery(f: Finder): void {
  for (const channel of f.assembly.resourcesOfType('AWS::Config::DeliveryChannel')) {
    const p = channel.properties;
    const account = channel.stack.account;
    const region = channel.stack.region;
    const recorder = f.assembly.resourcesOfType('AWS::Config::ConfigurationRecorder').find((r) => r.stack === channel.stack);
    const roleArn: string | undefined = recorder?.properties.RoleARN;
    // With the service-linked role, Config itself (config.amazonaws.com) delivers; with a custom
    // recorder role, Config delivers as that role.
    const serviceLinked = !roleArn || roleArn.includes('/aws-service-role/');
    const principal = serviceLinked ? 'config.amazonaws.com' : roleArn!;
    const ctx: Record<string, string> = serviceLinked ? { 'aws:SourceAccount': account } : {};
    const bucket = bucketArn(f, p.S3BucketName);
    const requests: EdgeRequest[] = [
      { principal, action: 's3:GetBucketAcl', resource: bucket, context: ctx },
      {
        principal, action: 's3:PutObject',
        resource: `${bucket}/${prefixed(p.S3KeyPrefix, `AWSLogs/${account}/Config/${region}/2026/1/1/ConfigHistory/x.json.gz`)}`,
        context: { ...ctx, 's3:x-amz-acl': 'bucket-owner-full-control' },
      },
    ];
    if (p.S3KmsKeyArn) {
      requests.push(...['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
        principal, action, resource: keyArnOf(f, p.S3KmsKeyArn, channel),
        context: { ...ctx, 'kms:ViaService': `s3.${region}.amazonaws.com`, 'kms:EncryptionContext:aws:s3:arn': bucket },
      })));
    }
    if (!serviceLinked) {
      requests.unshift({ principal: 'config.amazonaws.com', action: 'sts:AssumeRole', resource: roleArn!, context: { 'aws:SourceAccount': account } });
    }
    f.edges.push({ kind: 'AWS Config -> delivery bucket', from: channel, to: p.S3BucketName, requests });
    if (p.SnsTopicARN) {
      f.edges.push({ kind: 'AWS Config -> SNS topic', from: channel, to: p.SnsTopicARN, requests: serviceLinked ? publishToTopic(f, 'config.amazonaws.com', p.SnsTopicARN, ctx) : [{ principal, action: 'sns:Publish', resource: p.SnsTopicARN }] });
    }
  }
}

function accessLogs(f: Finder): void {
  for (const bucket of f.assembly.resourcesOfType('AWS::S3::Bucket')) {
    const logging = bucket.properties.LoggingConfiguration;
    if (!logging?.DestinationBucketName) continue;
    const target = f.assembly.findByRef(logging.DestinationBucketName, 'AWS::S3::Bucket');
    // Simple prefix: [prefix][YYYY]-[MM]-[DD]-[hh]-[mm]-[ss]-[UniqueString]; partitioned prefix:
    // [prefix][SourceAccountId]/[SourceRegion]/[SourceBucket]/[YYYY]/[MM]/[DD]/[YYYY]-[MM]-[DD]-[hh]-[mm]-[ss]-[UniqueString]
    // (docs.aws.amazon.com/AmazonS3/latest/API/API_PartitionedPrefix.html).
    const partition = logging.TargetObjectKeyFormat?.PartitionedPrefix ? `${bucket.stack.account}/${bucket.stack.region}/${bucket.ref}/2026/01/01/` : '';
    const key = `${logging.LogFilePrefix ?? ''}${partition}2026-01-01-00-00-00-ABCDEF0123456789`;
    f.edges.push({
      kind: 'S3 server access logs -> bucket', from: bucket, to: logging.DestinationBucketName,
      requests: [{ principal: 'logging.s3.amazonaws.com', action: 's3:PutObject', resource: `${bucketArn(f, logging.DestinationBucketName)}/${key}`, context: source(bucket) }],
    });
    if (target) {
      if (target.stack.account !== bucket.stack.account || target.stack.region !== bucket.stack.region) {
        f.structural.push({ kind: 'S3 server access logs -> bucket', from: bucket, message: `the log target ${target.label} must be in the same account and region` });
      }
      requireSseS3(f, target, bucket, 'S3 server access logs -> bucket');
    }
  }
}

function requireSseS3(f: Finder, target: DeployedResource, from: DeployedResource, kind: string): void {
  const rules = asArray<any>(target.properties.BucketEncryption?.ServerSideEncryptionConfiguration);
  const algorithm = rules[0]?.ServerSideEncryptionByDefault?.SSEAlgorithm ?? 'AES256';
  if (algorithm !== 'AES256') {
    f.structural.push({ kind, from, message: `the log target ${target.label} is encrypted with ${algorithm}; this log delivery only writes to buckets with SSE-S3 (AES256) default encryption` });
  }
}

function loadBalancerLogs(f: Finder): void {
  for (const lb of f.assembly.resourcesOfType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    const attributes = Object.fromEntries(asArray<any>(lb.properties.LoadBalancerAttributes).map((a) => [a.Key, a.Value]));
    if (attributes['access_logs.s3.enabled'] !== 'true') continue;
    const bucketName = attributes['access_logs.s3.bucket'];
    const prefix = attributes['access_logs.s3.prefix'];
    const elbAccount = RegionInfo.get(lb.stack.region).elbv2Account;
    const principal = elbAccount ? `arn:aws:iam::${elbAccount}:root` : 'logdelivery.elasticloadbalancing.amazonaws.com';
    const key = prefixed(prefix, `AWSLogs/${lb.stack.account}/elasticloadbalancing/${lb.stack.region}/2026/01/01/x.log.gz`);
    f.edges.push({
      kind: 'ALB access logs -> bucket', from: lb, to: bucketName,
      requests: [{ principal, action: 's3:PutObject', resource: `${bucketArn(f, bucketName)}/${key}`, context: elbAccount ? {} : { 'aws:SourceAccount': lb.stack.account, 'aws:SourceArn': lb.arn! } }],
    });
    const target = f.assembly.findByRef(bucketName, 'AWS::S3::Bucket');
    if (target) requireSseS3(f, target, lb, 'ALB access logs -> bucket');
  }
}

function flowLogs(f: Finder): void {
  for (const flow of f.assembly.resourcesOfType('AWS::EC2::FlowLog')) {
    const p = flow.properties;
    const flowArn = `arn:aws:ec2:${flow.stack.region}:${flow.stack.account}:vpc-flow-log/${flow.ref}`;
    const ctx = { 'aws:SourceAccount': flow.stack.account, 'aws:SourceArn': flowArn };
    if ((p.LogDestinationType ?? 'cloud-watch-logs') === 'cloud-watch-logs') {
      const group = p.LogGroupName ?? String(p.LogDestination).split(':log-group:')[1]?.replace(/:\*$/, '');
      const stream = `arn:aws:logs:${flow.stack.region}:${flow.stack.account}:log-group:${group}:log-stream:eni-0123456789abcdef0-all`;
      f.edges.push({
        kind: 'VPC flow logs -> CloudWatch Logs (role)', from: flow, to: group,
        requests: throughRole('vpc-flow-logs.amazonaws.com', p.DeliverLogsPermissionArn, ctx, [
          { action: 'logs:CreateLogStream', resource: stream }, { action: 'logs:PutLogEvents', resource: stream },
        ]),
      });
    } else if (p.LogDestinationType === 's3') {
      const [bucket, ...rest] = String(p.LogDestination).replace(/^arn:aws:s3:::/, '').split('/');
      f.edges.push({
        kind: 'VPC flow logs -> S3 bucket', from: flow, to: bucket,
        requests: [
          { principal: 'delivery.logs.amazonaws.com', action: 's3:GetBucketAcl', resource: bucketArn(f, bucket), context: ctx },
          { principal: 'delivery.logs.amazonaws.com', action: 's3:PutObject', resource: `${bucketArn(f, bucket)}/${prefixed(rest.join('/'), `AWSLogs/${flow.stack.account}/vpcflowlogs/x.log.gz`)}`, context: { ...ctx, 's3:x-amz-acl': 'bucket-owner-full-control' } },
        ],
      });
    } else {
      f.uncovered.push(`${flow.label}: flow log destination type ${p.LogDestinationType}`);
    }
  }
}

/**
 * A REST API stage's access logs (to a log group) and execution logs (level ERROR or INFO, to
 * `API-Gateway-Execution-Logs_<api id>/<stage>`) are written by API Gateway through the account's
 * CloudWatch role of the stage's region: API Gateway assumes it (apigateway.amazonaws.com; no
 * source-account or source-ARN key is documented for it), then the role creates the stream and
 * puts the events (docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
 * That role is set by `AWS::ApiGateway::Account`; a stage whose account and region have none in
 * the assembly cannot be judged, and two of them overwrite each other
 * (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-account.html).
 */
function apiGatewayLogs(f: Finder): void {
  const kind = 'API Gateway -> CloudWatch Logs (account role)';
  const settings = f.assembly.resourcesOfType('AWS::ApiGateway::Account');
  for (const stage of f.assembly.resourcesOfType('AWS::ApiGateway::Stage')) {
    const p = stage.properties;
    const { account, region } = stage.stack;
    const groups: string[] = [];
    const destination = p.AccessLogSetting?.DestinationArn;
    if (destination) {
      const parsed = parseArn(String(destination));
      if (parsed?.service === 'logs') groups.push(parsed.resource.replace(/^log-group:/, '').replace(/:\*$/, ''));
      else f.uncovered.push(`${stage.label}: access log destination ${destination}`);
    }
    if (asArray<any>(p.MethodSettings).some((m) => m.LoggingLevel === 'ERROR' || m.LoggingLevel === 'INFO')) {
      groups.push(`API-Gateway-Execution-Logs_${p.RestApiId}/${p.StageName}`);
    }
    if (groups.length === 0) continue;
    const here = settings.filter((a) => a.stack.account === account && a.stack.region === region);
    if (here.length === 0) {
      f.uncovered.push(`${stage.label}: logs through the API Gateway CloudWatch role of ${account} in ${region}, which no AWS::ApiGateway::Account of the assembly sets`);
      continue;
    }
    if (here.length > 1) {
      f.structural.push({ kind, from: stage, message: `${here.map((a) => a.label).join(' and ')} each set the one API Gateway CloudWatch role of ${account} in ${region}; the last deployed wins` });
    }
    const role = roleArnOf(f, here[0].properties.CloudWatchRoleArn, here[0]);
    for (const group of groups) {
      const stream = `arn:aws:logs:${region}:${account}:log-group:${group}:log-stream:0123456789abcdef0123456789abcdef`;
      f.edges.push({
        kind, from: stage, to: group,
        requests: throughRole('apigateway.amazonaws.com', role, {}, [
          { action: 'logs:CreateLogStream', resource: stream }, { action: 'logs:PutLogEvents', resource: stream },
        ]),
      });
    }
  }
}

function logGroupKeys(f: Finder): void {
  for (const group of f.assembly.resourcesOfType('AWS::Logs::LogGroup')) {
    if (!group.properties.KmsKeyId) continue;
    const arn = group.arn!.replace(/:\*$/, '');
    const principal = `logs.${group.stack.region}.amazonaws.com`;
    const context = { 'kms:EncryptionContext:aws:logs:arn': arn };
    f.edges.push({
      kind: 'CloudWatch Logs -> log group KMS key', from: group, to: group.properties.KmsKeyId,
      requests: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:GenerateDataKey'].map((action) => ({
        principal, action, resource: keyArnOf(f, group.properties.KmsKeyId, group), context,
      })),
    });
  }
}

function replication(f: Finder): void {
  for (const bucket of f.assembly.resourcesOfType('AWS::S3::Bucket')) {
    const config = bucket.properties.ReplicationConfiguration;
    if (!config) continue;
    const role: string = config.Role;
    const region = bucket.stack.region;
    const sourceKey = asArray<any>(bucket.properties.BucketEncryption?.ServerSideEncryptionConfiguration)[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID;
    const object = 'data/2026/object.json';
    const requests: EdgeRequest[] = [
      { principal: 's3.amazonaws.com', action: 'sts:AssumeRole', resource: role, context: { 'aws:SourceAccount': bucket.stack.account } },
      { principal: role, action: 's3:GetReplicationConfiguration', resource: bucket.arn! },
      { principal: role, action: 's3:ListBucket', resource: bucket.arn! },
      ...['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'].map((action) => ({ principal: role, action, resource: `${bucket.arn}/${object}` })),
    ];
    if (sourceKey) {
      requests.push({
        principal: role, action: 'kms:Decrypt', resource: keyArnOf(f, sourceKey, bucket),
        context: { 'kms:ViaService': `s3.${region}.amazonaws.com`, 'kms:EncryptionContext:aws:s3:arn': bucket.arn!, 'kms:CallerAccount': bucket.stack.account },
      });
    }
    for (const rule of asArray<any>(config.Rules)) {
      if (rule.Status === 'Disabled') continue;
      const destination = rule.Destination;
      const destBucketArn = String(destination.Bucket);
      const destBucket = f.policies.bucketOf(destBucketArn);
      const ruleRequests: EdgeRequest[] = [...requests];
      const actions = ['s3:ReplicateObject', 's3:ReplicateTags'];
      if (rule.DeleteMarkerReplication?.Status === 'Enabled') actions.push('s3:ReplicateDelete');
      if (destination.AccessControlTranslation) actions.push('s3:ObjectOwnerOverrideToBucketOwner');
      ruleRequests.push(...actions.map((action) => ({ principal: role, action, resource: `${destBucketArn}/${object}` })));
      const replicaKey = destination.EncryptionConfiguration?.ReplicaKmsKeyID;
      if (replicaKey) {
        const destRegion = destBucket?.stack.region ?? parseArn(replicaKey)?.region ?? region;
        const destAccount = destBucket?.stack.account ?? destination.Account ?? bucket.stack.account;
        const key = f.policies.keyOf(replicaKey, parseArn(replicaKey)?.account ?? destAccount, destRegion);
        ruleRequests.push(...['kms:Encrypt', 'kms:GenerateDataKey'].map((action) => ({
          principal: role, action, resource: key?.arn ?? replicaKey,
          context: {
            'kms:ViaService': `s3.${destRegion}.amazonaws.com`, 'kms:EncryptionContext:aws:s3:arn': destBucketArn,
            'kms:CallerAccount': bucket.stack.account,
          },
        })));
      }
      f.edges.push({ kind: destination.Account && destination.Account !== bucket.stack.account ? 'S3 replication -> other account' : 'S3 replication -> same account', from: bucket, to: destBucketArn, requests: ruleRequests });
    }
  }
}

function pipelines(f: Finder): void {
  for (const pipeline of f.assembly.resourcesOfType('AWS::CodePipeline::Pipeline')) {
    const p = pipeline.properties;
    const pipelineRole: string = p.RoleArn;
    const stores = new Map<string, any>();
    if (p.ArtifactStore) stores.set(pipeline.stack.region, p.ArtifactStore);
    for (const s of asArray<any>(p.ArtifactStores)) stores.set(s.Region, s.ArtifactStore);
    const artifactRequests = (principal: string, region: string, write: boolean, read: boolean): EdgeRequest[] => {
      const store = stores.get(region) ?? stores.get(pipeline.stack.region);
      if (!store) return [];
      const object = `arn:aws:s3:::${store.Location}/${pipeline.ref.slice(0, 20)}/Artifact/abc123`;
      const out: EdgeRequest[] = [];
      if (read) out.push({ principal, action: 's3:GetObject', resource: object });
      if (write) out.push({ principal, action: 's3:PutObject', resource: object });
      if (store.EncryptionKey?.Id) {
        const key = store.EncryptionKey.Id as string;
        const keyRegion = parseArn(key)?.region ?? region;
        const keyContext = { 'kms:ViaService': `s3.${keyRegion}.amazonaws.com`, 'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${store.Location}` };
        const resolved = f.policies.keyOf(key, parseArn(key)?.account ?? pipeline.stack.account, keyRegion);
        const keyArn = resolved?.arn ?? key;
        if (read) out.push({ principal, action: 'kms:Decrypt', resource: keyArn, context: keyContext });
        if (write) out.push({ principal, action: 'kms:GenerateDataKey', resource: keyArn, context: keyContext });
      }
      return out;
    };
    const pipelineRequests: EdgeRequest[] = [{ principal: 'codepipeline.amazonaws.com', action: 'sts:AssumeRole', resource: pipelineRole, context: { 'aws:SourceAccount': pipeline.stack.account, 'aws:SourceArn': pipeline.arn! } }];
    for (const region of stores.keys()) pipelineRequests.push(...artifactRequests(pipelineRole, region, true, true));
    f.edges.push({ kind: 'CodePipeline -> artifact stores', from: pipeline, to: [...stores.values()].map((s) => s.Location).join(', '), requests: pipelineRequests });
    for (const stage of asArray<any>(p.Stages)) {
      for (const action of asArray<any>(stage.Actions)) {
        const region = action.Region ?? pipeline.stack.region;
        const reads = asArray(action.InputArtifacts).length > 0;
        const writes = asArray(action.OutputArtifacts).length > 0;
        const label = `${stage.Name}/${action.Name}`;
        const roleArn: string = action.RoleArn ?? pipelineRole;
        const requests: EdgeRequest[] = [];
        if (action.RoleArn) requests.push({ principal: pipelineRole, action: 'sts:AssumeRole', resource: action.RoleArn });
        const provider = action.ActionTypeId?.Provider;
        const category = action.ActionTypeId?.Category;
        if (provider === 'CodeBuild') {
          const projectArn = `arn:aws:codebuild:${region}:${parseArn(roleArn)?.account ?? pipeline.stack.account}:project/${action.Configuration.ProjectName}`;
          requests.push({ principal: roleArn, action: 'codebuild:StartBuild', resource: projectArn }, { principal: roleArn, action: 'codebuild:BatchGetBuilds', resource: projectArn });
          const project = f.assembly.findByArn(projectArn, 'AWS::CodeBuild::Project');
          if (project) {
            requests.push(...artifactRequests(project.properties.ServiceRole, region, writes, reads).map((r) => ({ ...r, principal: roleArnOf(f, project.properties.ServiceRole, project) })));
          } else {
            f.uncovered.push(`${pipeline.label}: CodeBuild project of ${label} is not in the assembly`);
          }
        } else if (provider === 'CodeDeploy') {
          requests.push(...artifactRequests(roleArn, region, false, false));
          requests.push(...codeDeployInstanceRequests(f, pipeline, action, region, artifactRequests));
        } else if (provider === 'S3' && category === 'Deploy') {
          requests.push(...artifactRequests(roleArn, region, false, true));
          const target = `arn:aws:s3:::${action.Configuration.BucketName}/${action.Configuration.ObjectKey ?? 'deployed/object'}`;
          requests.push({ principal: roleArn, action: 's3:PutObject', resource: target });
          const targetBucket = f.policies.bucketOf(target);
          const targetKey = asArray<any>(targetBucket?.properties.BucketEncryption?.ServerSideEncryptionConfiguration)[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID;
          if (targetBucket && targetKey) {
            requests.push({ principal: roleArn, action: 'kms:GenerateDataKey', resource: keyArnOf(f, targetKey, targetBucket), context: { 'kms:ViaService': `s3.${targetBucket.stack.region}.amazonaws.com`, 'kms:EncryptionContext:aws:s3:arn': targetBucket.arn! } });
          }
        } else {
          requests.push(...artifactRequests(roleArn, region, writes, reads));
        }
        f.edges.push({ kind: `CodePipeline action (${provider})`, from: pipeline, to: label, requests });
      }
    }
  }
}

function roleArnOf(f: Finder, reference: string, at: DeployedResource): string {
  if (reference.startsWith('arn:')) return reference;
  return f.assembly.findByRef(reference, 'AWS::IAM::Role', at.stack.account)?.arn ?? `arn:aws:iam::${at.stack.account}:role/${reference}`;
}

/** Instances of a CodeDeploy deployment group read the revision from the artifact store with their own role. */
function codeDeployInstanceRequests(f: Finder, pipeline: DeployedResource, action: any, region: string,
  artifactRequests: (principal: string, region: string, write: boolean, read: boolean) => EdgeRequest[]): EdgeRequest[] {
  const group = f.assembly.resourcesOfType('AWS::CodeDeploy::DeploymentGroup')
    .find((g) => g.stack.region === region && g.properties.ApplicationName === action.Configuration.ApplicationName && g.ref === action.Configuration.DeploymentGroupName);
  if (!group) {
    f.uncovered.push(`${pipeline.label}: CodeDeploy deployment group ${action.Configuration.DeploymentGroupName} is not in the assembly`);
    return [];
  }
  const out: EdgeRequest[] = [];
  for (const asgName of asArray<string>(group.properties.AutoScalingGroups)) {
    const asg = f.assembly.findByRef(asgName, 'AWS::AutoScaling::AutoScalingGroup');
    const templateId = asg?.properties.LaunchTemplate?.LaunchTemplateId;
    const template = templateId && [...asg!.stack.resources.values()].find((r) => r.type === 'AWS::EC2::LaunchTemplate' && r.ref === templateId);
    const profileRef = template?.properties.LaunchTemplateData?.IamInstanceProfile?.Arn ?? template?.properties.LaunchTemplateData?.IamInstanceProfile?.Name;
    const profile = profileRef && [...asg!.stack.resources.values()].find((r) => r.type === 'AWS::IAM::InstanceProfile' && (r.arn === profileRef || r.ref === profileRef));
    const roleName = profile && asArray<string>(profile.properties.Roles)[0];
    if (!roleName) {
      f.uncovered.push(`${group.label}: instance role of Auto Scaling group ${asgName}`);
      continue;
    }
    out.push(...artifactRequests(roleArnOf(f, roleName, group), region, false, true));
  }
  return out;
}

function functions(f: Finder): void {
  for (const fn of f.assembly.resourcesOfType('AWS::Lambda::Function')) {
    const group = fn.properties.LoggingConfig?.LogGroup ?? `/aws/lambda/${fn.ref}`;
    const stream = `arn:aws:logs:${fn.stack.region}:${fn.stack.account}:log-group:${group}:log-stream:2026/01/01/[$LATEST]abc`;
    f.edges.push({
      kind: 'Lambda function -> its log group', from: fn, to: group,
      requests: [{ principal: fn.properties.Role, action: 'logs:CreateLogStream', resource: stream }, { principal: fn.properties.Role, action: 'logs:PutLogEvents', resource: stream }],
    });
  }
}

function stateMachines(f: Finder): void {
  for (const machine of f.assembly.resourcesOfType('AWS::StepFunctions::StateMachine')) {
    const role: string = machine.properties.RoleArn;
    const definition = machine.properties.DefinitionString ? JSON.parse(machine.properties.DefinitionString) : machine.properties.Definition;
    const states: any[] = [];
    const walk = (node: any): void => {
      for (const state of Object.values<any>(node?.States ?? {})) {
        states.push(state);
        for (const branch of asArray<any>(state.Branches)) walk(branch);
        if (state.Iterator) walk(state.Iterator);
        if (state.ItemProcessor) walk(state.ItemProcessor);
      }
    };
    walk(definition);
    for (const state of states) {
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource);
      const args = state.Parameters ?? state.Arguments ?? {};
      const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)/.exec(resource);
      if (sdk) {
        // An SDK integration calls the API as the state machine's role. Its target is usually read
        // from the input at run time, so the check asks whether the role may call the action on
        // some resource of its kind (iam-simulate's wildcard simulation), not on one ARN.
        const action = `${SDK_SERVICE_PREFIX[sdk[1]] ?? sdk[1]}:${sdk[2][0].toUpperCase()}${sdk[2].slice(1)}`;
        const runCommand = action === 'ssm:SendCommand' ? runCommandOnGroupInstances(f, machine, role, args) : undefined;
        if (runCommand) {
          f.edges.push(runCommand);
          continue;
        }
        f.edges.push({ kind: 'Step Functions SDK task -> API', from: machine, to: action, requests: [{ principal: role, action, resource: '*' }] });
        continue;
      }
      if (resource.startsWith('arn:aws:states:::sns:publish')) {
        const topicArn = args.TopicArn;
        const topic = f.assembly.findByArn(topicArn, 'AWS::SNS::Topic');
        const requests: EdgeRequest[] = [{ principal: role, action: 'sns:Publish', resource: topicArn }];
        if (topic) {
          requests.push(...envelopeKeyRequests(f, role, topic.properties.KmsMasterKeyId, topic.stack.account, topic.stack.region,
            { 'kms:EncryptionContext:aws:sns:topicArn': topicArn, 'kms:ViaService': `sns.${topic.stack.region}.amazonaws.com` }));
        }
        f.edges.push({ kind: 'Step Functions task -> SNS topic', from: machine, to: topicArn, requests });
      } else if (resource.startsWith('arn:aws:states:::lambda:invoke')) {
        f.edges.push({ kind: 'Step Functions task -> Lambda', from: machine, to: args.FunctionName, requests: [{ principal: role, action: 'lambda:InvokeFunction', resource: String(args.FunctionName) }] });
      } else if (resource.startsWith('arn:aws:states:::states:startExecution')) {
        f.edges.push({ kind: 'Step Functions task -> Step Functions', from: machine, to: args.StateMachineArn, requests: [{ principal: role, action: 'states:StartExecution', resource: String(args.StateMachineArn) }] });
      } else if (resource.startsWith('arn:aws:states:::sqs:sendMessage')) {
        f.edges.push({ kind: 'Step Functions task -> SQS', from: machine, to: args.QueueUrl, requests: [{ principal: role, action: 'sqs:SendMessage', resource: queueArnFromUrl(String(args.QueueUrl)) }] });
      } else if (resource.startsWith('arn:aws:states:::') && !/^arn:aws:states:::(http:invoke|mediaconvert)/.test(resource)) {
        f.uncovered.push(`${machine.label}: task resource ${resource}`);
      }
    }
    const destinations = asArray<any>(machine.properties.LoggingConfiguration?.Destinations);
    for (const d of destinations) {
      const group = d.CloudWatchLogsLogGroup?.LogGroupArn;
      f.edges.push({
        kind: 'Step Functions -> log delivery', from: machine, to: group,
        requests: ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups']
          .map((action) => ({ principal: role, action, resource: '*' })),
      });
    }
  }
}

/**
 * A SendCommand SDK task whose instance comes from the event (`InstanceIds.$`) of an Auto Scaling
 * lifecycle action rule that starts the state machine: the instance belongs to the group the rule
 * names, and Auto Scaling tags every instance of a group with `aws:autoscaling:groupName`
 * (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html). SendCommand is
 * authorized on the document and on each instance, and an instance's tags are the condition keys
 * `ssm:resourceTag/<key>` and `aws:ResourceTag/<key>`
 * (docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html). An
 * AWS-owned document (`AWS-...`) has no account in its ARN. Other SendCommand tasks fall back to
 * the wildcard evaluation of every SDK task.
 */
function runCommandOnGroupInstances(f: Finder, machine: DeployedResource, role: string, args: any): Edge | undefined {
  const document = args.DocumentName;
  if (typeof document !== 'string' || !args['InstanceIds.$']) return undefined;
  const groups = new Set<string>();
  for (const rule of f.assembly.resourcesOfType('AWS::Events::Rule')) {
    if (!asArray<any>(rule.properties.Targets).some((t) => t.Arn === machine.ref || t.Arn === machine.arn)) continue;
    const pattern = typeof rule.properties.EventPattern === 'string' ? JSON.parse(rule.properties.EventPattern) : rule.properties.EventPattern ?? {};
    const lifecycle = asArray<string>(pattern['detail-type']).every((t) => /^EC2 Instance-(launch|terminate) Lifecycle Action$/.test(t));
    if (!asArray<string>(pattern.source).includes('aws.autoscaling') || !lifecycle) continue;
    for (const name of asArray<string>(pattern.detail?.AutoScalingGroupName)) groups.add(String(name));
  }
  if (groups.size === 0) return undefined;
  const { region, account } = machine.stack;
  const documentArn = document.startsWith('arn:') ? document : `arn:aws:ssm:${region}:${document.startsWith('AWS-') ? '' : account}:document/${document}`;
  const requests: EdgeRequest[] = [{ principal: role, action: 'ssm:SendCommand', resource: documentArn }];
  for (const group of groups) {
    requests.push({
      principal: role, action: 'ssm:SendCommand', resource: `arn:aws:ec2:${region}:${account}:instance/i-0123456789abcdef0`,
      context: { 'ssm:resourceTag/aws:autoscaling:groupName': group, 'aws:ResourceTag/aws:autoscaling:groupName': group },
    });
  }
  return { kind: 'Step Functions SDK task -> Run Command on Auto Scaling instances', from: machine, to: `${document} on the instances of ${[...groups].join(', ')}`, requests };
}

/** SDK integration service names whose IAM prefix differs (docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html). */
const SDK_SERVICE_PREFIX: Record<string, string> = { sfn: 'states', cloudwatchlogs: 'logs', cloudwatchevents: 'events', eventbridge: 'events', elasticloadbalancingv2: 'elasticloadbalancing' };

function queueArnFromUrl(url: string): string {
  const m = /^https:\/\/sqs\.([^.]+)\.amazonaws\.com\/(\d{12})\/(.+)$/.exec(url);
  return m ? `arn:aws:sqs:${m[1]}:${m[2]}:${m[3]}` : url;
}

function profilingGroups(f: Finder): void {
  for (const group of f.assembly.resourcesOfType('AWS::CodeGuruProfiler::ProfilingGroup')) {
    for (const channel of asArray<any>(group.properties.AnomalyDetectionNotificationConfiguration)) {
      const topicArn = channel.channelUri;
      const topic = f.assembly.findByArn(topicArn, 'AWS::SNS::Topic');
      // Profiler publishes as its service-linked role, whose AWS managed policy allows sns:Publish
      // on any topic (docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSServiceRoleForCodeGuru-Profiler.html);
      // the topic policy must not refuse it, and the key policy must let the role encrypt.
      const slr = `arn:aws:iam::${group.stack.account}:role/aws-service-role/codeguru-profiler.amazonaws.com/AWSServiceRoleForCodeGuruProfiler`;
      const requests: EdgeRequest[] = [{ principal: slr, action: 'sns:Publish', resource: topicArn }];
      if (topic) {
        requests.push(...envelopeKeyRequests(f, slr, topic.properties.KmsMasterKeyId, topic.stack.account, topic.stack.region, { 'kms:ViaService': `sns.${topic.stack.region}.amazonaws.com` }));
      }
      f.edges.push({ kind: 'CodeGuru Profiler -> SNS topic', from: group, to: topicArn, requests });
    }
  }
}

function buildProjects(f: Finder): void {
  for (const project of f.assembly.resourcesOfType('AWS::CodeBuild::Project')) {
    const logs = project.properties.LogsConfig?.CloudWatchLogs;
    if (!logs || logs.Status === 'DISABLED') continue;
    const role = roleArnOf(f, project.properties.ServiceRole, project);
    const group = logs.GroupName ?? `/aws/codebuild/${project.ref}`;
    const stream = `arn:aws:logs:${project.stack.region}:${project.stack.account}:log-group:${group}:log-stream:${logs.StreamName ? `${logs.StreamName}/` : ''}0123abcd-build`;
    f.edges.push({
      kind: 'CodeBuild -> its log group', from: project, to: group,
      requests: [{ principal: role, action: 'logs:CreateLogStream', resource: stream }, { principal: role, action: 'logs:PutLogEvents', resource: stream }],
    });
  }
}

/** The awslogs driver writes with the task execution role (docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html). */
function containerLogs(f: Finder): void {
  for (const task of f.assembly.resourcesOfType('AWS::ECS::TaskDefinition')) {
    for (const container of asArray<any>(task.properties.ContainerDefinitions)) {
      const logging = container.LogConfiguration;
      if (logging?.LogDriver !== 'awslogs') continue;
      const role = task.properties.ExecutionRoleArn;
      const group = logging.Options?.['awslogs-group'];
      const stream = `arn:aws:logs:${logging.Options?.['awslogs-region'] ?? task.stack.region}:${task.stack.account}:log-group:${group}:log-stream:${logging.Options?.['awslogs-stream-prefix'] ?? 'ecs'}/${container.Name}/0123abcd`;
      f.edges.push({
        kind: 'ECS awslogs -> log group', from: task, to: `${container.Name} -> ${group}`,
        requests: role
          ? [{ principal: role, action: 'logs:CreateLogStream', resource: stream }, { principal: role, action: 'logs:PutLogEvents', resource: stream }]
          : [{ principal: 'ecs-tasks.amazonaws.com', action: 'logs:PutLogEvents', resource: stream }],
      });
    }
  }
}

/** CodeDeploy reads the state of a deployment group's alarms with its service role. */
function deploymentAlarms(f: Finder): void {
  for (const group of f.assembly.resourcesOfType('AWS::CodeDeploy::DeploymentGroup')) {
    const alarms = group.properties.AlarmConfiguration;
    if (!alarms?.Enabled || asArray(alarms.Alarms).length === 0) continue;
    f.edges.push({
      kind: 'CodeDeploy -> deployment alarms', from: group, to: asArray<any>(alarms.Alarms).map((a) => a.Name).join(', '),
      requests: [{ principal: roleArnOf(f, group.properties.ServiceRoleArn, group), action: 'cloudwatch:DescribeAlarms', resource: '*' }],
    });
  }
}

/** WAF delivers only to log groups named aws-waf-logs-* (docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html). */
/**
 * S3 origins of CloudFront distributions reached through origin access control: CloudFront signs
 * its requests as cloudfront.amazonaws.com with the distribution as AWS:SourceArn (and the
 * account as AWS:SourceAccount), to get objects and, for SSE-KMS objects, to decrypt with the
 * bucket's key. Origins with an origin access identity are not modelled (their principal is a
 * CloudFront canonical user) and are reported as not covered.
 */
function cloudFrontOrigins(f: Finder): void {
  for (const distribution of f.assembly.resourcesOfType('AWS::CloudFront::Distribution')) {
    const config = distribution.properties.DistributionConfig ?? {};
    for (const origin of asArray<any>(config.Origins)) {
      if (origin.S3OriginConfig === undefined) continue;
      const domain = String(origin.DomainName);
      const name = domain.split('.s3.')[0];
      if (!origin.OriginAccessControlId) {
        if (origin.S3OriginConfig.OriginAccessIdentity) f.uncovered.push(`${distribution.label}: S3 origin ${domain} through an origin access identity`);
        continue;
      }
      const context = { 'aws:SourceArn': distribution.arn!, 'aws:SourceAccount': distribution.stack.account };
      const requests: EdgeRequest[] = [{ principal: 'cloudfront.amazonaws.com', action: 's3:GetObject', resource: `${bucketArn(f, name)}/index.html`, context }];
      const bucket = f.assembly.findByRef(name, 'AWS::S3::Bucket');
      const key = asArray<any>(bucket?.properties.BucketEncryption?.ServerSideEncryptionConfiguration)[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID;
      if (bucket && key) requests.push({ principal: 'cloudfront.amazonaws.com', action: 'kms:Decrypt', resource: keyArnOf(f, key, bucket), context });
      f.edges.push({ kind: 'CloudFront origin access control -> S3 bucket', from: distribution, to: name, requests });
    }
  }
}

function wafLogs(f: Finder): void {
  for (const config of f.assembly.resourcesOfType('AWS::WAFv2::LoggingConfiguration')) {
    for (const destination of asArray<string>(config.properties.LogDestinationConfigs)) {
      const parsed = parseArn(destination);
      const name = parsed?.service === 'logs' ? parsed.resource.replace(/^log-group:/, '').replace(/:\*$/, '')
        : parsed?.service === 's3' ? parsed.resource : parsed?.resource.split('/')[1];
      if (!name?.startsWith('aws-waf-logs-')) {
        f.structural.push({ kind: 'WAF logging -> destination', from: config, message: `the destination ${destination} must be named aws-waf-logs-*` });
      }
    }
  }
}

/**
 * EventBridge Scheduler assumes the target's role (with aws:SourceAccount and the schedule's
 * aws:SourceArn: docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html)
 * and calls the target as that role. A universal target (`arn:aws:scheduler:::aws-sdk:<service>:<action>`)
 * is checked for the action on some resource of its kind.
 */
function schedules(f: Finder): void {
  for (const schedule of f.assembly.resourcesOfType('AWS::Scheduler::Schedule')) {
    const target = schedule.properties.Target;
    const group = schedule.properties.GroupName ?? 'default';
    const arn = `arn:aws:scheduler:${schedule.stack.region}:${schedule.stack.account}:schedule/${group}/${schedule.properties.Name ?? schedule.ref}`;
    const ctx = { 'aws:SourceAccount': schedule.stack.account, 'aws:SourceArn': arn };
    const universal = /^arn:aws:scheduler:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(String(target.Arn));
    if (universal) {
      const action = `${SDK_SERVICE_PREFIX[universal[1]] ?? universal[1]}:${universal[2][0].toUpperCase()}${universal[2].slice(1)}`;
      const input = typeof target.Input === 'string' ? JSON.parse(target.Input) : target.Input ?? {};
      const acts = UNIVERSAL_TARGET_REQUESTS[action]?.(input, schedule.stack.region, schedule.stack.account) ?? [{ action, resource: '*' }];
      f.edges.push({ kind: 'Scheduler universal target -> API', from: schedule, to: action, requests: throughRole('scheduler.amazonaws.com', target.RoleArn, ctx, acts) });
    } else if (parseArn(String(target.Arn))?.service === 'ecs' && target.EcsParameters) {
      f.edges.push({ kind: 'Scheduler -> ECS RunTask', from: schedule, to: String(target.EcsParameters.TaskDefinitionArn), requests: throughRole('scheduler.amazonaws.com', target.RoleArn, ctx, ecsRunTaskActs(f, String(target.Arn), target.EcsParameters)) });
    } else {
      f.uncovered.push(`${schedule.label}: schedule target ${target.Arn}`);
    }
  }
}

/** A stack's ARN as IAM sees it: the stack name (or ARN) the call names, with an id. */
function stackArn(nameOrArn: string, region: string, account: string): string {
  return String(nameOrArn).startsWith('arn:') ? String(nameOrArn) : `arn:aws:cloudformation:${region}:${account}:stack/${nameOrArn}/00000000-0000-0000-0000-000000000000`;
}

/**
 * Universal targets whose resource the check reads from the target's input, with every action
 * the call is authorized for. DetectStackDrift needs cloudformation:DetectStackDrift and
 * cloudformation:DetectStackResourceDrift on the stack
 * (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html#drift-considerations);
 * the reads of the stack's resources depend on what the stack holds and are not evaluated.
 */
const UNIVERSAL_TARGET_REQUESTS: Record<string, (input: any, region: string, account: string) => Array<{ action: string; resource: string }>> = {
  'cloudformation:DetectStackDrift': (input, region, account) => {
    const stack = stackArn(input.StackName, region, account);
    return [{ action: 'cloudformation:DetectStackDrift', resource: stack }, { action: 'cloudformation:DetectStackResourceDrift', resource: stack }];
  },
};

/**
 * The managed rule cloudformation-stack-drift-detection-check: AWS Config assumes the role of
 * its cloudformationRoleArn parameter (with aws:SourceAccount, as for the recorder's role:
 * docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html) and, as that role,
 * runs DetectStackDrift on each stack of the account and region and reads the detection's status
 * (docs.aws.amazon.com/config/latest/developerguide/cloudformation-stack-drift-detection-check.html).
 * A stack named `any-stack` stands for every stack; the reads of the stacks' resources are not
 * evaluated.
 */
function configDriftRules(f: Finder): void {
  for (const rule of f.assembly.resourcesOfType('AWS::Config::ConfigRule')) {
    const source = rule.properties.Source ?? {};
    if (source.Owner !== 'AWS' || source.SourceIdentifier !== 'CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK') continue;
    const parameters = typeof rule.properties.InputParameters === 'string' ? JSON.parse(rule.properties.InputParameters) : rule.properties.InputParameters ?? {};
    if (!parameters.cloudformationRoleArn) {
      f.structural.push({ kind: 'AWS Config drift check -> stacks', from: rule, message: 'cloudformation-stack-drift-detection-check needs its cloudformationRoleArn parameter: the role AWS Config detects drift with' });
      continue;
    }
    const roleArn = roleArnOf(f, parameters.cloudformationRoleArn, rule);
    const stack = stackArn('any-stack', rule.stack.region, rule.stack.account);
    f.edges.push({
      kind: 'AWS Config drift check -> stacks', from: rule, to: roleArn,
      requests: throughRole('config.amazonaws.com', roleArn, { 'aws:SourceAccount': rule.stack.account }, [
        { action: 'cloudformation:DetectStackDrift', resource: stack },
        { action: 'cloudformation:DetectStackResourceDrift', resource: stack },
        { action: 'cloudformation:DescribeStackDriftDetectionStatus', resource: '*' },
      ]),
    });
  }
}

/**
 * What the role of an ECS templated target does: RunTask on the task definition, with the
 * cluster in `ecs:cluster` (docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html);
 * PassRole for the task definition's execution and task roles, passed to ecs-tasks.amazonaws.com
 * (docs.aws.amazon.com/AmazonECS/latest/developerguide/CWE_IAM_role.html); TagResource on the new
 * task when tags are set or propagated, with ecs:CreateAction RunTask
 * (docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html).
 * Scheduler's ECS target (docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html)
 * calls RunTask as the schedule's role.
 */
function ecsRunTaskActs(f: Finder, clusterArn: string, parameters: any): Array<{ action: string; resource: string; context?: Record<string, string | string[]> }> {
  const taskDefinitionArn = String(parameters.TaskDefinitionArn);
  const acts: Array<{ action: string; resource: string; context?: Record<string, string | string[]> }> = [
    { action: 'ecs:RunTask', resource: taskDefinitionArn, context: { 'ecs:cluster': clusterArn } },
  ];
  const task = f.assembly.findByArn(taskDefinitionArn, 'AWS::ECS::TaskDefinition');
  if (task) {
    for (const reference of [task.properties.ExecutionRoleArn, task.properties.TaskRoleArn]) {
      if (reference) acts.push({ action: 'iam:PassRole', resource: roleArnOf(f, String(reference), task), context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    }
  } else {
    f.uncovered.push(`ECS task definition ${taskDefinitionArn} is not in the assembly: its roles cannot be checked`);
  }
  if (parameters.Tags || parameters.PropagateTags) {
    const clusterName = clusterArn.split('/').pop();
    const arn = parseArn(clusterArn);
    acts.push({ action: 'ecs:TagResource', resource: `arn:aws:ecs:${arn?.region}:${arn?.account}:task/${clusterName}/0123456789abcdef0123456789abcdef`, context: { 'ecs:CreateAction': 'RunTask' } });
  }
  return acts;
}

/** Data Lifecycle Manager works as its execution role (docs.aws.amazon.com/ebs/latest/userguide/service-role.html). */
function lifecyclePolicies(f: Finder): void {
  for (const policy of f.assembly.resourcesOfType('AWS::DLM::LifecyclePolicy')) {
    const role = String(policy.properties.ExecutionRoleArn);
    f.edges.push({
      kind: 'Data Lifecycle Manager -> snapshots', from: policy, to: role,
      requests: throughRole('dlm.amazonaws.com', role, { 'aws:SourceAccount': policy.stack.account }, [
        { action: 'ec2:CreateSnapshot', resource: '*' }, { action: 'ec2:DeleteSnapshot', resource: '*' }, { action: 'ec2:CopySnapshot', resource: '*' },
      ]),
    });
  }
}

/**
 * EventBridge Pipes works as the pipe's role, which pipes.amazonaws.com assumes with
 * aws:SourceAccount and the pipe's aws:SourceArn (docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html).
 * An SQS source needs sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes on the
 * queue, and kms:Decrypt on an SSE-KMS queue's key, which SQS asks for on the caller's behalf
 * (docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
 * A Kinesis data stream source needs kinesis:DescribeStream, DescribeStreamSummary, GetRecords,
 * GetShardIterator and ListShards on the stream (the same page, "Kinesis execution role
 * permissions", also lists ListStreams, which names no resource, and SubscribeToShard, for
 * enhanced fan-out consumers, which a pipe reading with GetRecords is not), and kms:Decrypt on a
 * customer managed stream key, which Kinesis asks for on the caller's behalf with the stream ARN
 * as encryption context (docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
 * Records of failed batches of a stream source go to the pipe's dead-letter queue, sent as the
 * role (sqs:SendMessage, and the queue key to encrypt).
 * A Step Functions target is started with states:StartExecution (FIRE_AND_FORGET, standard
 * workflows) or states:StartSyncExecution (REQUEST_RESPONSE, express workflows); an SNS topic
 * target is published to with sns:Publish, and an SSE-KMS topic's key is used through SNS
 * (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html); an event bus target gets
 * events:PutEvents (docs.aws.amazon.com/eventbridge/latest/pipes-reference/pipes-targets.html,
 * "Enrichment and target permissions": the pipe's role makes every target call). Other sources
 * and targets are not modelled and fail as not covered.
 */
function eventPipes(f: Finder): void {
  for (const pipe of f.assembly.resourcesOfType('AWS::Pipes::Pipe')) {
    const p = pipe.properties;
    const role = String(p.RoleArn);
    const pipeArn = `arn:aws:pipes:${pipe.stack.region}:${pipe.stack.account}:pipe/${p.Name ?? pipe.ref}`;
    const ctx = { 'aws:SourceAccount': pipe.stack.account, 'aws:SourceArn': pipeArn };
    const sourceArn = String(p.Source);
    const target = String(p.Target);
    if (parseArn(sourceArn)?.service === 'sqs') {
      const queue = f.assembly.findByArn(sourceArn, 'AWS::SQS::Queue');
      const acts: Array<{ action: string; resource: string; context?: Record<string, string> }> = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']
        .map((action) => ({ action, resource: sourceArn }));
      if (queue?.properties.KmsMasterKeyId) {
        acts.push({
          action: 'kms:Decrypt', resource: keyArnOf(f, queue.properties.KmsMasterKeyId, queue),
          context: { 'kms:ViaService': `sqs.${queue.stack.region}.amazonaws.com`, 'kms:EncryptionContext:aws:sqs:arn': sourceArn },
        });
      }
      f.edges.push({ kind: 'EventBridge pipe -> SQS source', from: pipe, to: sourceArn, requests: throughRole('pipes.amazonaws.com', role, ctx, acts) });
    } else if (parseArn(sourceArn)?.service === 'kinesis') {
      const stream = f.assembly.findByArn(sourceArn, 'AWS::Kinesis::Stream');
      const acts: Array<{ action: string; resource: string; context?: Record<string, string> }> = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards']
        .map((action) => ({ action, resource: sourceArn }));
      const keyId = stream?.properties.StreamEncryption?.EncryptionType === 'KMS' ? String(stream.properties.StreamEncryption.KeyId) : undefined;
      if (stream && keyId && !/alias\/aws\/kinesis$/.test(keyId)) {
        acts.push({
          action: 'kms:Decrypt', resource: keyArnOf(f, keyId, stream),
          context: { 'kms:ViaService': `kinesis.${stream.stack.region}.amazonaws.com`, 'kms:EncryptionContext:aws:kinesis:arn': sourceArn },
        });
      }
      f.edges.push({ kind: 'EventBridge pipe -> Kinesis source', from: pipe, to: sourceArn, requests: throughRole('pipes.amazonaws.com', role, ctx, acts) });
      const dlq = p.SourceParameters?.KinesisStreamParameters?.DeadLetterConfig?.Arn;
      if (dlq) f.edges.push({ kind: 'EventBridge pipe -> dead-letter queue', from: pipe, to: dlq, requests: sendToQueue(f, role, String(dlq), {}) });
    } else {
      f.uncovered.push(`${pipe.label}: pipe source ${sourceArn}`);
    }
    if (parseArn(target)?.service === 'states') {
      const sync = p.TargetParameters?.StepFunctionStateMachineParameters?.InvocationType === 'REQUEST_RESPONSE';
      f.edges.push({
        kind: 'EventBridge pipe -> Step Functions', from: pipe, to: target,
        requests: throughRole('pipes.amazonaws.com', role, ctx, [{ action: sync ? 'states:StartSyncExecution' : 'states:StartExecution', resource: target }]),
      });
    } else if (parseArn(target)?.service === 'sns') {
      f.edges.push({ kind: 'EventBridge pipe -> SNS topic', from: pipe, to: target, requests: [...throughRole('pipes.amazonaws.com', role, ctx, []), ...publishToTopic(f, role, target, {})] });
    } else if (parseArn(target)?.service === 'events') {
      f.edges.push({ kind: 'EventBridge pipe -> event bus', from: pipe, to: target, requests: throughRole('pipes.amazonaws.com', role, ctx, [{ action: 'events:PutEvents', resource: target }]) });
    } else {
      f.uncovered.push(`${pipe.label}: pipe target ${target}`);
    }
    if (p.Enrichment) f.uncovered.push(`${pipe.label}: pipe enrichment ${p.Enrichment}`);
  }
}

/**
 * The ARN of an SSM document named in a task or step. AWS-owned documents (`AWS-*`) have an empty
 * account field (`arn:aws:ssm:<region>::document/AWS-RunPatchBaseline`); index.ts maps that empty
 * field to a stand-in account in the policies and the request alike (mapResourceArn), so a policy
 * naming the AWS-owned document (or `*` as its account) allows it and a policy naming the user's
 * own account, which would not match the real ARN, fails as it would in AWS.
 */
function ssmDocumentArn(name: string, region: string, account: string): string {
  if (name.startsWith('arn:')) return name;
  return /^(AWS|AWSEC2|AWSSupport|AWSConfigRemediation|AmazonCloudWatch)-/.test(name)
    ? `arn:aws:ssm:${region}::document/${name}` : `arn:aws:ssm:${region}:${account}:document/${name}`;
}

/** Stand-ins for the resources a command or runbook acts on, which get their ids at run time. */
const EXAMPLE_INSTANCE = 'i-0123456789abcdef0';

/**
 * Maintenance window tasks: Systems Manager assumes the task's ServiceRoleArn (the custom service
 * role's trust admits ssm.amazonaws.com, docs.aws.amazon.com/systems-manager/latest/userguide/configuring-maintenance-window-permissions-cli.html;
 * the check sends aws:SourceAccount only, the one key that guide's confused-deputy page documents
 * for it) and, for a RUN_COMMAND task, calls SendCommand as that role. IAM authorizes SendCommand
 * on the document and on every target node, EC2 instances and hybrid managed instances alike
 * (Service Authorization Reference, Systems Manager, SendCommand), then the task follows the
 * invocations. A task without a role uses the Systems Manager service-linked role, whose
 * permissions are AWS's.
 */
function maintenanceWindowTasks(f: Finder): void {
  for (const task of f.assembly.resourcesOfType('AWS::SSM::MaintenanceWindowTask')) {
    if (!task.properties.ServiceRoleArn) continue;
    const roleArn = roleArnOf(f, task.properties.ServiceRoleArn, task);
    if (roleArn.includes('/aws-service-role/')) continue;
    const { region, account } = task.stack;
    if (task.properties.TaskType !== 'RUN_COMMAND') {
      f.uncovered.push(`${task.label}: maintenance window task type ${task.properties.TaskType}`);
      continue;
    }
    f.edges.push({
      kind: 'maintenance window task -> Run Command', from: task, to: String(task.properties.TaskArn),
      requests: throughRole('ssm.amazonaws.com', roleArn, { 'aws:SourceAccount': account }, [
        { action: 'ssm:SendCommand', resource: ssmDocumentArn(String(task.properties.TaskArn), region, account) },
        { action: 'ssm:SendCommand', resource: `arn:aws:ec2:${region}:${account}:instance/${EXAMPLE_INSTANCE}` },
        { action: 'ssm:SendCommand', resource: `arn:aws:ssm:${region}:${account}:managed-instance/mi-0123456789abcdef0` },
        { action: 'ssm:ListCommandInvocations', resource: '*' },
      ]),
    });
  }
}

/**
 * Kinesis Data Streams for DynamoDB: a table (or each replica of a global table) writes its item
 * changes to a data stream as DynamoDB's service-linked role
 * AWSServiceRoleForDynamoDBKinesisDataStreamsReplication
 * (docs.aws.amazon.com/amazondynamodb/latest/developerguide/kds_iam.html), whose policy allows
 * kinesis:PutRecord(s) and kinesis:DescribeStream on any stream and kms:GenerateDataKey through
 * Kinesis (docs.aws.amazon.com/aws-managed-policy/latest/reference/DynamoDBKinesisReplicationServiceRolePolicy.html).
 * Its identity side is AWS's; what this check judges is the stream's customer managed key, whose
 * key policy must admit the role (directly or by delegating to the account), with the stream ARN
 * as encryption context (docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
 * The stream must be in the replica's region: a stream elsewhere is a structural problem.
 */
function dynamoDbChangeCapture(f: Finder): void {
  const destinations: Array<{ table: DeployedResource; region: string; streamArn: string }> = [];
  for (const table of f.assembly.resourcesOfType('AWS::DynamoDB::GlobalTable')) {
    for (const replica of asArray<any>(table.properties.Replicas)) {
      const streamArn = replica.KinesisStreamSpecification?.StreamArn;
      if (streamArn) destinations.push({ table, region: String(replica.Region), streamArn: String(streamArn) });
    }
  }
  for (const table of f.assembly.resourcesOfType('AWS::DynamoDB::Table')) {
    const streamArn = table.properties.KinesisStreamSpecification?.StreamArn;
    if (streamArn) destinations.push({ table, region: table.stack.region, streamArn: String(streamArn) });
  }
  for (const { table, region, streamArn } of destinations) {
    const account = table.stack.account;
    const role = `arn:aws:iam::${account}:role/aws-service-role/kinesisreplication.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBKinesisDataStreamsReplication`;
    const arn = parseArn(streamArn);
    if (arn && arn.region !== region) {
      f.structural.push({ kind: 'DynamoDB -> Kinesis data stream', from: table, message: `the replica in ${region} streams to ${streamArn}, in ${arn.region}: the stream must be in the replica's region` });
    }
    const requests: EdgeRequest[] = ['kinesis:PutRecords', 'kinesis:DescribeStream'].map((action) => ({ principal: role, action, resource: streamArn }));
    const stream = f.assembly.findByArn(streamArn, 'AWS::Kinesis::Stream');
    const keyId = stream?.properties.StreamEncryption?.EncryptionType === 'KMS' ? String(stream.properties.StreamEncryption.KeyId) : undefined;
    if (stream && keyId && !/alias\/aws\/kinesis$/.test(keyId)) {
      requests.push({
        principal: role, action: 'kms:GenerateDataKey', resource: keyArnOf(f, keyId, stream),
        context: { 'kms:ViaService': `kinesis.${stream.stack.region}.amazonaws.com`, 'kms:EncryptionContext:aws:kinesis:arn': streamArn },
      });
    }
    f.edges.push({ kind: 'DynamoDB -> Kinesis data stream', from: table, to: `${streamArn} (replica in ${region})`, requests });
  }
}

/**
 * The CloudWatch agent that an `AmazonCloudWatch-ManageAgent` association configures from a
 * Parameter Store parameter (optionalConfigurationSource `ssm`) runs on the target instances with
 * their instance role, and makes these requests
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/create-iam-roles-for-cloudwatch-agent.html;
 * the AWS managed CloudWatchAgentServerPolicy lists the same actions):
 * ssm:GetParameter on the parameter (fetch-config), cloudwatch:PutMetricData with the
 * cloudwatch:namespace of the configuration (docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html),
 * ec2:DescribeTags for the AutoScalingGroupName dimension, and logs:CreateLogStream /
 * logs:PutLogEvents on each configured log group. The target instances are those of the
 * assembly whose tags match the association's `tag:` targets: EC2 instances, launch templates
 * (instance tag specifications) and Auto Scaling groups (propagated tags, and the
 * `aws:autoscaling:groupName` tag); their instance profile names the role. Targets that match
 * no instance of the assembly (instances launched elsewhere) give no edge.
 */
function cloudWatchAgents(f: Finder): void {
  for (const association of f.assembly.resourcesOfType('AWS::SSM::Association')) {
    const p = association.properties;
    if (p.Name !== 'AmazonCloudWatch-ManageAgent' || asArray<string>(p.Parameters?.optionalConfigurationSource)[0] !== 'ssm') continue;
    const location = asArray<string>(p.Parameters?.optionalConfigurationLocation)[0];
    const parameter = f.assembly.resourcesOfType('AWS::SSM::Parameter').find((r) => r.stack === association.stack && r.ref === location);
    if (!parameter) {
      f.uncovered.push(`${association.label}: agent configuration parameter ${location} is not in the assembly`);
      continue;
    }
    let config: any;
    try {
      config = JSON.parse(String(parameter.properties.Value));
    } catch {
      f.uncovered.push(`${association.label}: agent configuration in ${parameter.label} is not JSON`);
      continue;
    }
    const { account, region } = association.stack;
    const namespace = config.metrics?.namespace ?? 'CWAgent';
    const groups = asArray<any>(config.logs?.logs_collected?.files?.collect_list).map((c) => String(c.log_group_name));
    for (const role of agentRoles(f, association)) {
      const requests: EdgeRequest[] = [{ principal: role, action: 'ssm:GetParameter', resource: parameter.arn! }];
      if (config.metrics) {
        requests.push({ principal: role, action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': namespace } });
        requests.push({ principal: role, action: 'ec2:DescribeTags', resource: '*' });
      }
      for (const group of groups) {
        const stream = `arn:aws:logs:${region}:${account}:log-group:${group}:log-stream:i-0123456789abcdef0`;
        requests.push({ principal: role, action: 'logs:CreateLogStream', resource: stream }, { principal: role, action: 'logs:PutLogEvents', resource: stream });
      }
      f.edges.push({ kind: 'CloudWatch agent (instance role) -> metrics, logs, configuration', from: association, to: role, requests });
    }
  }
}

/** The instance roles of the assembly's instances that the association's tag targets select. */
function agentRoles(f: Finder, association: DeployedResource): string[] {
  const targets = asArray<any>(association.properties.Targets).filter((t) => String(t.Key).startsWith('tag:'))
    .map((t) => ({ key: String(t.Key).slice(4), values: asArray<string>(t.Values) }));
  const matches = (tags: Array<{ Key: string; Value: string }>) => targets.some((t) => tags.some((tag) => tag.Key === t.key && t.values.includes(tag.Value)));
  const stack = association.stack;
  const resources = [...stack.resources.values()];
  const roleOfProfile = (profileRef: string | undefined): string | undefined => {
    if (!profileRef) return undefined;
    const profile = resources.find((r) => r.type === 'AWS::IAM::InstanceProfile' && (r.arn === profileRef || r.ref === profileRef));
    const roleName = profile && asArray<string>(profile.properties.Roles)[0];
    return roleName ? roleArnOf(f, roleName, profile!) : undefined;
  };
  const templateTags = (template: DeployedResource) => asArray<any>(template.properties.LaunchTemplateData?.TagSpecifications)
    .filter((s) => s.ResourceType === 'instance').flatMap((s) => asArray<any>(s.Tags));
  const templateRole = (template: DeployedResource) => roleOfProfile(template.properties.LaunchTemplateData?.IamInstanceProfile?.Arn ?? template.properties.LaunchTemplateData?.IamInstanceProfile?.Name);
  const roles = new Set<string>();
  for (const instance of resources.filter((r) => r.type === 'AWS::EC2::Instance')) {
    if (matches(asArray<any>(instance.properties.Tags))) {
      const role = roleOfProfile(instance.properties.IamInstanceProfile);
      if (role) roles.add(role);
    }
  }
  for (const template of resources.filter((r) => r.type === 'AWS::EC2::LaunchTemplate')) {
    if (matches(templateTags(template))) {
      const role = templateRole(template);
      if (role) roles.add(role);
    }
  }
  for (const group of resources.filter((r) => r.type === 'AWS::AutoScaling::AutoScalingGroup')) {
    const propagated = asArray<any>(group.properties.Tags).filter((t) => t.PropagateAtLaunch === true || t.PropagateAtLaunch === 'true');
    if (!matches([...propagated, { Key: 'aws:autoscaling:groupName', Value: group.ref }])) continue;
    const template = resources.find((r) => r.type === 'AWS::EC2::LaunchTemplate' && r.ref === group.properties.LaunchTemplate?.LaunchTemplateId);
    const role = template && templateRole(template);
    if (role) roles.add(role);
  }
  return [...roles];
}

/** The ARN resource type of each RDS event source type. */
const RDS_SOURCE_RESOURCE: Record<string, string> = {
  'db-instance': 'db', 'db-cluster': 'cluster', 'db-parameter-group': 'pg', 'db-cluster-parameter-group': 'cluster-pg',
  'db-security-group': 'secgrp', 'db-snapshot': 'snapshot', 'db-cluster-snapshot': 'cluster-snapshot', 'db-proxy': 'db-proxy',
};

/**
 * RDS event subscriptions: for each source the subscription names (or a stand-in source of its
 * type when it names none), RDS publishes to the topic as that source.
 */
function rdsEventSubscriptions(f: Finder): void {
  for (const sub of f.assembly.resourcesOfType('AWS::RDS::EventSubscription')) {
    const p = sub.properties;
    const { account, region } = sub.stack;
    const type = RDS_SOURCE_RESOURCE[String(p.SourceType ?? 'db-instance')] ?? 'db';
    const ids = asArray<string>(p.SourceIds);
    const requests = (ids.length > 0 ? ids : ['any-source']).flatMap((id) => publishToTopic(f, 'events.rds.amazonaws.com', String(p.SnsTopicArn),
      { 'aws:SourceAccount': account, 'aws:SourceArn': `arn:aws:rds:${region}:${account}:${type}:${String(id).toLowerCase()}` }));
    f.edges.push({ kind: 'RDS event subscription -> SNS', from: sub, to: String(p.SnsTopicArn), requests });
  }
}

/**
 * Automation runbooks (AWS::SSM::Document of type Automation) that name their role: Systems
 * Manager assumes it with aws:SourceAccount and the execution's aws:SourceArn
 * (docs.aws.amazon.com/systems-manager/latest/userguide/automation-setup-iam.html), then each
 * step acts as that role (docs.aws.amazon.com/systems-manager/latest/userguide/automation-actions.html):
 * - aws:runInstances: ec2:RunInstances on every resource it touches, the instance and volume with
 *   the tags of TagSpecifications as aws:RequestTag, ec2:CreateTags for those tags with
 *   ec2:CreateAction=RunInstances (docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html),
 *   and iam:PassRole of the instance profile's role with iam:PassedToService=ec2.amazonaws.com;
 * - aws:runCommand: ssm:SendCommand on the document and the instance;
 * - aws:changeInstanceState: Stop/Start/TerminateInstances on the instance;
 * - aws:createImage: ec2:CreateImage on the instance, the new image and its snapshots.
 * The launched instance carries the tags of the aws:runInstances step as aws:ResourceTag. The
 * Describe and List calls the actions poll with are checked on *.
 */
function automationRunbooks(f: Finder): void {
  for (const document of f.assembly.resourcesOfType('AWS::SSM::Document')) {
    if (document.properties.DocumentType !== 'Automation') continue;
    let content: any = document.properties.Content;
    if (typeof content === 'string') {
      try {
        content = JSON.parse(content);
      } catch {
        f.uncovered.push(`${document.label}: Automation runbook content that is not JSON`);
        continue;
      }
    }
    const parameters = content?.parameters ?? {};
    const value = (v: unknown): string | undefined => {
      const reference = /^\{\{\s*([A-Za-z0-9_]+)\s*\}\}$/.exec(String(v ?? ''));
      return reference ? parameters[reference[1]]?.default : v === undefined ? undefined : String(v);
    };
    const assumeRole = value(content?.assumeRole);
    if (!assumeRole) continue;
    const roleArn = roleArnOf(f, assumeRole, document);
    const { region, account } = document.stack;
    const ec2 = (type: string, id: string, owner = account) => `arn:aws:ec2:${region}:${owner}:${type}/${id}`;
    const instance = ec2('instance', EXAMPLE_INSTANCE);
    let resourceTags: Record<string, string> = {};
    const acts: Array<{ action: string; resource: string; context?: Record<string, string | string[]> }> = [];
    for (const step of asArray<any>(content.mainSteps)) {
      const inputs = step.inputs ?? {};
      switch (step.action) {
        case 'aws:runInstances': {
          const tagged = asArray<any>(inputs.TagSpecifications).find((t) => t.ResourceType === 'instance');
          resourceTags = Object.fromEntries(asArray<any>(tagged?.Tags).map((t) => [`aws:ResourceTag/${t.Key}`, String(t.Value)]));
          const requestTags: Record<string, string | string[]> = Object.fromEntries(asArray<any>(tagged?.Tags).map((t) => [`aws:RequestTag/${t.Key}`, String(t.Value)]));
          if (tagged) requestTags['aws:TagKeys'] = asArray<any>(tagged.Tags).map((t) => String(t.Key));
          acts.push(
            { action: 'ec2:RunInstances', resource: instance, context: requestTags },
            { action: 'ec2:RunInstances', resource: ec2('volume', 'vol-0123456789abcdef0'), context: requestTags },
            { action: 'ec2:RunInstances', resource: ec2('image', 'ami-0123456789abcdef0', '') },
            { action: 'ec2:RunInstances', resource: ec2('subnet', 'subnet-0123456789abcdef0') },
            { action: 'ec2:RunInstances', resource: ec2('security-group', 'sg-0123456789abcdef0') },
            { action: 'ec2:RunInstances', resource: ec2('network-interface', 'eni-0123456789abcdef0') },
            { action: 'ec2:DescribeInstanceStatus', resource: '*' },
          );
          if (tagged) {
            for (const resource of [instance, ec2('volume', 'vol-0123456789abcdef0')]) {
              acts.push({ action: 'ec2:CreateTags', resource, context: { 'ec2:CreateAction': 'RunInstances', ...requestTags } });
            }
          }
          const profileName = value(inputs.IamInstanceProfileName);
          if (profileName) {
            const profile = f.assembly.resourcesOfType('AWS::IAM::InstanceProfile').find((p) => p.stack.account === account && p.ref === profileName);
            const roleName = profile && asArray<string>(profile.properties.Roles)[0];
            if (roleName) {
              acts.push({ action: 'iam:PassRole', resource: roleArnOf(f, roleName, profile), context: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
            } else {
              f.uncovered.push(`${document.label}: instance profile ${profileName} of step ${step.name} is not in the assembly`);
            }
          } else if (inputs.IamInstanceProfileArn) {
            f.uncovered.push(`${document.label}: instance profile by ARN in step ${step.name}`);
          }
          break;
        }
        case 'aws:runCommand':
          acts.push(
            { action: 'ssm:SendCommand', resource: ssmDocumentArn(String(value(inputs.DocumentName)), region, account) },
            { action: 'ssm:SendCommand', resource: instance, context: resourceTags },
            { action: 'ssm:ListCommandInvocations', resource: '*' },
          );
          break;
        case 'aws:changeInstanceState': {
          const action = ({ stopped: 'ec2:StopInstances', running: 'ec2:StartInstances', terminated: 'ec2:TerminateInstances' } as Record<string, string>)[String(value(inputs.DesiredState))];
          if (action) acts.push({ action, resource: instance, context: resourceTags }, { action: 'ec2:DescribeInstanceStatus', resource: '*' });
          else f.uncovered.push(`${document.label}: instance state ${inputs.DesiredState} of step ${step.name}`);
          break;
        }
        case 'aws:createImage':
          acts.push(
            { action: 'ec2:CreateImage', resource: instance, context: resourceTags },
            { action: 'ec2:CreateImage', resource: ec2('image', 'ami-0fedcba9876543210', '') },
            { action: 'ec2:CreateImage', resource: ec2('snapshot', 'snap-0123456789abcdef0', '') },
            { action: 'ec2:DescribeImages', resource: '*' },
          );
          break;
        default:
          f.uncovered.push(`${document.label}: Automation action ${step.action} of step ${step.name}`);
      }
    }
    const execution = `arn:aws:ssm:${region}:${account}:automation-execution/00000000-0000-0000-0000-000000000000`;
    f.edges.push({
      kind: 'SSM Automation runbook -> its role', from: document, to: roleArn,
      requests: throughRole('ssm.amazonaws.com', roleArn, { 'aws:SourceAccount': account, 'aws:SourceArn': execution }, acts),
    });
  }
}

/**
 * What a service adds when it assumes a role: Elastic Beanstalk passes the external id
 * `elasticbeanstalk` (docs.aws.amazon.com/elasticbeanstalk/latest/dg/iam-servicerole.html).
 */
const ASSUME_CONTEXT: Record<string, Record<string, string>> = {
  'elasticbeanstalk.amazonaws.com': { 'sts:ExternalId': 'elasticbeanstalk' },
};

/** Roles handed to a service: the service must be able to assume them. */
function roleTrusts(f: Finder): void {
  const handed: Array<[string, string, (r: DeployedResource) => string | undefined]> = [
    ['AWS::Lambda::Function', 'lambda.amazonaws.com', (r) => r.properties.Role],
    ['AWS::CodeBuild::Project', 'codebuild.amazonaws.com', (r) => r.properties.ServiceRole],
    ['AWS::StepFunctions::StateMachine', 'states.amazonaws.com', (r) => r.properties.RoleArn],
    ['AWS::CodeDeploy::DeploymentGroup', 'codedeploy.amazonaws.com', (r) => r.properties.ServiceRoleArn],
    ['AWS::ECS::TaskDefinition', 'ecs-tasks.amazonaws.com', (r) => r.properties.ExecutionRoleArn],
    ['AWS::ECS::TaskDefinition', 'ecs-tasks.amazonaws.com', (r) => r.properties.TaskRoleArn],
    ['AWS::IAM::InstanceProfile', 'ec2.amazonaws.com', (r) => asArray<string>(r.properties.Roles)[0]],
    ['AWS::Config::RemediationConfiguration', 'ssm.amazonaws.com', (r) => asArray<string>(r.properties.Parameters?.AutomationAssumeRole?.StaticValue?.Values)[0]],
    ['AWS::Config::ConfigurationRecorder', 'config.amazonaws.com', (r) => r.properties.RoleARN],
    // RDS enhanced monitoring (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html).
    ['AWS::RDS::DBInstance', 'monitoring.rds.amazonaws.com', (r) => r.properties.MonitoringRoleArn],
    ['AWS::RDS::DBCluster', 'monitoring.rds.amazonaws.com', (r) => r.properties.MonitoringRoleArn],
    // Amazon Q Developer in chat applications assumes the channel role for what people run from
    // the channel (docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-iam-policies.html).
    ['AWS::Chatbot::SlackChannelConfiguration', 'chatbot.amazonaws.com', (r) => r.properties.IamRoleArn],
    ['AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 'chatbot.amazonaws.com', (r) => r.properties.IamRoleArn],
    ['AWS::ElasticBeanstalk::Environment', 'elasticbeanstalk.amazonaws.com',
      (r) => asArray<any>(r.properties.OptionSettings).find((o) => o.Namespace === 'aws:elasticbeanstalk:environment' && o.OptionName === 'ServiceRole')?.Value],
  ];
  for (const [type, service, roleOf] of handed) {
    for (const resource of f.assembly.resourcesOfType(type)) {
      const reference = roleOf(resource);
      if (!reference) continue;
      const roleArn = roleArnOf(f, reference, resource);
      if (roleArn.includes('/aws-service-role/')) continue;
      f.edges.push({
        kind: `${service.split('.')[0]} assumes its role`, from: resource, to: roleArn,
        requests: [{ principal: service, action: 'sts:AssumeRole', resource: roleArn, context: { 'aws:SourceAccount': resource.stack.account, ...ASSUME_CONTEXT[service] } }],
      });
    }
  }
}

/**
 * A Service Catalog launch constraint: when an end user launches, updates or terminates the
 * product, Service Catalog assumes the launch role (servicecatalog.amazonaws.com) and, with it,
 * checks the template and creates, updates or deletes the provisioned product's stack, named
 * SC-<account>-pp-<id> (docs.aws.amazon.com/servicecatalog/latest/adminguide/constraints-launch.html;
 * the actions are those the guide's launch role lists, .../getstarted-launchconstraint.html). The
 * guide documents no aws:SourceAccount or aws:SourceArn on the assumption, so the request carries
 * none. A constraint by LocalRoleName uses the role of that name in the launching account; the
 * constraint's own account stands for it. Not evaluated: the template read (s3:GetObject on
 * objects tagged servicecatalog:provisioning=true), whose bucket and bucket policy are Service
 * Catalog's own, outside any assembly; and what the product's resources need, which depends on
 * the product template.
 */
function launchConstraints(f: Finder): void {
  for (const constraint of f.assembly.resourcesOfType('AWS::ServiceCatalog::LaunchRoleConstraint')) {
    const p = constraint.properties;
    const { account, region } = constraint.stack;
    const roleArn = p.RoleArn ? roleArnOf(f, p.RoleArn, constraint) : p.LocalRoleName ? `arn:aws:iam::${account}:role/${p.LocalRoleName}` : undefined;
    if (!roleArn) {
      f.uncovered.push(`${constraint.label}: launch constraint with neither RoleArn nor LocalRoleName`);
      continue;
    }
    const stackArn = `arn:aws:cloudformation:${region}:${account}:stack/SC-${account}-pp-abcdefghijklm/0a1b2c3d-0000-4000-8000-000000000000`;
    f.edges.push({
      kind: 'Service Catalog launch role', from: constraint, to: roleArn,
      requests: throughRole('servicecatalog.amazonaws.com', roleArn, {}, [
        { action: 'cloudformation:ValidateTemplate', resource: '*' },
        { action: 'cloudformation:GetTemplateSummary', resource: '*' },
        ...['CreateStack', 'DescribeStacks', 'DescribeStackEvents', 'SetStackPolicy', 'UpdateStack', 'DeleteStack']
          .map((action) => ({ action: `cloudformation:${action}`, resource: stackArn })),
      ]),
    });
  }
}

/**
 * Amazon EKS (see the header): the cluster role (assumed with session tags, used on the secrets
 * key), the node roles of Auto Mode and of managed node groups, and Pod Identity roles. The
 * control-plane log group needs no policy: EKS delivers to /aws/eks/<name>/cluster itself, and
 * the log group's key is an edge of its own (CloudWatch Logs -> log group KMS key).
 */
function eksClusters(f: Finder): void {
  for (const cluster of f.assembly.resourcesOfType('AWS::EKS::Cluster')) {
    const p = cluster.properties;
    const roleArn = roleArnOf(f, p.RoleArn, cluster);
    const requests: EdgeRequest[] = ['sts:AssumeRole', 'sts:TagSession'].map((action) => ({ principal: 'eks.amazonaws.com', action, resource: roleArn }));
    for (const config of asArray<any>(p.EncryptionConfig)) {
      const key = keyArnOf(f, config.Provider.KeyArn, cluster);
      requests.push(...['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'].map((action) => ({ principal: roleArn, action, resource: key })));
      requests.push({ principal: roleArn, action: 'kms:CreateGrant', resource: key, context: { 'kms:GrantIsForAWSResource': 'true' } });
    }
    f.edges.push({ kind: 'EKS cluster role', from: cluster, to: roleArn, requests });
    if (p.ComputeConfig?.Enabled && p.ComputeConfig.NodeRoleArn) {
      const nodeRole = roleArnOf(f, p.ComputeConfig.NodeRoleArn, cluster);
      f.edges.push({ kind: 'EKS node role (ec2)', from: cluster, to: nodeRole, requests: [{ principal: 'ec2.amazonaws.com', action: 'sts:AssumeRole', resource: nodeRole }] });
    }
  }
  for (const group of f.assembly.resourcesOfType('AWS::EKS::Nodegroup')) {
    const nodeRole = roleArnOf(f, group.properties.NodeRole, group);
    f.edges.push({ kind: 'EKS node role (ec2)', from: group, to: nodeRole, requests: [{ principal: 'ec2.amazonaws.com', action: 'sts:AssumeRole', resource: nodeRole }] });
  }
  for (const association of f.assembly.resourcesOfType('AWS::EKS::PodIdentityAssociation')) {
    const p = association.properties;
    const roleArn = roleArnOf(f, p.RoleArn, association);
    const { account, region } = association.stack;
    const context = { 'aws:SourceAccount': account, 'aws:SourceArn': `arn:aws:eks:${region}:${account}:cluster/${p.ClusterName}` };
    f.edges.push({
      kind: 'EKS Pod Identity', from: association, to: roleArn,
      requests: ['sts:AssumeRole', 'sts:TagSession'].map((action) => ({ principal: 'pods.eks.amazonaws.com', action, resource: roleArn, context })),
    });
  }
}
