import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DownloadSource, PatchClassification, PatchManagement, PatchOperatingSystem, PatchSeverity } from '../../lib';
import { ssmScheduleProblem } from '../../lib/iac/ssm-schedule';
import { exampleConfig } from '../../examples/config';
import { addPatchManagementExamples } from '../../examples/iac/patch-management';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { explainDenial, expectPermissionsHold, stacksOf } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const SUNDAY_3AM = events.Schedule.cron({ weekDay: 'SUN', hour: '3', minute: '0' });

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Patching', { env: ENV });
}

/** Every statement of the managed policies attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(t: Template, rolePrefix: string): Array<Record<string, unknown>> {
  return Object.values(t.findResources('AWS::IAM::ManagedPolicy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('IAC-6 PatchManagement', () => {
  const app = exampleTestApp();
  const examples = addPatchManagementExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(examples.patchManagement);
  const account = examples.patchManagement.account;
  const region = examples.patchManagement.region;

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(examples));
    expect(report.edgeKinds).toMatchObject({
      'maintenance window task -> Run Command': 1,
      'SSM Automation runbook -> its role': 1,
      'ec2 assumes its role': 1,
      'EventBridge rule -> sns': 2,
    });
  });

  test('the custom baseline is registered for the patch group, with typed classification and severity filters and the rejected patches blocked', () => {
    example.hasResourceProperties('AWS::SSM::PatchBaseline', {
      OperatingSystem: 'AMAZON_LINUX_2023',
      PatchGroups: ['web'],
      RejectedPatches: ['kernel-debug*'],
      RejectedPatchesAction: 'BLOCK',
      ApprovalRules: {
        PatchRules: [
          {
            ApproveAfterDays: 3, ComplianceLevel: 'CRITICAL', EnableNonSecurity: false,
            PatchFilterGroup: { PatchFilters: [{ Key: 'CLASSIFICATION', Values: ['Security'] }, { Key: 'SEVERITY', Values: ['Critical', 'Important'] }] },
          },
          { ApproveAfterDays: 14, ComplianceLevel: 'MEDIUM', EnableNonSecurity: false, PatchFilterGroup: { PatchFilters: [{ Key: 'CLASSIFICATION', Values: ['Bugfix'] }] } },
        ],
      },
    });
  });

  test('the window opens Sundays at 03:00 Berlin time for 4 hours, cutoff 1, and targets only the nodes tagged Patch Group=web', () => {
    example.hasResourceProperties('AWS::SSM::MaintenanceWindow', {
      Schedule: 'cron(0 3 ? * SUN *)', ScheduleTimezone: 'Europe/Berlin', Duration: 4, Cutoff: 1, AllowUnassociatedTargets: false,
      Name: Match.stringLikeRegexp('^[a-zA-Z0-9_.-]{3,128}$'),
    });
    example.hasResourceProperties('AWS::SSM::MaintenanceWindowTarget', {
      ResourceType: 'INSTANCE', Targets: [{ Key: 'tag:Patch Group', Values: ['web'] }], WindowId: { Ref: Match.stringLikeRegexp('^PatchingWindow') },
    });
  });

  test('the task runs AWS-RunPatchBaseline Install with RebootIfNeeded on the window target, 10% at a time, output to the encrypted bucket, as its own role', () => {
    example.hasResourceProperties('AWS::SSM::MaintenanceWindowTask', {
      TaskType: 'RUN_COMMAND', TaskArn: 'AWS-RunPatchBaseline', MaxConcurrency: '10%', MaxErrors: '10%', CutoffBehavior: 'CANCEL_TASK',
      Targets: [{ Key: 'WindowTargetIds', Values: [{ Ref: Match.stringLikeRegexp('^PatchingTarget') }] }],
      ServiceRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PatchingTaskRole'), 'Arn'] },
      TaskInvocationParameters: {
        MaintenanceWindowRunCommandParameters: {
          Parameters: { Operation: ['Install'], RebootOption: ['RebootIfNeeded'] },
          OutputS3BucketName: { Ref: Match.stringLikeRegexp('^PatchingOutputBucket') },
          OutputS3KeyPrefix: 'patching',
        },
      },
    });
    example.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.absent(),
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() }, BucketKeyEnabled: true }] },
      LoggingConfiguration: Match.anyValue(),
    });
  });

  test('the task role trusts Systems Manager of this account only', () => {
    example.hasResourceProperties('AWS::IAM::Role', {
      RoleName: Match.absent(),
      Description: Match.stringLikeRegexp('Runs the patch task'),
      AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'ssm.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': account } } }] },
    });
  });

  test('the nodes write the output with their own role: the fleet role and the hybrid role may put objects under the prefix only, and use the bucket key', async () => {
    const report = await expectPermissionsHold(stacksOf(examples));
    const roleArn = (prefix: string) => report.assembly.resourcesOfType('AWS::IAM::Role').find((r) => r.logicalId.startsWith(prefix))!.arn!;
    const bucket = report.assembly.resourcesOfType('AWS::S3::Bucket').find((b) => b.logicalId.startsWith('PatchingOutputBucket'))!;
    const key = report.assembly.resourcesOfType('AWS::KMS::Key').find((k) => k.logicalId.startsWith('PatchingOutputKey'))!;
    for (const principal of [roleArn('WebFleetRole'), roleArn('PatchingHybridActivationRole')]) {
      const object = `${bucket.arn}/patching/1234-command/i-0123456789abcdef0/awsrunShellScript/PatchLinux/stdout`;
      expect(await explainDenial(report.assembly, { principal, action: 's3:PutObject', resource: object })).toBeUndefined();
      expect(await explainDenial(report.assembly, { principal, action: 'kms:GenerateDataKey', resource: key.arn!, context: { 'kms:ViaService': `s3.${region}.amazonaws.com` } })).toBeUndefined();
      expect(await explainDenial(report.assembly, { principal, action: 's3:PutObject', resource: `${bucket.arn}/elsewhere/x` })).toMatch(/is not allowed/);
    }
    // The task role sends the command; it cannot write the output itself.
    expect(await explainDenial(report.assembly, { principal: roleArn('PatchingTaskRole'), action: 's3:PutObject', resource: `${bucket.arn}/patching/x` })).toMatch(/is not allowed/);
  });

  test('the hybrid activation role trusts Systems Manager of this account and region (aws:SourceArn), carries AmazonSSMManagedInstanceCore, and the stack prints the create-activation command', async () => {
    example.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole', Principal: { Service: 'ssm.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': account }, ArnEquals: { 'aws:SourceArn': `arn:aws:ssm:${region}:${account}:*` } },
        }],
      },
    });
    example.hasOutput('*', { Value: { 'Fn::Join': ['', [`aws ssm create-activation --region ${region} --iam-role `, { Ref: Match.stringLikeRegexp('^PatchingHybridActivationRole') }, ' --registration-limit 10 --default-instance-name web']] } });
    const report = await expectPermissionsHold(stacksOf(examples));
    const hybrid = report.assembly.resourcesOfType('AWS::IAM::Role').find((r) => r.logicalId.startsWith('PatchingHybridActivationRole'))!.arn!;
    const assume = (sourceArn: string) => ({ principal: 'ssm.amazonaws.com', action: 'sts:AssumeRole', resource: hybrid, context: { 'aws:SourceAccount': account, 'aws:SourceArn': sourceArn } });
    expect(await explainDenial(report.assembly, assume(`arn:aws:ssm:${region}:${account}:activation/1234`))).toBeUndefined();
    expect(await explainDenial(report.assembly, assume(`arn:aws:ssm:us-west-2:${account}:activation/1234`))).toMatch(/is not allowed/);
  });

  test('the composite document downloads the document from GitHub (aws:downloadContent) and runs the downloaded file (aws:runDocument)', () => {
    example.hasResourceProperties('AWS::SSM::Document', {
      DocumentType: 'Command',
      Content: {
        schemaVersion: '2.2',
        mainSteps: [
          {
            action: 'aws:downloadContent', name: 'DownloadDocument',
            inputs: { sourceType: 'GitHub', sourceInfo: '{"owner":"example-org","repository":"ssm-documents","path":"documents/harden-linux.json","getOptions":"branch:refs/remotes/origin/main"}', destinationPath: 'downloads' },
          },
          { action: 'aws:runDocument', name: 'RunDownloadedDocument', inputs: { documentType: 'LocalPath', documentPath: 'downloads/harden-linux.json' } },
        ],
      },
    });
  });

  test('the AMI build runbook launches from the latest AL2023 AMI with its build tag, patches, stops, images and terminates, and terminates after any failure', () => {
    const docs = example.findResources('AWS::SSM::Document', { Properties: { DocumentType: 'Automation' } });
    const content = Object.values(docs)[0].Properties.Content;
    expect(content.schemaVersion).toBe('0.3');
    expect(content.assumeRole).toBe('{{ AutomationAssumeRole }}');
    expect(content.parameters.SourceAmiId.default).toBe('{{ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}');
    expect(content.mainSteps.map((s: { action: string }) => s.action))
      .toEqual(['aws:runInstances', 'aws:runCommand', 'aws:changeInstanceState', 'aws:createImage', 'aws:changeInstanceState']);
    expect(content.mainSteps[1].inputs.DocumentName).toBe('AWS-RunPatchBaseline');
    expect(content.mainSteps.slice(1, 4).map((s: { onFailure: string }) => s.onFailure)).toEqual(['step:TerminateInstance', 'step:TerminateInstance', 'step:TerminateInstance']);
    expect(content.mainSteps[4].inputs.DesiredState).toBe('terminated');
    expect(content.mainSteps[0].inputs.TagSpecifications[0].Tags[0].Key).toBe('devops-patterns:ami-build');
  });

  test('the automation role passes only the build instance role, only to EC2, and stops, images or terminates only instances with its build tag', () => {
    const statements = statementsOf(example, 'PatchingAutomationRole');
    expect(statements.filter((x) => JSON.stringify(x.Action).includes('iam:PassRole'))).toEqual([{
      Effect: 'Allow', Action: 'iam:PassRole',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^PatchingBuildInstanceRole/), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    }]);
    const destructive = statements.find((s) => JSON.stringify(s.Action).includes('ec2:TerminateInstances'))!;
    expect(destructive.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/devops-patterns:ami-build': expect.stringMatching(/^Iac6PatchManagement-Patching-[0-9A-F]{8}$/) } });
    example.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'ssm.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': account }, ArnLike: { 'aws:SourceArn': `arn:aws:ssm:*:${account}:automation-execution/*` } } }] },
    });
  });

  test('failed, timed-out or cancelled patch tasks of this window and failed AMI builds reach the topic in words', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.ssm'], 'detail-type': ['Maintenance Window Task Execution State-change Notification'], 'detail': { 'window-id': [{ Ref: Match.stringLikeRegexp('^PatchingWindow') }], 'status': ['FAILED', 'TIMED_OUT', 'CANCELLED'] } },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^PatchingNotificationsTopic') } })],
    });
    const taskRule = Object.values(example.findResources('AWS::Events::Rule')).find((r) => JSON.stringify(r).includes('window-id'))!;
    expect(JSON.stringify(taskRule.Properties.Targets[0].InputTransformer.InputTemplate)).toMatch(/The patch task of maintenance window <detail-window-id> ended <detail-status>/);
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.ssm'], 'detail-type': ['EC2 Automation Execution Status-change Notification'], 'detail': { Definition: [{ Ref: Match.stringLikeRegexp('^PatchingAmiBuild') }], Status: ['Failed', 'TimedOut', 'Cancelled'] } },
    });
  });

  test('Windows baselines filter severity with MSRC_SEVERITY and approve security and critical updates by default', () => {
    const s = stack();
    new PatchManagement(s, 'Patching', { patchGroup: 'windows', schedule: SUNDAY_3AM, operatingSystem: PatchOperatingSystem.WINDOWS });
    Template.fromStack(s).hasResourceProperties('AWS::SSM::PatchBaseline', {
      OperatingSystem: 'WINDOWS',
      ApprovalRules: { PatchRules: [{ ApproveAfterDays: 7, ComplianceLevel: 'CRITICAL', PatchFilterGroup: { PatchFilters: [{ Key: 'CLASSIFICATION', Values: ['SecurityUpdates', 'CriticalUpdates'] }, { Key: 'MSRC_SEVERITY', Values: ['Critical', 'Important'] }] } }] },
    });
  });

  test('SSM schedule syntax: what maintenance windows accept and EventBridge would not, and the reverse', () => {
    for (const ok of ['cron(0 3 ? * SUN *)', 'cron(0 2 ? * THU#3 *)', 'cron(15 10 ? * 6L *)', 'cron(0 2 L * ? *)', 'cron(24 30 09 ? * * *)', 'rate(1 hour)', 'rate(7 days)', 'at(2026-07-07T15:55:00)']) {
      expect([ok, ssmScheduleProblem(ok)]).toEqual([ok, undefined]);
    }
    for (const bad of ['cron(0 3 * * SUN *)', 'cron(0 3 * * *)', 'cron(0 24 ? * SUN *)', 'cron(0 30 09 ? * * *)', 'rate(1 hours)', 'rate(5 hour)', 'rate(0 days)', 'rate(2 weeks)', 'at(2026-02-30T00:00:00)', 'every sunday']) {
      expect([bad, ssmScheduleProblem(bad)]).toEqual([bad, expect.any(String)]);
    }
  });

  test('passes the checks and the permission test on its own; a plain iam.Role of the user it grants to is left for the user to fix, not acknowledged', async () => {
    const a = checkedApp();
    const s = stack(a);
    const patching = new PatchManagement(s, 'Patching', {
      patchGroup: 'app servers', schedule: events.Schedule.rate(Duration.days(7)),
      approvalRules: [{ classifications: [PatchClassification.SECURITY], severities: [PatchSeverity.CRITICAL], approveAfterDays: 0 }],
      compositeDocument: { source: DownloadSource.gitHub({ owner: 'o', repository: 'r', path: 'd.yml', gitRef: '0123456789abcdef0123456789abcdef01234567' }) },
    });
    patching.grantOutputWrite(new iam.Role(s, 'Fleet', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }));
    expect(() => synthWithChecks(a)).toThrow(/IAMNoInlinePolicy|AwsSolutions-IAM5/);
    // The checks flag the user's plain iam.Role (inline policy, wildcard prefix); the construct's own resources pass:
    const b = checkedApp();
    const t = stack(b);
    new PatchManagement(t, 'Patching', { patchGroup: 'app servers', schedule: events.Schedule.rate(Duration.days(7)) });
    expect(() => synthWithChecks(b)).not.toThrow();
    await expectPermissionsHold(t);
  });
});

describe('IAC-6 PatchManagement refusals', () => {
  const prefix = 'Patching/Patching: invalid PatchManagement props (1 problem):\n  - ';

  test('refuses a schedule that does not parse as Systems Manager reads it', () => {
    expect(() => new PatchManagement(stack(), 'Patching', { patchGroup: 'web', schedule: events.Schedule.expression('cron(0 3 * * SUN *)') }))
      .toThrow(`${prefix}schedule "cron(0 3 * * SUN *)" does not parse as a Systems Manager maintenance window schedule: exactly one of day-of-month and day-of-week must be ?`);
  });

  test('refuses a rate whose unit does not agree with its value', () => {
    expect(() => new PatchManagement(stack(), 'Patching', { patchGroup: 'web', schedule: events.Schedule.expression('rate(1 days)') }))
      .toThrow(`${prefix}schedule "rate(1 days)" does not parse as a Systems Manager maintenance window schedule: the unit of rate(1 ...) must be singular`);
  });

  test('refuses a window shorter than its cutoff', () => {
    expect(() => new PatchManagement(stack(), 'Patching', { patchGroup: 'web', schedule: SUNDAY_3AM, duration: Duration.hours(2), cutoff: Duration.hours(3) }))
      .toThrow(`${prefix}the window (duration 2 hours) must be longer than its cutoff (3 hours): no task could start`);
  });

  test('refuses a window as long as its cutoff', () => {
    expect(() => new PatchManagement(stack(), 'Patching', { patchGroup: 'web', schedule: SUNDAY_3AM, duration: Duration.hours(2), cutoff: Duration.hours(2) }))
      .toThrow(`${prefix}the window (duration 2 hours) must be longer than its cutoff (2 hours): no task could start`);
  });

  test('refuses a duration outside 1-24 whole hours', () => {
    expect(() => new PatchManagement(stack(), 'Patching', { patchGroup: 'web', schedule: SUNDAY_3AM, duration: Duration.hours(25) }))
      .toThrow(`${prefix}duration must be 1 to 24 whole hours, got 25 hours`);
  });

  test('refuses approveAfterDays outside 0-360', () => {
    expect(() => new PatchManagement(stack(), 'Patching', { patchGroup: 'web', schedule: SUNDAY_3AM, approvalRules: [{ classifications: [PatchClassification.SECURITY], approveAfterDays: 361 }] }))
      .toThrow(`${prefix}approvalRules[0].approveAfterDays must be between 0 and 360, got 361`);
  });

  test('refuses an approval rule without filters', () => {
    expect(() => new PatchManagement(stack(), 'Patching', { patchGroup: 'web', schedule: SUNDAY_3AM, approvalRules: [{ approveAfterDays: 7 }] }))
      .toThrow(`${prefix}approvalRules[0] must name classifications or severities: a rule without filters would approve every patch`);
  });

  test('refuses a time zone that is not IANA, and lists every problem at once', () => {
    expect(() => new PatchManagement(stack(), 'Patching', { patchGroup: 'web', schedule: SUNDAY_3AM, scheduleTimezone: 'Mars/Olympus', maxConcurrency: '0' }))
      .toThrow('Patching/Patching: invalid PatchManagement props (2 problems):\n'
        + '  - scheduleTimezone must be an IANA time zone such as Europe/Berlin, got "Mars/Olympus"\n'
        + '  - maxConcurrency must be a number of nodes (1, 2, ...) or a percentage (1% to 100%), got "0"');
  });
});
