/**
 * RES-7 integration test, for a real account: `npm run integ` deploys the replica and source
 * stacks of the example, writes an object to the source bucket, and waits (up to 20 minutes:
 * replication is asynchronous, with a 15-minute SLA under Replication Time Control) until the
 * replica appears in the destination bucket, in the other region, marked as a replica.
 *
 * The assertion calls run from a Lambda in one region and the SDK client it uses cannot reach a
 * bucket in another region, so the object is written by an API call in a stack in the source
 * region, and the assertion stack (where integ-tests checks the result) is in the replica region.
 *
 * Regions: the source region is the one `npm run integ` deploys to (the credentials' region), the replica
 * region INTEG_REPLICA_REGION or us-east-1 (us-west-2 when the source is us-east-1). Snapshots
 * are synthesized (`npm run integ:synth`) with integ-runner's placeholder account and region, so they do not depend on
 * who runs them.
 */
import { AwsApiCall, ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicies, Stack } from 'aws-cdk-lib';
import { ReplicaStack, ReplicatedDataStack } from '../../examples/resilience/replicated-bucket';
import { cdkJsonContext } from '../support/app';

// integ-runner's placeholder account for snapshots has 8 digits, which the CloudFormation
// validation (on in cdk.json) rejects: snapshots use a 12-digit placeholder instead.
const account = process.env.CDK_INTEG_ACCOUNT ? '123456789012' : process.env.CDK_DEFAULT_ACCOUNT;
const sourceRegion = process.env.CDK_INTEG_REGION ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1';
const replicaRegion = process.env.CDK_INTEG_REGION
  ? 'test-replica-region'
  : process.env.INTEG_REPLICA_REGION ?? (sourceRegion === 'us-east-1' ? 'us-west-2' : 'us-east-1');

// cdk.json's feature flags, as in the example app; everything is destroyed afterwards, objects
// and keys included (sandbox).
const app = new App({ context: { ...cdkJsonContext(), sandbox: true } });

const replica = new ReplicaStack(app, 'Res7Integ-Replica', { env: { account, region: replicaRegion } });
const source = new ReplicatedDataStack(app, 'Res7Integ-Source', { env: { account, region: sourceRegion }, replicaStack: replica });

// Writes one object to the source bucket once both sides are deployed.
const writer = new Stack(app, 'Res7Integ-Writer', { env: { account, region: sourceRegion } });
writer.addStackDependency(source);
const key = 'integ/replicated-object.txt';
const put = new AwsApiCall(writer, 'PutObject', {
  service: 'S3',
  api: 'putObject',
  parameters: { Bucket: source.replicated.bucket.bucketName, Key: key, Body: 'written by the RES-7 integration test' },
});
put.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:PutObject'], Resource: [source.replicated.bucket.arnForObjects('*')] });
put.provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: [source.replicated.encryptionKey.keyArn] });

const assertions = new Stack(app, 'Res7Integ-Assertions', { env: { account, region: replicaRegion } });
assertions.addStackDependency(writer);

const integ = new IntegTest(app, 'Res7ReplicatedBucket', {
  testCases: [replica, source, writer],
  assertionStack: assertions,
  diffAssets: false,
});

// The replica arrives asynchronously: poll HeadObject on the destination until it is there.
const head = integ.assertions.awsApiCall('S3', 'headObject', { Bucket: replica.destination.bucketName, Key: key });
head.expect(ExpectedResult.objectLike({ ReplicationStatus: 'REPLICA' }));
head.waitForAssertions({ totalTimeout: Duration.minutes(20), interval: Duration.seconds(30) });
// HeadObject is authorized by s3:GetObject (there is no s3:HeadObject action).
if (head instanceof AwsApiCall) {
  head.waiterProvider?.addToRolePolicy({
    Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${replica.destination.bucketName}/*`],
  });
}

RemovalPolicies.of(app).destroy();
app.synth();
