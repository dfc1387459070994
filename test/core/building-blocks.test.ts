import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  EncryptedLogGroup, SharedProvider, LoggedStateMachine, HandlerFunction, NotificationTopic, SecureBucket, SecureBucketEncryption, ServiceRole, handlerCode, transpileHandler,
} from '../../lib/core';
import { ConstructPropsError, PropsCheck } from '../../lib/core/validation';
import { acknowledge } from '../../lib/core/acknowledge';
import { ConstructPropsError as PublicConstructPropsError } from '../../lib/errors';
import { cdkJsonContext, checkedApp, synthWithChecks } from '../support/app';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function checkedStack(context: Record<string, unknown> = {}): Stack {
  return new Stack(checkedApp(context), 'Core', { env: ENV });
}

/** Test buckets are not replicated; a real pattern says why for each of its buckets. */
function notReplicated(bucket: SecureBucket): SecureBucket {
  acknowledge(bucket.bucket.node.defaultChild!, 'NIST.800.53.R5-S3BucketReplicationEnabled', 'This is a test bucket that exists only to check the building block, so replicating it has no purpose.');
  return bucket;
}

function template(stack: Stack): Template {
  synthWithChecks(stack.node.root as never);
  return Template.fromStack(stack);
}

describe('SecureBucket', () => {
  test('defaults: versioned, SSE-KMS with a rotating key and bucket key, public access blocked, ACLs off, TLS-only, access logs, retained', () => {
    const stack = checkedStack();
    notReplicated(new SecureBucket(stack, 'Data'));
    const t = template(stack);
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^DevOpsPatternsAccessLogs') }, LogFilePrefix: Match.anyValue() },
      }),
    });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      ]) },
    });
  });

  test('one access-log bucket per stack, SSE-S3 as log delivery requires, logs expire', () => {
    const stack = checkedStack();
    notReplicated(new SecureBucket(stack, 'A'));
    notReplicated(new SecureBucket(stack, 'B'));
    const t = template(stack);
    t.resourceCountIs('AWS::S3::Bucket', 3);
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365, Status: 'Enabled' })] },
    });
  });

  test('bucketProps override the defaults, and an existing key and log bucket are used', () => {
    // Without the checks: the explicit log bucket here carries none of the log target's acknowledgements.
    const stack = new Stack(new App({ context: cdkJsonContext() }), 'Core', { env: ENV });
    const logs = new SecureBucket(stack, 'Logs', { encryption: SecureBucketEncryption.S3_MANAGED, disableServerAccessLogs: true });
    const shared = new SecureBucket(stack, 'Shared');
    new SecureBucket(stack, 'Data', {
      encryptionKey: shared.encryptionKey,
      serverAccessLogsBucket: logs.bucket,
      bucketProps: { bucketName: 'my-data-111111111111-eu-west-1', lifecycleRules: [{ id: 'tidy', noncurrentVersionExpiration: Duration30() }] },
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'my-data-111111111111-eu-west-1',
      LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'tidy' })] },
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: { Ref: Match.stringLikeRegexp('^LogsBucket') } }),
    });
    t.resourceCountIs('AWS::KMS::Key', 1);
  });

  test('sandbox mode: buckets and keys are deleted and objects emptied on destroy', () => {
    const stack = checkedStack({ sandbox: true });
    notReplicated(new SecureBucket(stack, 'Data'));
    const t = template(stack);
    t.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ PendingWindowInDays: 7 }) });
    t.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });
});

function Duration30() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('aws-cdk-lib') as typeof import('aws-cdk-lib')).Duration.days(30);
}

describe('NotificationTopic', () => {
  test('is encrypted with a customer managed key that EventBridge and CloudWatch may use, and refuses plain HTTP', () => {
    const stack = checkedStack();
    new NotificationTopic(stack, 'Alerts', { emailAddresses: ['ops@example.com'] });
    const t = template(stack);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlertsKey'), 'Arn'] } });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([
        Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
      ]) },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});

describe('ServiceRole', () => {
  test('grants land in one customer managed policy, never an inline policy', () => {
    const stack = checkedStack();
    const role = new ServiceRole(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const bucket = notReplicated(new SecureBucket(stack, 'Data'));
    bucket.bucket.grantRead(role);
    role.acknowledgeWildcardAction('s3:GetObject*', 'Reading a bucket uses the GetObject family of actions, which the grant names with a wildcard.');
    role.acknowledgeWildcardAction('s3:GetBucket*', 'Reading a bucket uses the GetBucket family of actions, which the grant names with a wildcard.');
    role.acknowledgeWildcardAction('s3:List*', 'Reading a bucket uses the List family of actions, which the grant names with a wildcard.');
    role.acknowledgeWildcardAction('kms:GenerateDataKey*', 'Reading an SSE-KMS bucket needs the GenerateDataKey family on its key, which the grant names with a wildcard.');
    role.acknowledgeWildcardAction('kms:ReEncrypt*', 'Reading an SSE-KMS bucket needs the ReEncrypt family on its key, which the grant names with a wildcard.');
    role.acknowledgeWildcardResource(bucket.bucket.arnForObjects('*'), 'Reading a bucket means reading its objects, whose ARNs are the bucket ARN with a wildcard.');
    const t = template(stack);
    t.resourceCountIs('AWS::IAM::Policy', 0);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Role') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3:GetObject*']) })]) },
    });
  });
});

describe('EncryptedLogGroup', () => {
  test('is KMS-encrypted with the stack logs key, which only CloudWatch Logs of this account and region may use, with a year of retention', () => {
    const stack = checkedStack();
    new EncryptedLogGroup(stack, 'A');
    new EncryptedLogGroup(stack, 'B', { retention: 7 });
    const t = template(stack);
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', Properties: { RetentionInDays: 365, KmsKeyId: Match.anyValue() } });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
      })]) },
    });
  });
});

describe('handlerCode and HandlerFunction', () => {
  const madeDirs: string[] = [];
  afterAll(() => madeDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  function handlerDir(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handler-'));
    madeDirs.push(dir);
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  }

  test('a TypeScript handler is transpiled to CommonJS, with its local imports, without a bundler', () => {
    const dir = handlerDir({
      'index.ts': "import { greet } from './greet';\nexport async function handler(): Promise<string> { return greet('x'); }\n",
      'greet.ts': 'export const greet = (n: string): string => `hi ${n}`;\n',
    });
    const assetDir = transpileHandler(dir);
    expect(handlerCode(dir).bind(new Stack()).s3Location?.objectKey).toMatch(/\.zip$/);
    const index = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    expect(index).toContain('exports.handler = handler');
    expect(index).toMatch(/require\("\.\/greet"\)/);
    expect(fs.existsSync(path.join(assetDir, 'greet.js'))).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return expect(require(path.join(assetDir, 'index.js')).handler()).resolves.toBe('hi x');
  });

  test('compiled JavaScript (the installed package) is used as it is', () => {
    const dir = handlerDir({ 'index.js': 'exports.handler = async () => 1;\n', 'index.d.ts': 'export {};\n' });
    const stack = new Stack();
    expect(() => handlerCode(dir).bind(stack)).not.toThrow();
  });

  test('a directory without index.ts or index.js is refused', () => {
    expect(() => handlerCode(handlerDir({ 'other.ts': '' }))).toThrow(/has neither index.js nor index.ts/);
  });

  test('HandlerFunction: latest Node.js, managed-policy role, encrypted log group, tracing, no reserved concurrency unless asked; passes the checks', () => {
    const stack = checkedStack();
    const dir = handlerDir({ 'index.ts': 'export async function handler(): Promise<void> {}\n' });
    const fn = new HandlerFunction(stack, 'Fn', { handlerDir: dir, description: 'test handler' });
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: Match.stringLikeRegexp('^nodejs'),
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: Match.absent(),
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^FnLogs') } },
    });
    t.resourceCountIs('AWS::IAM::Policy', 0);
    expect(fn.deadLetterQueue).toBeUndefined();
  });

  test('HandlerFunction reserves the concurrency it is given (reservedConcurrentExecutions), and passes the checks', () => {
    const stack = checkedStack();
    const dir = handlerDir({ 'index.ts': 'export async function handler(): Promise<void> {}\n' });
    new HandlerFunction(stack, 'Fn', { handlerDir: dir, description: 'test handler', reservedConcurrentExecutions: 3 });
    template(stack).hasResourceProperties('AWS::Lambda::Function', { Description: 'test handler', ReservedConcurrentExecutions: 3 });
  });

  test.each([[0], [-1], [2.5]])('HandlerFunction refuses reserved concurrency of %p (not a positive whole number)', (value) => {
    const stack = checkedStack();
    const dir = handlerDir({ 'index.ts': 'export async function handler(): Promise<void> {}\n' });
    expect(() => new HandlerFunction(stack, 'Fn', { handlerDir: dir, description: 'test handler', reservedConcurrentExecutions: value }))
      .toThrow(`Core/Fn: invalid HandlerFunction props (1 problem):\n  - reservedConcurrentExecutions must be a positive whole number, got ${value}`);
  });

  test('HandlerFunction invoked asynchronously gets a KMS-encrypted dead-letter queue', () => {
    const stack = checkedStack();
    const dir = handlerDir({ 'index.ts': 'export async function handler(): Promise<void> {}\n' });
    new HandlerFunction(stack, 'Fn', { handlerDir: dir, description: 'async handler', asyncInvocation: true });
    const t = template(stack);
    t.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: { TargetArn: Match.anyValue() } });
  });
});

describe('PropsCheck', () => {
  test('collects every problem and throws one error that starts with the construct path', () => {
    const stack = new Stack(undefined, 'S');
    const check = new PropsCheck(new SecureBucket(stack, 'B'), 'Example');
    check.require(false, 'first').inRange('retries', 30, 1, 25).inRange('ok', 5, 1, 25).require(true, 'never');
    expect(check.count).toBe(2);
    let error: unknown;
    try {
      check.throwIfAny();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConstructPropsError);
    expect((error as Error).message).toBe('S/B: invalid Example props (2 problems):\n  - first\n  - retries must be between 1 and 25, got 30');
  });

  test('throws nothing when all is well', () => {
    expect(() => new PropsCheck(new Stack(), 'Example').require(true, 'x').throwIfAny()).not.toThrow();
  });
});

describe('acknowledge', () => {
  test('refuses a reason too short to explain anything, with the error the errors entry point exports', () => {
    const bucket = new s3.Bucket(new Stack(), 'B');
    expect(() => acknowledge(bucket, 'AwsSolutions-S1', 'not needed')).toThrow(PublicConstructPropsError);
    expect(() => acknowledge(bucket, 'AwsSolutions-S1', 'not needed')).toThrow('Default/B: invalid acknowledgement props (1 problem):\n  - the acknowledgement of AwsSolutions-S1 needs a reason a reviewer can accept, got "not needed"');
    const role = new ServiceRole(new Stack(), 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => role.acknowledgeOnGrants('AwsSolutions-IAM5', 'short')).toThrow(PublicConstructPropsError);
  });
});

describe('LoggedStateMachine', () => {
  test('logs every execution to an encrypted log group, traces, times out, and runs with a managed-policy role; EventBridge starts it through a role of its own', () => {
    const stack = checkedStack();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sfn = require('aws-cdk-lib/aws-stepfunctions') as typeof import('aws-cdk-lib/aws-stepfunctions');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const events = require('aws-cdk-lib/aws-events') as typeof import('aws-cdk-lib/aws-events');
    const machine = new LoggedStateMachine(stack, 'Flow', { definition: new sfn.Pass(stack, 'Nothing'), description: 'test flow' });
    new events.Rule(stack, 'Rule', { eventPattern: { source: ['aws.health'] }, targets: [machine.eventTarget()] });
    const t = template(stack);
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [Match.anyValue()] },
      DefinitionString: Match.stringLikeRegexp('"TimeoutSeconds":1800'),
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue() });
    t.resourceCountIs('AWS::IAM::Policy', 0);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'states:StartExecution', Resource: { Ref: Match.stringLikeRegexp('^FlowStateMachine') } })] },
    });
    t.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FlowEventsRole'), 'Arn'] } })] });
    expect(machine.eventTarget()).toBeDefined();
    expect(machine.node.findAll().filter((c) => c.node.id === 'EventsRole')).toHaveLength(1);
  });
});

describe('SharedProvider (the Provider framework of every custom resource)', () => {
  function providerStack(reservedConcurrentExecutions?: number): Stack {
    const stack = checkedStack();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handler-'));
    fs.writeFileSync(path.join(dir, 'index.ts'), 'export async function handler(): Promise<object> { return {}; }\n');
    try {
      SharedProvider.of(stack, { resourceType: 'Thing', handlerDir: dir, description: 'test custom resource', reservedConcurrentExecutions }).resource(stack, 'Thing', {});
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return stack;
  }

  test('the Provider framework runs with a managed-policy role, logs to an encrypted log group it may write, reserves no concurrency unless asked, and passes the checks', () => {
    const t = template(providerStack());
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('framework'),
      ReservedConcurrentExecutions: Match.absent(),
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^DevOpsPatternsThingProviderFrameworkLogs') } },
      Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DevOpsPatternsThingProviderFrameworkRole'), 'Arn'] },
    });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^DevOpsPatternsThingProviderFrameworkRole') }],
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
        Match.objectLike({ Action: 'lambda:InvokeFunction' }),
      ]) },
    });
    t.resourceCountIs('AWS::IAM::Policy', 0);
    t.resourceCountIs('Custom::Thing', 1);
  });

  test('the Provider framework reserves the concurrency it is given, and passes the checks', () => {
    template(providerStack(3)).hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('framework'),
      ReservedConcurrentExecutions: 3,
    });
  });

  test('refuses reserved concurrency for the Provider framework that is not a positive whole number', () => {
    expect(() => providerStack(0))
      .toThrow('Core/DevOpsPatternsThingProvider: invalid SharedProvider props (1 problem):\n  - reservedConcurrentExecutions must be a positive whole number, got 0');
  });
});
