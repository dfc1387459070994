/**
 * CICD-1 integration test, for a real account: `npm run integ` deploys a ReleasePipeline whose
 * source is a new, empty CodeCommit repository, whose test stage checks that index.html is there,
 * and whose deploy stage extracts the build output into a KMS-encrypted SecureBucket. The
 * assertions then
 *
 * 1. commit index.html to the branch the pipeline watches (CodeCommit PutFile: the repository's
 *    first commit, which creates the branch; the EventBridge rule of the source action starts the
 *    pipeline),
 * 2. wait (up to 20 minutes, every 30 seconds) until the last stage (Deploy) of the pipeline has
 *    succeeded, and
 * 3. read the deployed index.html from the target bucket and compare it with what was committed.
 *
 * Needs CodeCommit: CodeCommit is closed to new customers (since July 2024), so an account that
 * cannot create CodeCommit repositories cannot run this test (the deployment fails on the
 * repository). Everything is destroyed afterwards (sandbox), the repository included.
 *
 * The pipeline starts once by itself when it is created, before anything is committed: that run
 * fails in Source (the branch does not exist yet) and never reaches Deploy, so only the run of the
 * commit below can make Deploy succeed.
 *
 * Run it on a fresh deployment (`npm run integ`, which deploys then destroys): redeploying the
 * assertions over a repository that already has a commit fails, because PutFile on an existing
 * branch needs the parent commit id. The repository and the waiter's state machine have fixed
 * names, so two runs cannot share an account and region at the same time.
 *
 * Snapshots are synthesized (`npm run integ:synth`) with integ-runner's placeholder account and region, so they do not
 * depend on who runs them.
 */
import { AwsApiCall, ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import type { AssertionsProvider, IApiCall } from '@aws-cdk/integ-tests-alpha';
import { App, ArnFormat, CfnResource, Duration, RemovalPolicies, Stack } from 'aws-cdk-lib';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import { ReleasePipeline, ReleaseSource } from '../../lib';
import { SecureBucket } from '../../lib/core/secure-bucket';
import { cdkJsonContext } from '../support/app';

// integ-runner's placeholder account for snapshots has 8 digits, which the CloudFormation
// validation (on in cdk.json) rejects: snapshots use a 12-digit placeholder instead.
const account = process.env.CDK_INTEG_ACCOUNT ? '123456789012' : process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_INTEG_REGION ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1';
const env = { account, region };

// cdk.json's feature flags, as in the example app; everything is destroyed afterwards, objects,
// keys and the repository included (sandbox).
const app = new App({ context: { ...cdkJsonContext(), sandbox: true } });

const stack = new Stack(app, 'Cicd1Integ-Release', {
  env,
  description: 'CICD-1 ReleasePipeline integration test: CodeCommit -> tests -> S3 (destroyed afterwards)',
});
const branch = 'main';
const repository = new codecommit.Repository(stack, 'Source', {
  repositoryName: 'cicd1-integ-release-source',
  description: 'Source of the CICD-1 ReleasePipeline integration test (created and destroyed by the test)',
});
const site = new SecureBucket(stack, 'Site');
const objectKey = 'site';
const release = new ReleasePipeline(stack, 'Release', {
  source: ReleaseSource.codeCommit(repository, branch),
  // A trivial test: the file is there and has the marker; one JUnit result for the report group.
  testCommands: [
    'test -f index.html',
    'grep -q "CICD-1 integ" index.html',
    'mkdir -p reports',
    'echo \'<testsuite name="integ" tests="1" failures="0"><testcase classname="integ" name="index.html is in the source"/></testsuite>\' > reports/integ.xml',
  ],
  s3Deployments: [{ bucket: site.bucket, objectKey }],
});

// The deploy stage extracts the whole build output under objectKey, so index.html lands here.
const deployedKey = `${objectKey}/index.html`;
const indexHtml = '<!doctype html><html><body><p>CICD-1 integ: deployed by the release pipeline</p></body></html>\n';

// The stage the wait checks: the last one, found by position (GetPipelineState lists the stages
// in pipeline order).
const stageNames = release.pipeline.stages.map((s) => s.stageName);
const lastStage = stageNames.length - 1;
if (stageNames[lastStage] !== 'Deploy') {
  throw new Error(`the release pipeline's last stage is ${stageNames[lastStage]}, not Deploy: ${stageNames.join(', ')}`);
}

// The assertions are in their own stack, in the same account and region as the pipeline.
const assertions = new Stack(app, 'Cicd1Integ-Assertions', { env });
assertions.addStackDependency(stack);

const integ = new IntegTest(app, 'Cicd1ReleasePipeline', {
  testCases: [stack],
  assertionStack: assertions,
  diffAssets: false,
});

// (1) The repository's first commit, on the branch the pipeline watches: it creates the branch,
// and the source action's EventBridge rule (referenceCreated/referenceUpdated on it) starts a run.
const commit = integ.assertions.awsApiCall('CodeCommit', 'putFile', {
  repositoryName: repository.repositoryName,
  branchName: branch,
  filePath: 'index.html',
  fileContent: indexHtml,
  commitMessage: 'CICD-1 integration test: index.html',
  name: 'CICD-1 integration test',
  email: 'integ@example.com',
});

// (2) Wait until the last stage has succeeded. Only that path of the response is kept: the whole
// GetPipelineState response (action states with console URLs) can exceed the 4096 bytes a custom
// resource may return to CloudFormation.
const deployed = integ.assertions.awsApiCall('CodePipeline', 'getPipelineState', { name: release.pipeline.pipelineName });
deployed.assertAtPath(`stageStates.${lastStage}.latestExecution.status`, ExpectedResult.exact('Succeeded'));
deployed.waitForAssertions({ totalTimeout: Duration.minutes(20), interval: Duration.seconds(30) });

// (3) The deployed object is in the target bucket, as committed (the SDK stream is read as text).
const read = integ.assertions.awsApiCall('S3', 'getObject', { Bucket: site.bucket.bucketName, Key: deployedKey });
read.expect(ExpectedResult.objectLike({ Body: indexHtml, ServerSideEncryption: 'aws:kms' }));

commit.next(deployed).next(read);

// Permissions. Every awsApiCall adds a statement for its own API on Resource '*' to the provider's
// role (and S3 getObject is authorized by s3:GetObject, plus kms:Decrypt for an SSE-KMS object).
// The role's policy is replaced by exactly what the calls need, on their resources. All calls of
// a stack share one provider function (and role); the waiter's isComplete function has its own.
function awsApiCall(call: IApiCall): AwsApiCall {
  if (!(call instanceof AwsApiCall)) throw new Error(`${call.node.path} is not an AwsApiCall`);
  return call;
}
function grantExactly(provider: AssertionsProvider, statements: Array<{ Action: string[]; Resource: string[] }>): void {
  const role = provider.handlerRoleArn.target;
  if (!(role instanceof CfnResource) || role.cfnResourceType !== 'AWS::IAM::Role') {
    throw new Error(`${provider.node.path}: the provider's role is not an AWS::IAM::Role resource any more; update grantExactly`);
  }
  role.addPropertyOverride('Policies', [{
    PolicyName: 'Inline',
    PolicyDocument: { Version: '2012-10-17', Statement: statements.map((s) => ({ Effect: 'Allow', ...s })) },
  }]);
}
const deployedWaiter = awsApiCall(deployed);
const isCompleteProvider = deployedWaiter.waiterProvider;
const waiterStateMachine = deployedWaiter.node.tryFindChild('WaitFor')?.node.tryFindChild('Resource');
if (!isCompleteProvider || !(waiterStateMachine instanceof CfnResource)) {
  throw new Error('waitForAssertions did not create its state machine and isComplete provider');
}
// The waiter's state machine gets a name, so the provider's policy can name its ARN: a Ref would
// be circular (the role -> the state machine -> PutFile, which `next` puts before the wait -> the
// provider function -> the role).
const waiterName = `${assertions.stackName}-WaitForDeploy`;
waiterStateMachine.addPropertyOverride('StateMachineName', waiterName);
const waiterArn = assertions.formatArn({ service: 'states', resource: 'stateMachine', resourceName: waiterName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
const siteKey = site.encryptionKey;
if (!siteKey) throw new Error('the site bucket is expected to be KMS-encrypted');
// The calls' own function: PutFile, start the waiter, read the deployed object.
grantExactly(commit.provider, [
  { Action: ['codecommit:PutFile'], Resource: [repository.repositoryArn] },
  { Action: ['states:StartExecution'], Resource: [waiterArn] },
  { Action: ['s3:GetObject'], Resource: [site.bucket.arnForObjects(deployedKey)] },
  { Action: ['kms:Decrypt'], Resource: [siteKey.keyArn] },
]);
// The waiter's isComplete function: GetPipelineState on this pipeline.
grantExactly(isCompleteProvider, [
  { Action: ['codepipeline:GetPipelineState'], Resource: [release.pipeline.pipelineArn] },
]);

RemovalPolicies.of(app).destroy();
app.synth();
