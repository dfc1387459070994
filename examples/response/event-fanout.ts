/**
 * RSP-3 example: in the workload account, an upload bucket whose object events fan out to two
 * queues (thumbnails only for created images, an audit trail of every creation and deletion)
 * and an HTTPS webhook with its own retry policy.
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EventFanout } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The event fan-out stack. */
export class EventFanoutStack extends Stack {
  public readonly fanout: EventFanout;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.fanout = new EventFanout(this, 'Uploads', {
      subscribers: [
        {
          // S3 events carry no message attributes: filter on the body's Records[].eventName and key.
          id: 'Thumbnails',
          filterPolicyWithMessageBody: {
            Records: sns.FilterOrPolicy.policy({
              eventName: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ matchPrefixes: ['ObjectCreated:'] })),
            }),
          },
          visibilityTimeout: Duration.minutes(2),
        },
        { id: 'Audit', maxReceiveCount: 10 },
        {
          id: 'Webhook',
          url: 'https://hooks.example.com/s3-events',
          deliveryPolicy: {
            healthyRetryPolicy: {
              numRetries: 10,
              minDelayTarget: Duration.seconds(5),
              maxDelayTarget: Duration.seconds(60),
              backoffFunction: sns.BackoffFunction.EXPONENTIAL,
            },
            throttlePolicy: { maxReceivesPerSecond: 10 },
            requestPolicy: { headerContentType: 'application/json' },
          },
        },
      ],
    });
  }
}

/** The RSP-3 example stacks. */
export interface EventFanoutExamples {
  readonly eventFanout: EventFanoutStack;
}

/** Adds the RSP-3 example stack to `app`. */
export function addEventFanoutExamples(app: App, config: ExampleConfig): EventFanoutExamples {
  const eventFanout = new EventFanoutStack(app, 'Rsp3-Workload-EventFanout', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'RSP-3 EventFanout: S3 object events -> encrypted SNS topic -> encrypted SQS queues and an HTTPS webhook, each subscription with its own dead-letter queue',
  });
  return { eventFanout };
}
