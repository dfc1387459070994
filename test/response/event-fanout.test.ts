import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EventFanout, EventFanoutProps } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addEventFanoutExamples } from '../../examples/response/event-fanout';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Fanout', { env: ENV });
}

function idOf(template: Template, type: string, pattern: RegExp): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('RSP-3 EventFanout', () => {
  const app = exampleTestApp();
  const { eventFanout } = addEventFanoutExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(eventFanout);
  const topicRef = { Ref: Match.stringLikeRegexp('^UploadsTopic[0-9A-F]{8}$') };

  test('every service-to-service edge of the example stack is allowed by its policies (permission test)', async () => {
    const report = await expectPermissionsHold([eventFanout]);
    expect(report.edgeKinds).toMatchObject({
      'S3 event notification -> SNS': 2,
      'SNS subscription -> SQS': 2,
      'SNS subscription -> dead-letter queue': 3,
      'alarm -> SNS topic': 5,
    });
  });

  test('the bucket notifies the topic of every creation and deletion through its own NotificationConfiguration, with no helper Lambda', () => {
    example.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: {
        TopicConfigurations: [
          { Event: 's3:ObjectCreated:*', Topic: topicRef },
          { Event: 's3:ObjectRemoved:*', Topic: topicRef },
        ],
      },
    });
    example.resourceCountIs('Custom::S3BucketNotifications', 0);
    example.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('the topic policy lets S3 publish only for this bucket of this account, and exists before the bucket\'s notification configuration is written', () => {
    const policyId = idOf(example, 'AWS::SNS::TopicPolicy', /^UploadsTopicPolicy/);
    const bucketName = { 'Fn::Join': ['', [Match.stringLikeRegexp('^uploads-[0-9a-f]{8}-$'), { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]] };
    example.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'AllowS3EventNotifications',
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: topicRef,
          Condition: {
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, Match.stringLikeRegexp('^:s3:::uploads-[0-9a-f]{8}-$'), { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]] } },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        }]),
      },
    });
    example.hasResource('AWS::S3::Bucket', { Properties: Match.objectLike({ BucketName: bucketName, NotificationConfiguration: Match.anyValue() }), DependsOn: Match.arrayWith([policyId]) });
  });

  test('the topic is encrypted with its own key, which lets S3 encrypt what it publishes', () => {
    const topicKey = idOf(example, 'AWS::KMS::Key', /^UploadsTopicKey/);
    example.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [topicKey, 'Arn'] } });
    example.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('event topic'),
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 's3.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });

  test('the queue key lets SNS encrypt deliveries for this topic only', () => {
    example.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('queues and dead-letter queues'),
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Sid: 'AllowSnsDeliveryToQueues', Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*', Condition: { ArnEquals: { 'aws:SourceArn': topicRef } },
        }]),
      },
    });
  });

  test('each queue subscriber: raw delivery, a body filter where asked, its own subscription dead-letter queue', () => {
    const thumbnailsDlq = idOf(example, 'AWS::SQS::Queue', /^UploadsSubscriptionDlqThumbnails/);
    const auditDlq = idOf(example, 'AWS::SQS::Queue', /^UploadsSubscriptionDlqAudit/);
    example.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      Endpoint: { 'Fn::GetAtt': [idOf(example, 'AWS::SQS::Queue', /^UploadsQueueThumbnails/), 'Arn'] },
      RawMessageDelivery: true,
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: { Records: { eventName: [{ prefix: 'ObjectCreated:' }] } },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [thumbnailsDlq, 'Arn'] } },
    });
    example.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      Endpoint: { 'Fn::GetAtt': [idOf(example, 'AWS::SQS::Queue', /^UploadsQueueAudit/), 'Arn'] },
      RawMessageDelivery: true,
      FilterPolicy: Match.absent(),
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [auditDlq, 'Arn'] } },
    });
  });

  test('each consumer queue is encrypted with the queue key and has its own redrive dead-letter queue', () => {
    const queueKey = idOf(example, 'AWS::KMS::Key', /^UploadsQueueKey/);
    example.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [queueKey, 'Arn'] },
      VisibilityTimeout: 120,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(example, 'AWS::SQS::Queue', /^UploadsQueueDlqThumbnails/), 'Arn'] }, maxReceiveCount: 5 },
    });
    example.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [queueKey, 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(example, 'AWS::SQS::Queue', /^UploadsQueueDlqAudit/), 'Arn'] }, maxReceiveCount: 10 },
    });
    // 2 consumer queues, 2 redrive dead-letter queues, 3 subscription dead-letter queues.
    example.resourceCountIs('AWS::SQS::Queue', 7);
    for (const queue of Object.values(example.findResources('AWS::SQS::Queue'))) {
      expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [queueKey, 'Arn'] });
    }
  });

  test('the HTTPS subscriber carries its delivery policy, raw delivery and a dead-letter queue', () => {
    example.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://hooks.example.com/s3-events',
      RawMessageDelivery: true,
      DeliveryPolicy: {
        healthyRetryPolicy: { minDelayTarget: 5, maxDelayTarget: 60, numRetries: 10, backoffFunction: 'EXPONENTIAL' },
        throttlePolicy: { maxReceivesPerSecond: 10 },
        requestPolicy: { headerContentType: 'application/json' },
      },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(example, 'AWS::SQS::Queue', /^UploadsSubscriptionDlqWebhook/), 'Arn'] } },
    });
  });

  test('a subscription dead-letter queue admits SNS for this topic only, and keeps messages 14 days', () => {
    const dlq = idOf(example, 'AWS::SQS::Queue', /^UploadsSubscriptionDlqWebhook/);
    example.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1209600 });
    example.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlq }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage',
          Condition: { ArnEquals: { 'aws:SourceArn': topicRef } },
        })]),
      },
    });
  });

  test('every dead-letter queue has an alarm that tells a person when it holds messages', () => {
    example.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    example.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(example, 'AWS::SQS::Queue', /^UploadsSubscriptionDlqWebhook/), 'QueueName'] } }],
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^UploadsNotificationsTopic') }],
    });
  });

  test('key prefix and suffix filters, chosen events, and a subscriber without a dead-letter queue when they are not required', () => {
    const s = stack();
    new EventFanout(s, 'Fanout', {
      events: [s3.EventType.OBJECT_CREATED_PUT, s3.EventType.OBJECT_REMOVED_DELETE],
      objectKeyPrefix: 'incoming/', objectKeySuffix: '.csv',
      requireDeadLetterQueues: false,
      subscribers: [{ id: 'Loader', deadLetterQueue: false, rawMessageDelivery: false }],
    });
    const t = Template.fromStack(s);
    const filter = { S3Key: { Rules: [{ Name: 'prefix', Value: 'incoming/' }, { Name: 'suffix', Value: '.csv' }] } };
    t.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { TopicConfigurations: [
        { Event: 's3:ObjectCreated:Put', Topic: Match.anyValue(), Filter: filter },
        { Event: 's3:ObjectRemoved:Delete', Topic: Match.anyValue(), Filter: filter },
      ] },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', RawMessageDelivery: false, RedrivePolicy: Match.absent() });
    // The queue keeps its redrive dead-letter queue: 1 queue + 1 dead-letter queue.
    t.resourceCountIs('AWS::SQS::Queue', 2);
  });

  test('the generated bucket name stays within 63 characters for any construct id', () => {
    const s = stack();
    new EventFanout(s, 'A'.repeat(200), { subscribers: [{ id: 'A' }] });
    const bucket = Object.values(Template.fromStack(s).findResources('AWS::S3::Bucket')).find((b) => b.Properties.NotificationConfiguration)!;
    const literal = bucket.Properties.BucketName['Fn::Join'][1][0] as string;
    // 12-digit account, '-', a region name of at most 15 characters.
    expect(literal.length + 12 + 1 + 15).toBeLessThanOrEqual(63);
    expect(literal).toMatch(/^[a-z0-9]+-[0-9a-f]{8}-$/);
  });

  test('passes the checks and the permission test on its own', async () => {
    const a = checkedApp();
    const s = stack(a);
    new EventFanout(s, 'Fanout', {
      subscribers: [
        { id: 'Worker', filterPolicyWithMessageBody: { Records: sns.FilterOrPolicy.policy({ eventName: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ allowlist: ['ObjectRemoved:Delete'] })) }) } },
        { id: 'Hook', url: 'https://example.com/events', deliveryPolicy: { healthyRetryPolicy: { numRetries: 5, minDelayTarget: Duration.seconds(10) } } },
      ],
    });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['SNS subscription -> dead-letter queue']).toBe(2);
  });
});

describe('RSP-3 EventFanout refusals', () => {
  const refuse = (props: EventFanoutProps, message: string) => {
    expect(() => new EventFanout(stack(), 'Fanout', props)).toThrow(`Fanout/Fanout: invalid EventFanout props (1 problem):\n  - ${message}`);
  };

  test('refuses a subscriber without a dead-letter queue while dead-letter queues are required', () => {
    refuse({ subscribers: [{ id: 'Loader', deadLetterQueue: false }] },
      'subscriber "Loader" has no dead-letter queue (deadLetterQueue: false) while requireDeadLetterQueues is on: without one SNS discards what it cannot deliver');
  });

  test('refuses a delivery policy on a queue subscriber', () => {
    refuse({ subscribers: [{ id: 'Loader', deliveryPolicy: { healthyRetryPolicy: { numRetries: 5 } } }] },
      'subscriber "Loader" has a deliveryPolicy, but only HTTP/S subscriptions take one (SNS\'s delivery policy for SQS cannot be changed): give it a url or remove the deliveryPolicy');
  });

  test('refuses an empty subscriber list', () => {
    refuse({ subscribers: [] }, 'subscribers must name at least one subscriber');
  });

  test('refuses two subscribers with the same id, and an id that cannot name constructs', () => {
    refuse({ subscribers: [{ id: 'A' }, { id: 'A' }] }, 'subscriber "A": ids must be unique within the fan-out');
    refuse({ subscribers: [{ id: 'a b' }] }, 'subscriber "a b": id must be 1 to 40 letters, digits or hyphens');
  });

  test('refuses both filter policies on one subscriber', () => {
    refuse({
      subscribers: [{
        id: 'A',
        filterPolicy: { color: sns.SubscriptionFilter.stringFilter({ allowlist: ['red'] }) },
        filterPolicyWithMessageBody: { color: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ allowlist: ['red'] })) },
      }],
    }, 'subscriber "A": filterPolicy and filterPolicyWithMessageBody cannot both be set (a subscription has one filter policy and one scope)');
  });

  test('refuses a cleartext http endpoint', () => {
    refuse({ subscribers: [{ id: 'Hook', url: 'http://example.com/events' }] },
      'subscriber "Hook": url must be an https:// endpoint, got "http://example.com/events" (over http SNS would send the events in cleartext)');
  });

  test('refuses queue settings on an HTTPS subscriber', () => {
    expect(() => new EventFanout(stack(), 'Fanout', { subscribers: [{ id: 'Hook', url: 'https://example.com/e', maxReceiveCount: 3, visibilityTimeout: Duration.minutes(1) }] }))
      .toThrow('Fanout/Fanout: invalid EventFanout props (2 problems):\n  - subscriber "Hook": maxReceiveCount is for queue subscribers, and this one delivers to a url\n'
        + '  - subscriber "Hook": visibilityTimeout is for queue subscribers, and this one delivers to a url');
  });

  test('refuses a maxReceiveCount outside 1 to 1,000', () => {
    refuse({ subscribers: [{ id: 'A', maxReceiveCount: 0 }] }, 'subscriber "A": maxReceiveCount must be a whole number from 1 to 1000, got 0');
  });

  test('refuses more than 100 HTTP retries', () => {
    refuse({ subscribers: [{ id: 'Hook', url: 'https://example.com/e', deliveryPolicy: { healthyRetryPolicy: { numRetries: 101 } } }] },
      'subscriber "Hook": deliveryPolicy.healthyRetryPolicy.numRetries must be a whole number from 0 to 100, got 101');
  });

  test('refuses overlapping and empty event lists', () => {
    refuse({ subscribers: [{ id: 'A' }], events: [s3.EventType.OBJECT_CREATED, s3.EventType.OBJECT_CREATED_PUT] },
      'events s3:ObjectCreated:* and s3:ObjectCreated:Put overlap: S3 refuses two notification configurations for the same event and key');
    refuse({ subscribers: [{ id: 'A' }], events: [] }, 'events must name at least one S3 event type (leave it out for creation and deletion)');
  });

  test('refuses a bucket name S3 would refuse', () => {
    refuse({ subscribers: [{ id: 'A' }], bucketName: 'Uploads_Bucket' },
      'bucketName must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, got "Uploads_Bucket"');
  });

  test('lists every problem at once', () => {
    expect(() => new EventFanout(stack(), 'Fanout', { subscribers: [{ id: 'A', deadLetterQueue: false, deliveryPolicy: {} }] }))
      .toThrow(/\(2 problems\)/);
  });
});
