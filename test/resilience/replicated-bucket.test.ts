import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { acknowledgeNotReplicated, NotificationTopic, ReplicatedBucket, ReplicationDestination, Sandbox, SecureBucket } from '../../lib';
import { addReplicatedBucketExamples, ReplicatedBucketExamples } from '../../examples/resilience/replicated-bucket';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const WORKLOAD = '444444444444';
const LOG_ARCHIVE = '333333333333';

function examples(context: Record<string, unknown> = {}): { app: App; stacks: ReplicatedBucketExamples } {
  const app = exampleTestApp(context);
  const stacks = addReplicatedBucketExamples(app, exampleConfig(app));
  app.synth();
  return { app, stacks };
}

describe('RES-7 ReplicatedBucket', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const { stacks } = examples();
  const source = Template.fromStack(stacks.crossRegionSource);
  const replica = Template.fromStack(stacks.crossRegionReplica);
  const xaSource = Template.fromStack(stacks.crossAccountSource);
  const xaReplica = Template.fromStack(stacks.crossAccountReplica);
  const crossRegionBucketName = stacks.crossRegionReplica.destination.bucketName;

  test('the destination bucket name is known before deployment and unique to account and region', () => {
    expect(crossRegionBucketName).toMatch(new RegExp(`^[a-z0-9-]+-${WORKLOAD}-eu-central-1$`));
    expect(crossRegionBucketName.length).toBeLessThanOrEqual(63);
  });

  test('the source bucket is versioned, KMS-encrypted and carries the replication rule with RTC and metrics', () => {
    source.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({
        ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }),
        BucketKeyEnabled: true,
      })] },
      ReplicationConfiguration: {
        Role: Match.anyValue(),
        Rules: [Match.objectLike({
          Id: 'replicate-to-destination',
          Status: 'Enabled',
          Filter: { Prefix: '' },
          SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
          DeleteMarkerReplication: { Status: 'Disabled' },
          Destination: Match.objectLike({
            Bucket: `arn:aws:s3:::${crossRegionBucketName}`,
            EncryptionConfiguration: { ReplicaKmsKeyID: Match.stringLikeRegexp(`^arn:aws:kms:eu-central-1:${WORKLOAD}:alias/s3-replica/`) },
            ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
            Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
          }),
        })],
      },
    });
  });

  test('the destination bucket is versioned and encrypted with its own replica key, with rotation on', () => {
    replica.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: crossRegionBucketName,
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    replica.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    replica.hasResourceProperties('AWS::KMS::Alias', { AliasName: Match.stringLikeRegexp('^alias/s3-replica/') });
  });

  test('S3 (and only S3 of the source account) assumes the replication role', () => {
    source.hasResourceProperties('AWS::IAM::Role', {
      RoleName: Match.stringLikeRegexp('-replication-eu-west-1$'),
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 's3.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': WORKLOAD } },
      })] },
    });
  });

  test('the role reads the source, decrypts with the source key, replicates into the destination and encrypts with the replica key only', () => {
    source.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'] }),
        Match.objectLike({ Action: ['s3:GetObjectVersionAcl', 's3:GetObjectVersionForReplication', 's3:GetObjectVersionTagging'] }),
        Match.objectLike({
          Action: ['s3:ObjectOwnerOverrideToBucketOwner', 's3:ReplicateDelete', 's3:ReplicateObject', 's3:ReplicateTags'],
          Resource: `arn:aws:s3:::${crossRegionBucketName}/*`,
        }),
        Match.objectLike({ Action: 'kms:Decrypt' }),
        Match.objectLike({
          Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: `arn:aws:kms:eu-central-1:${WORKLOAD}:key/*`,
          Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': Match.stringLikeRegexp('^alias/s3-replica/') } },
        }),
      ]) },
    });
    source.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('the destination bucket policy lets the source role replicate, by account principal and role ARN condition', () => {
    replica.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({
          Sid: 'ReplicateObjects0',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${WORKLOAD}:root` },
          Action: ['s3:ObjectOwnerOverrideToBucketOwner', 's3:ReplicateDelete', 's3:ReplicateObject', 's3:ReplicateTags'],
          Condition: { ArnEquals: { 'aws:PrincipalArn': Match.stringLikeRegexp(`^arn:aws:iam::${WORKLOAD}:role/.*-replication-eu-west-1$`) } },
        }),
        Match.objectLike({ Sid: 'ReplicationBucketVersioning0', Action: ['s3:GetBucketVersioning', 's3:PutBucketVersioning'] }),
      ]) },
    });
    replica.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'EncryptReplicas0',
        Principal: { AWS: `arn:aws:iam::${WORKLOAD}:root` },
        Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
        Condition: { ArnEquals: { 'aws:PrincipalArn': Match.stringLikeRegexp(`^arn:aws:iam::${WORKLOAD}:role/.*-replication-eu-west-1$`) } },
      })]) },
    });
  });

  test('both buckets refuse requests without TLS and block public access', () => {
    for (const template of [source, replica]) {
      template.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]) },
      });
    }
  });

  test('cross-account: the destination account and ownership of replicas are set on the rule', () => {
    xaSource.hasResourceProperties('AWS::S3::Bucket', {
      ReplicationConfiguration: { Rules: [Match.objectLike({
        Destination: Match.objectLike({
          Account: LOG_ARCHIVE,
          AccessControlTranslation: { Owner: 'Destination' },
          EncryptionConfiguration: { ReplicaKmsKeyID: Match.stringLikeRegexp(`^arn:aws:kms:eu-central-1:${LOG_ARCHIVE}:alias/`) },
        }),
      })] },
    });
    xaReplica.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { AWS: `arn:aws:iam::${WORKLOAD}:root` },
        Action: Match.arrayWith(['s3:ObjectOwnerOverrideToBucketOwner']),
      })]) },
    });
  });

  test('a failed replication raises an alarm that notifies the encrypted topic', () => {
    source.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/S3',
      MetricName: 'OperationsFailedReplication',
      Dimensions: Match.arrayWith([{ Name: 'RuleId', Value: 'replicate-to-destination' }]),
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [Match.anyValue()],
    });
    source.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  test('the source stack is deployed after its destination stack', () => {
    expect(stacks.crossRegionSource.dependencies).toContain(stacks.crossRegionReplica);
    expect(stacks.crossAccountSource.dependencies).toContain(stacks.crossAccountReplica);
  });

  test('data is kept by default: buckets and keys are retained', () => {
    source.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    replica.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  test('delete-marker replication and a prefix filter are options', () => {
    const app = checkedApp();
    const dst = new ReplicationDestination(new Stack(app, 'D', { env: { account: WORKLOAD, region: 'us-west-2' } }), 'Dst');
    const src = new Stack(app, 'S', { env: { account: WORKLOAD, region: 'us-east-1' } });
    new ReplicatedBucket(src, 'Src', { destination: dst, deleteMarkerReplication: true, prefix: 'reports/', replicationTimeControl: false });
    synthWithChecks(app);
    Template.fromStack(src).hasResourceProperties('AWS::S3::Bucket', {
      ReplicationConfiguration: { Rules: [Match.objectLike({
        DeleteMarkerReplication: { Status: 'Enabled' },
        Filter: { Prefix: 'reports/' },
        Destination: Match.objectLike({ ReplicationTime: Match.absent() }),
      })] },
    });
  });

  test('without RTC, replication metrics stay on, so the failed-replication alarm watches a metric S3 publishes', () => {
    // OperationsFailedReplication is published for rules with replication metrics enabled, with or
    // without RTC; EventThreshold only belongs to RTC's OperationMissedThreshold event.
    const app = checkedApp();
    const dst = new ReplicationDestination(new Stack(app, 'D', { env: { account: WORKLOAD, region: 'us-west-2' } }), 'Dst');
    const src = new Stack(app, 'S', { env: { account: WORKLOAD, region: 'us-east-1' } });
    const replicated = new ReplicatedBucket(src, 'Src', { destination: dst, replicationTimeControl: false });
    synthWithChecks(app);
    const template = Template.fromStack(src);
    template.hasResourceProperties('AWS::S3::Bucket', {
      ReplicationConfiguration: { Rules: [Match.objectLike({
        Id: 'replicate-to-destination',
        Destination: Match.objectLike({ ReplicationTime: Match.absent(), Metrics: { Status: 'Enabled' } }),
      })] },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/S3',
      MetricName: 'OperationsFailedReplication',
      // The dimensions S3 publishes replication metrics under, and nothing else.
      Dimensions: [
        { Name: 'DestinationBucket', Value: dst.bucketName },
        { Name: 'RuleId', Value: 'replicate-to-destination' },
        { Name: 'SourceBucket', Value: src.resolve(replicated.bucket.bucketName) },
      ],
    });
  });
});

describe('RES-7 ReplicatedBucket refusals', () => {
  function setup(sourceRegion: string, destinationRegion: string) {
    const app = checkedApp();
    const dstStack = new Stack(app, 'Dst', { env: { account: WORKLOAD, region: destinationRegion } });
    const srcStack = new Stack(app, 'Src', { env: { account: WORKLOAD, region: sourceRegion } });
    return { app, dstStack, srcStack };
  }

  test('refuses a destination in the source region when cross-region replication is asked', () => {
    const { dstStack, srcStack } = setup('eu-west-1', 'eu-west-1');
    const destination = new ReplicationDestination(dstStack, 'Replicas');
    expect(() => new ReplicatedBucket(srcStack, 'Data', { destination }))
      .toThrow(/^Src\/Data: invalid ReplicatedBucket props \(1 problem\):\n {2}- source and destination are both in eu-west-1: cross-region replication needs the destination in another region/);
  });

  test('allows the same region when crossRegion is false', () => {
    const { app, dstStack, srcStack } = setup('eu-west-1', 'eu-west-1');
    const destination = new ReplicationDestination(dstStack, 'Replicas');
    new ReplicatedBucket(srcStack, 'Data', { destination, crossRegion: false });
    expect(() => synthWithChecks(app)).not.toThrow();
  });

  test('refuses an unversioned destination passed in', () => {
    const { srcStack } = setup('eu-west-1', 'eu-central-1');
    const destination = ReplicationDestination.fromAttributes(srcStack, 'Imported', {
      bucketName: 'team-b-replicas', account: WORKLOAD, region: 'eu-central-1',
      replicaKeyArn: `arn:aws:kms:eu-central-1:${WORKLOAD}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, versioned: false,
    });
    expect(() => new ReplicatedBucket(srcStack, 'Data', { destination }))
      .toThrow(/destination bucket Src\/Imported is not versioned: S3 replicates only into versioned buckets/);
  });

  test('lists every problem at once', () => {
    const { srcStack } = setup('eu-west-1', 'eu-west-1');
    const destination = ReplicationDestination.fromAttributes(srcStack, 'Imported', {
      bucketName: 'team-b-replicas', account: WORKLOAD, region: 'eu-west-1',
      replicaKeyArn: `arn:aws:kms:eu-west-1:${WORKLOAD}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, versioned: false,
    });
    expect(() => new ReplicatedBucket(srcStack, 'Data', { destination, ownershipToDestination: true }))
      .toThrow(/\(3 problems\)[\s\S]*not versioned[\s\S]*both in eu-west-1[\s\S]*only possible when the destination is in another account/);
  });

  test('refuses cross-region replication between environment-agnostic stacks', () => {
    const app = checkedApp();
    const destination = new ReplicationDestination(new Stack(app, 'Dst'), 'Replicas');
    expect(() => new ReplicatedBucket(new Stack(app, 'Src'), 'Data', { destination }))
      .toThrow(/cross-region replication needs explicit regions/);
  });

  test('an imported destination with a key ARN is granted by key ARN, without a wildcard', () => {
    const app = checkedApp();
    const srcStack = new Stack(app, 'Src', { env: { account: WORKLOAD, region: 'eu-west-1' } });
    const keyArn = `arn:aws:kms:eu-central-1:${LOG_ARCHIVE}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const destination = ReplicationDestination.fromAttributes(srcStack, 'Imported', {
      bucketName: 'team-b-replicas', account: LOG_ARCHIVE, region: 'eu-central-1', replicaKeyArn: keyArn, versioned: true,
    });
    new ReplicatedBucket(srcStack, 'Data', { destination });
    synthWithChecks(app);
    Template.fromStack(srcStack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['kms:Encrypt', 'kms:GenerateDataKey'], Resource: keyArn })]) },
    });
  });
  test('refuses a replica key alias outside alias/ or in the AWS-reserved alias/aws/, with the construct path', () => {
    const dstStack = new Stack(checkedApp(), 'Dst', { env: { account: WORKLOAD, region: 'eu-central-1' } });
    expect(() => new ReplicationDestination(dstStack, 'Replicas', { replicaKeyAlias: 'alias/aws/s3' }))
      .toThrow('Dst/Replicas: invalid ReplicationDestination props (1 problem):\n  - replicaKeyAlias must start with "alias/" and not "alias/aws/", got "alias/aws/s3"');
  });

  test('the failed-replication alarm notifies the notificationTopic passed in, and no topic of its own is created', () => {
    const { dstStack, srcStack } = setup('eu-west-1', 'eu-central-1');
    const destination = new ReplicationDestination(dstStack, 'Replicas');
    const topic = new NotificationTopic(srcStack, 'Ops').topic;
    const replicated = new ReplicatedBucket(srcStack, 'Data', { destination, notificationTopic: topic });
    expect(replicated.notificationTopic).toBe(topic);
    const t = Template.fromStack(srcStack);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: srcStack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }] });
    t.resourceCountIs('AWS::SNS::Topic', 1);
  });

  test('a destination imported in another stack of the app is deployed before the source too', () => {
    const { dstStack, srcStack } = setup('eu-west-1', 'eu-central-1');
    const destination = ReplicationDestination.fromAttributes(dstStack, 'Imported', {
      bucketName: 'team-b-replicas', account: WORKLOAD, region: 'eu-central-1',
      replicaKeyArn: `arn:aws:kms:eu-central-1:${WORKLOAD}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, versioned: true,
    });
    new ReplicatedBucket(srcStack, 'Data', { destination });
    expect(srcStack.dependencies).toContain(dstStack);
  });
});

describe('RES-7 acknowledgeNotReplicated', () => {
  function bucketStack(): { app: App; stack: Stack; bucket: SecureBucket } {
    const app = checkedApp();
    const stack = new Stack(app, 'Logs', { env: { account: WORKLOAD, region: 'eu-west-1' } });
    return { app, stack, bucket: new SecureBucket(stack, 'Target') };
  }

  test('a bucket without replication fails the NIST replication check', () => {
    const { app } = bucketStack();
    expect(() => synthWithChecks(app)).toThrow(/NIST\.800\.53\.R5-S3BucketReplicationEnabled/);
  });

  test('acknowledged with a reason, the same bucket passes the checks', () => {
    const { app, bucket } = bucketStack();
    acknowledgeNotReplicated(bucket.bucket, 'This bucket only holds records that are re-created on every run, so a second-region copy protects nothing.');
    expect(() => synthWithChecks(app)).not.toThrow();
  });

  test('refuses a reason a reviewer cannot accept', () => {
    const { bucket } = bucketStack();
    expect(() => acknowledgeNotReplicated(bucket.bucket, 'not needed')).toThrow(/needs a reason a reviewer can accept/);
  });

  test('refuses an imported bucket: a construct acknowledges only what it created', () => {
    const { bucket } = bucketStack();
    const imported = s3.Bucket.fromBucketName(Stack.of(bucket), 'Imported', 'someone-elses-bucket');
    expect(() => acknowledgeNotReplicated(imported, 'This bucket only holds records that are re-created on every run, so a second-region copy protects nothing.'))
      .toThrow('Imported: invalid acknowledgeNotReplicated props (1 problem):\n  - acknowledgeNotReplicated is for a bucket the calling construct created, and this one is imported');
  });
});

describe('RES-7 sandbox mode', () => {
  test('Sandbox.enable on the stacks: buckets and keys of both sides can be destroyed', () => {
    const app = checkedApp();
    const dstStack = new Stack(app, 'D', { env: { account: WORKLOAD, region: 'us-west-2' } });
    Sandbox.enable(dstStack);
    const srcStack = new Stack(app, 'S', { env: { account: WORKLOAD, region: 'us-east-1' } });
    Sandbox.enable(srcStack);
    new ReplicatedBucket(srcStack, 'Src', { destination: new ReplicationDestination(dstStack, 'Dst') });
    for (const t of [Template.fromStack(srcStack), Template.fromStack(dstStack)]) {
      t.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
      t.allResources('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    }
  });

  test('-c sandbox=true: the example buckets are emptied and deleted on destroy', () => {
    const { stacks } = examples({ sandbox: 'true' });
    const source = Template.fromStack(stacks.crossRegionSource);
    source.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    source.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });
});

describe('RES-7 generated names stay within service limits', () => {
  /** The longest region code today (aws-cdk-lib's region table and the AWS SDK's partitions agree). */
  const LONGEST_REGION = 'us-isof-south-1';
  const longName = (prefix: string, length: number) => (prefix + 'x'.repeat(length)).slice(0, length);

  interface PairOptions {
    readonly sourceStackName: string;
    readonly sourceId: string;
    readonly destinationStackName: string;
    readonly destinationId: string;
    /** Undefined: an environment-agnostic stack (region and account are tokens). */
    readonly sourceRegion?: string;
    readonly destinationRegion?: string;
  }

  /** A source and a destination, constructed but not synthesized (fast enough to sweep inputs). */
  function pair(options: PairOptions) {
    const app = checkedApp();
    const envOf = (region?: string) => (region ? { account: WORKLOAD, region } : undefined);
    const dstStack = new Stack(app, options.destinationStackName, { env: envOf(options.destinationRegion) });
    const srcStack = new Stack(app, options.sourceStackName, { env: envOf(options.sourceRegion) });
    const destination = new ReplicationDestination(dstStack, options.destinationId);
    const replicated = new ReplicatedBucket(srcStack, options.sourceId, {
      destination,
      crossRegion: options.sourceRegion !== undefined && options.sourceRegion !== options.destinationRegion,
    });
    return { app, srcStack, dstStack, destination, replicated };
  }

  /** Renders a resolved CloudFormation string value with the pseudo parameters of a deployment. */
  function render(value: unknown, region: string): string {
    if (typeof value === 'string') return value;
    const v = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
    if (v.Ref === 'AWS::Region') return region;
    if (v.Ref === 'AWS::AccountId') return WORKLOAD;
    if (v.Ref === 'AWS::Partition') return 'aws';
    if (v['Fn::Join']) return v['Fn::Join'][1].map((part) => render(part, region)).join(v['Fn::Join'][0]);
    throw new Error(`cannot render ${JSON.stringify(value)}`);
  }

  /** The role name on the source side, and the role ARNs the destination's bucket and key policies admit. */
  function namesOf(p: ReturnType<typeof pair>, deployRegion: string) {
    const roleName = render(p.srcStack.resolve((p.replicated.replicationRole.node.defaultChild as iam.CfnRole).roleName), deployRegion);
    interface Statement { readonly Condition?: { readonly ArnEquals?: Record<string, unknown> } }
    const principalArns = (document: unknown): string[] => (p.dstStack.resolve(document) as { Statement: Statement[] }).Statement
      .map((s) => s.Condition?.ArnEquals?.['aws:PrincipalArn'])
      .filter((arn) => arn !== undefined)
      .map((arn) => render(arn, deployRegion));
    const admitted = [
      ...principalArns(p.destination.bucket.policy!.document.toJSON()),
      ...principalArns((p.destination.replicaKey.node.defaultChild as kms.CfnKey).keyPolicy),
    ];
    const bucketName = render(p.dstStack.resolve(p.destination.bucketName), deployRegion);
    return { roleName, admitted, bucketName, alias: p.destination.replicaKeyAlias };
  }

  /** S3's general purpose bucket naming rules, https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
  function s3NameProblems(name: string): string[] {
    const problems: string[] = [];
    if (name.length < 3 || name.length > 63) problems.push(`${name.length} characters`);
    if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) problems.push('characters or edges');
    if (name.includes('..')) problems.push('adjacent periods');
    if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) problems.push('IP address');
    for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) if (name.startsWith(prefix)) problems.push(`prefix ${prefix}`);
    for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) if (name.endsWith(suffix)) problems.push(`suffix ${suffix}`);
    return problems;
  }

  function expectWithinLimits(names: ReturnType<typeof namesOf>) {
    // IAM role names: 64 characters of [\w+=,.@-], https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
    expect(names.roleName).toMatch(/^[\w+=,.@-]{1,64}$/);
    // The destination admits exactly the role the source creates, in its bucket policy and key policy.
    expect(names.admitted).toHaveLength(3);
    for (const arn of names.admitted) expect(arn).toMatch(new RegExp(`^arn:[a-z-]+:iam::${WORKLOAD}:role/${names.roleName}$`));
    expect(s3NameProblems(names.bucketName)).toEqual([]);
    // KMS alias names: 256 characters of [a-zA-Z0-9/_-] after "alias/", https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
    expect(names.alias).toMatch(/^alias\/[a-zA-Z0-9/_-]{1,250}$/);
  }

  test('a long stack name and construct id in ap-southeast-2 give a role name of at most 64 characters, admitted as such by the destination', () => {
    const p = pair({
      sourceStackName: longName('CustomerDocumentsProductionSource', 60), sourceId: longName('CustomerDocumentsReplicatedBucket', 60),
      destinationStackName: longName('CustomerDocumentsProductionReplica', 60), destinationId: longName('CustomerDocumentsReplicas', 60),
      sourceRegion: 'ap-southeast-2', destinationRegion: 'ap-southeast-4',
    });
    synthWithChecks(p.app);
    const roleName = Template.fromStack(p.srcStack).findResources('AWS::IAM::Role', { Properties: { RoleName: Match.stringLikeRegexp('-replication-ap-southeast-2$') } });
    expect(Object.keys(roleName)).toHaveLength(1);
    expectWithinLimits(namesOf(p, 'ap-southeast-2'));
  });

  test('in an environment-agnostic stack, the role name fits 64 characters even in the longest region', () => {
    const p = pair({
      sourceStackName: longName('CustomerDocumentsProductionSource', 60), sourceId: longName('CustomerDocumentsReplicatedBucket', 60),
      destinationStackName: longName('CustomerDocumentsProductionReplica', 60), destinationId: longName('CustomerDocumentsReplicas', 60),
    });
    expectWithinLimits(namesOf(p, LONGEST_REGION));
  });

  test('the region budget of an environment-agnostic stack covers every region aws-cdk-lib knows', () => {
    const longest = Math.max(...RegionInfo.regions.map((r) => r.name.length));
    expect(longest).toBeLessThanOrEqual(LONGEST_REGION.length);
  });

  test('a destination whose stack name starts with a prefix S3 reserves still gets a bucket name S3 accepts', () => {
    for (const stackName of ['SThree', 'Sthree-configurator-data', 'Xn']) {
      const p = pair({ sourceStackName: 'Src', sourceId: 'Data', destinationStackName: stackName, destinationId: 'Replicas', sourceRegion: 'eu-west-1', destinationRegion: 'eu-central-1' });
      expect(s3NameProblems(namesOf(p, 'eu-central-1').bucketName)).toEqual([]);
    }
    // Amzn/S3/Demo/R would start "amzn-s3-demo-".
    const demoStack = new Stack(checkedApp(), 'Amzn', { env: { account: WORKLOAD, region: 'eu-central-1' } });
    const demo = new ReplicationDestination(new Construct(new Construct(demoStack, 'S3'), 'Demo'), 'R');
    expect(s3NameProblems(demo.bucketName)).toEqual([]);
  });

  test.each([
    ['us-east-1'], ['eu-central-1'], ['us-gov-west-1'], ['ap-southeast-5'], [LONGEST_REGION],
    // No such region exists; a concrete region of any length must still give valid names.
    ['xx-a-region-code-far-longer-than-any-that-exists-1'],
    [undefined],
  ])('every generated name is within its limits, for stack names and ids from 1 to 128 characters, in region %s', (region) => {
    for (const stackLength of [1, 9, 30, 128]) {
      for (const idLength of [1, 12, 41, 128]) {
        const names = {
          sourceStackName: longName('Source', stackLength), sourceId: longName('Data', idLength),
          destinationStackName: longName('Replica', stackLength), destinationId: longName('Replicas', idLength),
        };
        if (region === undefined) {
          expectWithinLimits(namesOf(pair(names), LONGEST_REGION));
        } else {
          // The region under test on the source side (role name), then on the destination side (bucket name).
          expectWithinLimits(namesOf(pair({ ...names, sourceRegion: region, destinationRegion: 'us-west-2' }), region));
          expectWithinLimits(namesOf(pair({ ...names, sourceRegion: 'us-west-2', destinationRegion: region }), region));
        }
      }
    }
  });

  test('a short name keeps the role name it always had, so existing deployments do not replace their role', () => {
    const p = pair({ sourceStackName: 'Res7-CrossRegion-Source', sourceId: 'Data', destinationStackName: 'Replica', destinationId: 'Replicas', sourceRegion: 'eu-west-1', destinationRegion: 'eu-central-1' });
    expect(namesOf(p, 'eu-west-1').roleName).toBe('Res7CrossRegionSource-Data-8FDAE072-replication-eu-west-1');
  });

  test('the default alarm topic display name fits SNS\'s 100 characters for a long construct path', () => {
    const p = pair({
      sourceStackName: longName('CustomerDocumentsProductionSource', 60), sourceId: longName('CustomerDocumentsReplicatedBucket', 60),
      destinationStackName: 'Replica', destinationId: 'Replicas', sourceRegion: 'eu-west-1', destinationRegion: 'eu-central-1',
    });
    synthWithChecks(p.app);
    Template.fromStack(p.srcStack).hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: Match.stringLikeRegexp('^Replication alarms of .{1,78}$'),
    });
  });
});
