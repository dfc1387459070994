import { App, CfnParameter, Duration, PhysicalName, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { acknowledge, ReleasePipeline, ReleasePipelineProps, ReleaseReplicationBucket, ReleaseSource, ServerDeployment, ServiceRole } from '../../lib';
import { addReleasePipelineExamples } from '../../examples/cicd/release-pipeline';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const app = exampleTestApp();
const stacks = addReleasePipelineExamples(app, exampleConfig(app));
app.synth();
const main = Template.fromStack(stacks.codeCommitRelease);
const gitHub = Template.fromStack(stacks.gitHubBlueGreen);
const replicas = Template.fromStack(stacks.replicas);

describe('CICD-1 ReleasePipeline', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  test('a V2 pipeline: CodeCommit source without polling, tests, approval, CodeDeploy and S3 deploy', () => {
    main.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      PipelineType: 'V2',
      ExecutionMode: 'QUEUED',
      Stages: [
        Match.objectLike({ Name: 'Source', Actions: [Match.objectLike({
          ActionTypeId: Match.objectLike({ Provider: 'CodeCommit' }),
          Configuration: Match.objectLike({ BranchName: 'main', PollForSourceChanges: false }),
        })] }),
        Match.objectLike({ Name: 'Test', Actions: [Match.objectLike({ ActionTypeId: Match.objectLike({ Provider: 'CodeBuild' }) })] }),
        Match.objectLike({ Name: 'Approve', Actions: [Match.objectLike({ ActionTypeId: Match.objectLike({ Category: 'Approval', Provider: 'Manual' }) })] }),
        Match.objectLike({ Name: 'Deploy', Actions: [
          Match.objectLike({ ActionTypeId: Match.objectLike({ Provider: 'CodeDeploy' }) }),
          Match.objectLike({ ActionTypeId: Match.objectLike({ Provider: 'S3' }), Region: 'eu-central-1', Configuration: Match.objectLike({ Extract: 'true' }) }),
        ] }),
      ],
    });
  });

  test('an EventBridge rule on pushes to the branch starts the pipeline', () => {
    main.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        'source': ['aws.codecommit'],
        'detail-type': ['CodeCommit Repository State Change'],
        'detail': Match.objectLike({ referenceName: ['main'] }),
      }),
      Targets: [Match.objectLike({ Arn: Match.objectLike({ 'Fn::Join': Match.anyValue() }), RoleArn: Match.anyValue() })],
    });
  });

  test('GitHub through CodeConnections: a push-triggered source, no polling', () => {
    gitHub.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([Match.objectLike({ Name: 'Source', Actions: [Match.objectLike({
        ActionTypeId: Match.objectLike({ Provider: 'CodeStarSourceConnection' }),
        Configuration: Match.objectLike({ FullRepositoryId: 'example-org/web', BranchName: 'main', ConnectionArn: Match.stringLikeRegexp('^arn:aws:codeconnections:') }),
      })] })]),
    });
  });

  test('the GitHub source action role may use the example\'s codeconnections connection, with the codeconnections action', () => {
    const arn = 'arn:aws:codeconnections:eu-west-1:444444444444:connection/00000000-0000-0000-0000-000000000000';
    expect(useConnectionGrants(gitHub)).toEqual([{ action: 'codeconnections:UseConnection', resource: arn }]);
  });

  test('the test build reports JUnit results to a report group and writes the typed appspec.yml into the revision', () => {
    const project = Object.values(main.findResources('AWS::CodeBuild::Project'))[0];
    const spec = JSON.parse(project.Properties.Source.BuildSpec['Fn::Join'] ? project.Properties.Source.BuildSpec['Fn::Join'][1].map((p: unknown) => typeof p === 'string' ? p : 'ARN').join('') : project.Properties.Source.BuildSpec);
    const reports = Object.values(spec.reports) as Array<Record<string, unknown>>;
    expect(reports).toEqual([{ 'files': ['**/*'], 'base-directory': 'reports', 'file-format': 'JUNITXML' }]);
    expect(spec.phases.build.commands).toEqual(['npm ci', 'npm test', expect.stringMatching(/^echo [A-Za-z0-9+/=]+ \| base64 -d > appspec\.yml$/)]);
    main.resourceCountIs('AWS::CodeBuild::ReportGroup', 1);
    main.hasResourceProperties('AWS::CodeBuild::Project', { EncryptionKey: Match.anyValue(), LogsConfig: { CloudWatchLogs: Match.objectLike({ Status: 'ENABLED' }) } });
  });

  test('the artifact bucket is versioned, KMS-encrypted and TLS-only', () => {
    main.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'expire-old-artifacts' })] },
    });
    main.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('a replication bucket per region: the secondary region has its own artifact store, KMS-encrypted through an alias', () => {
    const pipeline = Object.values(main.findResources('AWS::CodePipeline::Pipeline'))[0];
    const stores = pipeline.Properties.ArtifactStores as Array<{ Region: string; ArtifactStore: { Location: unknown; EncryptionKey: { Id: unknown } } }>;
    expect(stores.map((s) => s.Region).sort()).toEqual(['eu-central-1', 'eu-west-1']);
    const secondary = stores.find((s) => s.Region === 'eu-central-1')!;
    expect(secondary.ArtifactStore.Location).toMatch(/^cicd1-release-replicas/);
    expect(secondary.ArtifactStore.EncryptionKey.Id).toMatch(/^arn:aws:kms:eu-central-1:444444444444:alias\/release-artifacts\//);
    replicas.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
  });

  test('keys in another region are granted only through their aliases, on the keys of that region and account', () => {
    main.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Resource: 'arn:aws:kms:eu-central-1:444444444444:key/*',
        Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': Match.arrayWith([Match.stringLikeRegexp('^alias/release-artifacts/')]) } },
      })]) },
    });
  });

  test('scheduled runs from an EventBridge schedule', () => {
    main.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 3 * * ? *)', Targets: [Match.objectLike({ RoleArn: Match.anyValue() })] });
  });

  test('pipeline, stage, action and build state changes go to the SNS topic through EventBridge', () => {
    main.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.codepipeline'],
        'detail-type': ['CodePipeline Pipeline Execution State Change', 'CodePipeline Stage Execution State Change', 'CodePipeline Action Execution State Change'],
        'detail': { pipeline: [Match.anyValue()] },
      },
      Targets: [Match.objectLike({ InputTransformer: Match.anyValue() })],
    });
    main.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.codebuild'], 'detail-type': ['CodeBuild Build State Change'], 'detail': { 'project-name': [Match.anyValue()] } },
    });
    main.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'release-team@example.com' });
  });

  test('a custom action type for a job worker', () => {
    main.hasResourceProperties('AWS::CodePipeline::CustomActionType', { Category: 'Test', Provider: 'ReleaseComplianceScan', Version: '1' });
  });

  test('every role the construct creates keeps its grants in a managed policy: no inline policies', () => {
    main.resourceCountIs('AWS::IAM::Policy', 0);
    gitHub.resourceCountIs('AWS::IAM::Policy', 0);
  });
});

/** Every UseConnection grant in the template's managed policies, as action and resource. */
function useConnectionGrants(template: Template): Array<{ action: string; resource: unknown }> {
  const grants: Array<{ action: string; resource: unknown }> = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::ManagedPolicy'))) {
    for (const st of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>) {
      for (const action of [st.Action].flat().filter((a) => a.endsWith(':UseConnection'))) {
        for (const resource of [st.Resource].flat()) grants.push({ action, resource });
      }
    }
  }
  return grants.sort((a, b) => a.action.localeCompare(b.action));
}

describe('CICD-1 ReleasePipeline GitHub source: UseConnection with the prefix of the connection ARN', () => {
  function pipelineWith(connectionArn: (stack: Stack) => string): Template {
    const stack = new Stack(new App(), 'P', { env: { account: '444444444444', region: 'eu-west-1' } });
    new ReleasePipeline(stack, 'R', { source: ReleaseSource.gitHub({ connectionArn: connectionArn(stack), owner: 'o', repo: 'r' }) });
    return Template.fromStack(stack);
  }

  test.each([
    ['codeconnections', 'arn:aws:codeconnections:eu-west-1:444444444444:connection/11111111-1111-1111-1111-111111111111'],
    ['codestar-connections', 'arn:aws:codestar-connections:eu-west-1:444444444444:connection/22222222-2222-2222-2222-222222222222'],
    ['codeconnections', 'arn:aws-cn:codeconnections:cn-north-1:444444444444:connection/33333333-3333-3333-3333-333333333333'],
  ])('a %s ARN (%s) is granted the UseConnection action of that prefix, on that ARN only', (prefix, arn) => {
    expect(useConnectionGrants(pipelineWith(() => arn))).toEqual([{ action: `${prefix}:UseConnection`, resource: arn }]);
  });

  test('an ARN that cannot be read at synth is granted both prefixes on that ARN', () => {
    const template = pipelineWith((stack) => new CfnParameter(stack, 'ConnectionArn').valueAsString);
    expect(useConnectionGrants(template)).toEqual([
      { action: 'codeconnections:UseConnection', resource: { Ref: 'ConnectionArn' } },
      { action: 'codestar-connections:UseConnection', resource: { Ref: 'ConnectionArn' } },
    ]);
  });

  test('refuses a connection ARN of another service', () => {
    const stack = new Stack(new App(), 'P', { env: { account: '444444444444', region: 'eu-west-1' } });
    expect(() => new ReleasePipeline(stack, 'R', {
      source: ReleaseSource.gitHub({ connectionArn: 'arn:aws:codecommit:eu-west-1:444444444444:web', owner: 'o', repo: 'r' }),
    })).toThrow(/^P\/R: invalid ReleasePipeline props \(1 problem\):\n {2}- source connectionArn "arn:aws:codecommit:eu-west-1:444444444444:web" is not a CodeConnections connection ARN/);
  });
});

describe('CICD-1 ReleasePipeline refusals', () => {
  function fixture() {
    const a = checkedApp();
    const stack = new Stack(a, 'P', { env: { account: '444444444444', region: 'eu-west-1' } });
    const other = new Stack(a, 'O', { env: { account: '444444444444', region: 'us-east-1' } });
    const source = ReleaseSource.codeCommit(codecommit.Repository.fromRepositoryName(stack, 'Repo', 'r'));
    return { stack, other, source };
  }

  test('refuses an unencrypted artifact bucket passed in', () => {
    const { stack, source } = fixture();
    const bucket = new s3.Bucket(stack, 'Plain', { versioned: true });
    expect(() => new ReleasePipeline(stack, 'R', { source, artifactBucket: bucket }))
      .toThrow(/^P\/R: invalid ReleasePipeline props \(1 problem\):\n {2}- artifactBucket \(P\/Plain\) is not KMS-encrypted/);
  });

  test('refuses an unversioned artifact bucket passed in', () => {
    const { stack, source } = fixture();
    const bucket = new s3.Bucket(stack, 'Unversioned', { encryption: s3.BucketEncryption.KMS });
    expect(() => new ReleasePipeline(stack, 'R', { source, artifactBucket: bucket }))
      .toThrow(/artifactBucket \(P\/Unversioned\) is not versioned: CodePipeline requires a versioned artifact bucket/);
  });

  test('refuses a cross-region action without that region\'s artifact bucket', () => {
    const { stack, other, source } = fixture();
    const target = new ReleaseReplicationBucket(other, 'Target').bucket;
    expect(() => new ReleasePipeline(stack, 'R', { source, s3Deployments: [{ bucket: target }] }))
      .toThrow(/S3 deployment to O\/Target\/Artifacts\/Bucket runs in us-east-1, but replicationBuckets has no artifact bucket for us-east-1/);
  });

  test('refuses a bucket of another region whose key can only be named by a token (no alias)', () => {
    const { stack, other, source } = fixture();
    const replica = new ReleaseReplicationBucket(other, 'Replica');
    const target = new s3.Bucket(other, 'KeyedTarget', { encryption: s3.BucketEncryption.KMS, versioned: true });
    expect(() => new ReleasePipeline(stack, 'R', { source, replicationBuckets: { 'us-east-1': replica.bucket }, s3Deployments: [{ bucket: target }] }))
      .toThrow(/^P\/R: invalid ReleasePipeline props \(1 problem\):\n {2}- s3Deployments\[0\]\.bucket \(O\/KeyedTarget\) is in us-east-1 and its key can be named from eu-west-1 only through an alias or a literal key ARN/);
  });

  test('grantJobWorker without a custom action type is refused with the construct path', () => {
    const { stack, source } = fixture();
    const release = new ReleasePipeline(stack, 'R', { source });
    expect(() => release.grantJobWorker(new iam.AccountRootPrincipal()))
      .toThrow(expect.objectContaining({ name: 'ConstructPropsError', message: expect.stringMatching(/^P\/R: invalid ReleasePipeline props \(1 problem\):\n {2}- grantJobWorker needs customActionType/) }));
  });

  test('the schedule is an events.Schedule, rendered by EventBridge\'s own construct: a rate and a cron on weekdays', () => {
    const stack = new Stack(new App(), 'P', { env: { account: '444444444444', region: 'eu-west-1' } });
    const source = ReleaseSource.codeCommit(codecommit.Repository.fromRepositoryName(stack, 'Repo', 'r'));
    new ReleasePipeline(stack, 'R1', { source, schedule: events.Schedule.rate(Duration.days(1)) });
    new ReleasePipeline(stack, 'R2', { source, schedule: events.Schedule.cron({ minute: '0', hour: '6', weekDay: 'MON-FRI' }) });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)', Targets: [Match.objectLike({ RoleArn: Match.anyValue() })] });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 6 ? * MON-FRI *)' });
  });
});

describe('CICD-1 / CICD-4 sandbox mode', () => {
  test('-c sandbox=true passes the checks and leaves no retained resource', () => {
    const a = checkedApp({ sandbox: 'true' });
    const s = addReleasePipelineExamples(a, exampleConfig(a));
    synthWithChecks(a);
    for (const stack of Object.values(s) as Stack[]) {
      const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
      const retained = Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate');
      expect(retained.map(([id]) => `${stack.stackName}/${id}`)).toEqual([]);
    }
    Template.fromStack(s.codeCommitRelease).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'false' }]),
    });
  });
});

describe('CICD-1 ReleasePipeline acknowledges only on what it created, and covers later grants', () => {
  test('a cross-region stage added with pipeline.addStage() after construction leaves no finding on the pipeline\'s role', () => {
    const a = checkedApp();
    const stack = new Stack(a, 'P', { env: { account: '444444444444', region: 'eu-west-1' } });
    const other = new Stack(a, 'O', { env: { account: '444444444444', region: 'us-east-1' } });
    const replica = new ReleaseReplicationBucket(other, 'Replica');
    const target = new ReleaseReplicationBucket(other, 'Target');
    acknowledge(target.bucket.node.defaultChild!, 'AwsSolutions-S1', 'A test target bucket; its access logs are not what this test is about.');
    const release = new ReleasePipeline(stack, 'R', {
      source: ReleaseSource.codeCommit(codecommit.Repository.fromRepositoryName(stack, 'Repo', 'r')),
      replicationBuckets: { 'us-east-1': replica.bucket },
    });
    // The test owns this role, so the test acknowledges its findings, on it only.
    const userRole = new ServiceRole(stack, 'LaterRole', { assumedBy: new iam.ArnPrincipal(release.role.roleArn), roleName: PhysicalName.GENERATE_IF_NEEDED });
    for (const id of ['AwsSolutions-IAM5']) Validations.of(userRole).acknowledge({ id, reason: 'The test\'s own role for the stage added later.' });
    release.pipeline.addStage({
      stageName: 'Later',
      actions: [new actions.S3DeployAction({ actionName: 'Later', bucket: target.bucket, input: new codepipeline.Artifact('Build'), role: userRole })],
    });
    let error: unknown;
    try { synthWithChecks(a); } catch (e) { error = e; }
    expect(String(error ?? '')).not.toMatch(/P\/R\//);
  });
});

describe('CICD-1 ReleasePipeline leaves a user\'s roles alone', () => {
  test('acknowledges nothing on the instance role of the Auto Scaling group it deploys to (the user\'s role)', () => {
    const stack = new Stack(checkedApp(), 'P', { env: { account: '444444444444', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['eu-west-1a', 'eu-west-1b'], natGateways: 0 });
    const instanceRole = new ServiceRole(stack, 'InstanceRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const asg = new autoscaling.AutoScalingGroup(stack, 'Asg', {
      vpc, instanceType: new ec2.InstanceType('t3.micro'), machineImage: ec2.MachineImage.latestAmazonLinux2023(), role: instanceRole,
    });
    const deployment = new ServerDeployment(stack, 'Deployment', { autoScalingGroups: [asg] });
    new ReleasePipeline(stack, 'R', {
      source: ReleaseSource.codeCommit(codecommit.Repository.fromRepositoryName(stack, 'Repo', 'r')),
      ...serverDeploymentProp(deployment),
    });
    expect(instanceRole.grantsPolicies.length).toBeGreaterThan(0); // the CodeDeploy action granted the role read access to the artifacts
    expect(instanceRole.grantsPolicies.flatMap((p) => acknowledgedIds(p.node.defaultChild!))).toEqual([]);
  });
});

/** The ids acknowledged on one construct. */
function acknowledgedIds(construct: IConstruct): string[] {
  return construct.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => JSON.stringify(m.data));
}

/** The pipeline's prop for a server deployment. */
function serverDeploymentProp(deployment: ServerDeployment): Partial<ReleasePipelineProps> {
  return { serverDeploymentGroup: deployment.deploymentGroup };
}
