import {
  AssociateApprovalRuleTemplateWithRepositoryCommand,
  CodeCommitClient,
  CreateApprovalRuleTemplateCommand,
  DeleteApprovalRuleTemplateCommand,
  DisassociateApprovalRuleTemplateFromRepositoryCommand,
  UpdateApprovalRuleTemplateContentCommand,
  UpdateApprovalRuleTemplateDescriptionCommand,
} from '@aws-sdk/client-codecommit';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, TemplateEvent } from '../../../lib/cicd/handlers/approval-rule-template';

const codecommit = mockClient(CodeCommitClient);
const CONTENT = JSON.stringify({ Version: '2018-11-08', Statements: [{ Type: 'Approvers', NumberOfApprovalsNeeded: 1 }] });
const PROPS = { TemplateName: 'unit-tests-pass', TemplateDescription: 'tests', TemplateContent: CONTENT, RepositoryNames: ['app'] };

function awsError(name: string): Error {
  const error = new Error(name);
  error.name = name;
  return error;
}

beforeEach(() => {
  codecommit.reset();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

describe('create', () => {
  test('creates the template and associates it with every repository', async () => {
    const result = await handler({ RequestType: 'Create', ResourceProperties: { ...PROPS, RepositoryNames: ['app', 'lib'] } });
    expect(result.PhysicalResourceId).toBe('unit-tests-pass');
    expect(codecommit.commandCalls(CreateApprovalRuleTemplateCommand)[0].args[0].input).toEqual({
      approvalRuleTemplateName: 'unit-tests-pass', approvalRuleTemplateContent: CONTENT, approvalRuleTemplateDescription: 'tests',
    });
    expect(codecommit.commandCalls(AssociateApprovalRuleTemplateWithRepositoryCommand).map((c) => c.args[0].input.repositoryName)).toEqual(['app', 'lib']);
  });

  test('adopts a template that already exists and brings its content and description up to date', async () => {
    codecommit.on(CreateApprovalRuleTemplateCommand).rejects(awsError('ApprovalRuleTemplateNameAlreadyExistsException'));
    await handler({ RequestType: 'Create', ResourceProperties: PROPS });
    expect(codecommit.commandCalls(UpdateApprovalRuleTemplateContentCommand)[0].args[0].input).toEqual({ approvalRuleTemplateName: 'unit-tests-pass', newRuleContent: CONTENT });
    expect(codecommit.commandCalls(UpdateApprovalRuleTemplateDescriptionCommand)).toHaveLength(1);
    expect(codecommit.commandCalls(AssociateApprovalRuleTemplateWithRepositoryCommand)).toHaveLength(1);
  });

  test('fails on any other error, so CloudFormation rolls back', async () => {
    codecommit.on(CreateApprovalRuleTemplateCommand).rejects(awsError('InvalidApprovalRuleTemplateContentException'));
    await expect(handler({ RequestType: 'Create', ResourceProperties: PROPS })).rejects.toThrow('InvalidApprovalRuleTemplateContentException');
    expect(codecommit.commandCalls(AssociateApprovalRuleTemplateWithRepositoryCommand)).toHaveLength(0);
  });

  test('refuses an event without template content', async () => {
    await expect(handler({ RequestType: 'Create', ResourceProperties: { TemplateName: 'x' } })).rejects.toThrow('TemplateContent is required');
  });
});

describe('update', () => {
  test('updates content in place and moves associations to the new repository list', async () => {
    const event: TemplateEvent = {
      RequestType: 'Update', PhysicalResourceId: 'unit-tests-pass',
      ResourceProperties: { ...PROPS, RepositoryNames: ['app', 'web'] },
      OldResourceProperties: { ...PROPS, TemplateContent: '{}', RepositoryNames: ['app', 'old'] },
    };
    const result = await handler(event);
    expect(result.PhysicalResourceId).toBe('unit-tests-pass');
    expect(codecommit.commandCalls(CreateApprovalRuleTemplateCommand)).toHaveLength(0);
    expect(codecommit.commandCalls(UpdateApprovalRuleTemplateContentCommand)[0].args[0].input.newRuleContent).toBe(CONTENT);
    expect(codecommit.commandCalls(AssociateApprovalRuleTemplateWithRepositoryCommand).map((c) => c.args[0].input.repositoryName)).toEqual(['web']);
    expect(codecommit.commandCalls(DisassociateApprovalRuleTemplateFromRepositoryCommand).map((c) => c.args[0].input.repositoryName)).toEqual(['old']);
  });

  test('a new name creates a new template and returns a new physical id (CloudFormation deletes the old one)', async () => {
    const result = await handler({
      RequestType: 'Update', PhysicalResourceId: 'unit-tests-pass',
      ResourceProperties: { ...PROPS, TemplateName: 'renamed' }, OldResourceProperties: PROPS,
    });
    expect(result.PhysicalResourceId).toBe('renamed');
    expect(codecommit.commandCalls(CreateApprovalRuleTemplateCommand)[0].args[0].input.approvalRuleTemplateName).toBe('renamed');
    expect(codecommit.commandCalls(DeleteApprovalRuleTemplateCommand)).toHaveLength(0);
  });

  test('a repository removed from the list that no longer exists is not an error', async () => {
    codecommit.on(DisassociateApprovalRuleTemplateFromRepositoryCommand).rejects(awsError('RepositoryDoesNotExistException'));
    await expect(handler({
      RequestType: 'Update', PhysicalResourceId: 'unit-tests-pass',
      ResourceProperties: { ...PROPS, RepositoryNames: [] }, OldResourceProperties: PROPS,
    })).resolves.toEqual({ PhysicalResourceId: 'unit-tests-pass', Data: { TemplateName: 'unit-tests-pass' } });
  });
});

describe('delete', () => {
  test('disassociates the repositories it associated before deleting the template', async () => {
    await handler({ RequestType: 'Delete', PhysicalResourceId: 'unit-tests-pass', ResourceProperties: { ...PROPS, RepositoryNames: ['app', 'lib'] } });
    expect(codecommit.commandCalls(DisassociateApprovalRuleTemplateFromRepositoryCommand).map((c) => c.args[0].input)).toEqual([
      { approvalRuleTemplateName: 'unit-tests-pass', repositoryName: 'app' },
      { approvalRuleTemplateName: 'unit-tests-pass', repositoryName: 'lib' },
    ]);
    expect(codecommit.commandCalls(DeleteApprovalRuleTemplateCommand)[0].args[0].input).toEqual({ approvalRuleTemplateName: 'unit-tests-pass' });
  });

  test('a template that is already gone counts as deleted', async () => {
    codecommit.on(DisassociateApprovalRuleTemplateFromRepositoryCommand).rejects(awsError('ApprovalRuleTemplateDoesNotExistException'));
    await expect(handler({ RequestType: 'Delete', PhysicalResourceId: 'unit-tests-pass', ResourceProperties: PROPS }))
      .resolves.toEqual({ PhysicalResourceId: 'unit-tests-pass' });
    expect(codecommit.commandCalls(DeleteApprovalRuleTemplateCommand)).toHaveLength(0);
  });

  test('a repository deleted before the template does not block the delete', async () => {
    codecommit.on(DisassociateApprovalRuleTemplateFromRepositoryCommand).rejects(awsError('RepositoryDoesNotExistException'));
    await handler({ RequestType: 'Delete', PhysicalResourceId: 'unit-tests-pass', ResourceProperties: PROPS });
    expect(codecommit.commandCalls(DeleteApprovalRuleTemplateCommand)).toHaveLength(1);
  });

  test('the physical id of a failed create (not a template name) deletes cleanly', async () => {
    codecommit.on(DisassociateApprovalRuleTemplateFromRepositoryCommand).rejects(awsError('InvalidApprovalRuleTemplateNameException'));
    await expect(handler({ RequestType: 'Delete', PhysicalResourceId: '2024/01/01/[$LATEST]abc', ResourceProperties: PROPS })).resolves.toBeDefined();
  });

  test('a template deleted between disassociating and deleting counts as deleted', async () => {
    codecommit.on(DeleteApprovalRuleTemplateCommand).rejects(awsError('ApprovalRuleTemplateDoesNotExistException'));
    await expect(handler({ RequestType: 'Delete', PhysicalResourceId: 'unit-tests-pass', ResourceProperties: PROPS })).resolves.toBeDefined();
  });

  test('fails when another repository still uses the template, so the stack shows the error', async () => {
    codecommit.on(DeleteApprovalRuleTemplateCommand).rejects(awsError('ApprovalRuleTemplateInUseException'));
    await expect(handler({ RequestType: 'Delete', PhysicalResourceId: 'unit-tests-pass', ResourceProperties: PROPS })).rejects.toThrow('ApprovalRuleTemplateInUseException');
  });

  test('fails on throttling, so CloudFormation retries instead of leaving the template behind', async () => {
    codecommit.on(DisassociateApprovalRuleTemplateFromRepositoryCommand).rejects(awsError('ThrottlingException'));
    await expect(handler({ RequestType: 'Delete', PhysicalResourceId: 'unit-tests-pass', ResourceProperties: PROPS })).rejects.toThrow('ThrottlingException');
    expect(codecommit.commandCalls(DeleteApprovalRuleTemplateCommand)).toHaveLength(0);
  });
});
