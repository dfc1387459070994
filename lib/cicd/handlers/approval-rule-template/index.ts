/**
 * CICD-2 custom resource: a CodeCommit approval rule template associated with repositories.
 *
 * CloudFormation has no resource for approval rule templates, so this handler (run by the CDK
 * `custom_resources.Provider` framework, which always answers CloudFormation) creates, updates
 * and really deletes one. Every step is idempotent: a template that already exists is adopted and
 * brought up to date, an association that exists is left as it is, and a template or repository
 * already gone on delete counts as deleted.
 *
 * Resource properties: `TemplateName`, `TemplateDescription`, `TemplateContent` (JSON string),
 * `RepositoryNames` (string list).
 */
import {
  AssociateApprovalRuleTemplateWithRepositoryCommand,
  CodeCommitClient,
  CreateApprovalRuleTemplateCommand,
  DeleteApprovalRuleTemplateCommand,
  DisassociateApprovalRuleTemplateFromRepositoryCommand,
  UpdateApprovalRuleTemplateContentCommand,
  UpdateApprovalRuleTemplateDescriptionCommand,
} from '@aws-sdk/client-codecommit';

/** The CloudFormation custom resource event, as the Provider framework passes it on. */
export interface TemplateEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

/** What the Provider framework sends back to CloudFormation. */
export interface TemplateResult {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

interface TemplateProps {
  readonly name: string;
  readonly description: string;
  readonly content: string;
  readonly repositories: string[];
}

const client = new CodeCommitClient({});

export async function handler(event: TemplateEvent): Promise<TemplateResult> {
  switch (event.RequestType) {
    case 'Create': {
      const props = parse(event.ResourceProperties);
      await upsert(props);
      await associate(props.name, props.repositories);
      return result(props.name);
    }
    case 'Update': {
      const props = parse(event.ResourceProperties);
      const old = parse(event.OldResourceProperties ?? {});
      if (props.name !== old.name) {
        // A new name is a new template: CloudFormation then sends Delete for the old one.
        await upsert(props);
        await associate(props.name, props.repositories);
        return result(props.name);
      }
      await upsert(props, true);
      await associate(props.name, props.repositories.filter((r) => !old.repositories.includes(r)));
      await disassociate(props.name, old.repositories.filter((r) => !props.repositories.includes(r)));
      return result(props.name);
    }
    case 'Delete': {
      const name = event.PhysicalResourceId ?? '';
      const repositories = Array.isArray(event.ResourceProperties.RepositoryNames) ? event.ResourceProperties.RepositoryNames.map(String) : [];
      await remove(name, repositories);
      return { PhysicalResourceId: name };
    }
    default:
      throw new Error(`unknown request type ${(event as { RequestType: string }).RequestType}`);
  }
}

function parse(properties: Record<string, unknown>): TemplateProps {
  const name = properties.TemplateName;
  const content = properties.TemplateContent;
  if (typeof name !== 'string' || name.length === 0) throw new Error('TemplateName is required');
  if (typeof content !== 'string' || content.length === 0) throw new Error('TemplateContent is required');
  const repositories = Array.isArray(properties.RepositoryNames) ? properties.RepositoryNames.map(String) : [];
  const description = typeof properties.TemplateDescription === 'string' ? properties.TemplateDescription : '';
  return { name, content, description, repositories };
}

function result(name: string): TemplateResult {
  return { PhysicalResourceId: name, Data: { TemplateName: name } };
}

function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? '';
}

/** Creates the template, or brings an existing one with the same name up to date. */
async function upsert(props: TemplateProps, exists = false): Promise<void> {
  if (!exists) {
    try {
      await client.send(new CreateApprovalRuleTemplateCommand({
        approvalRuleTemplateName: props.name,
        approvalRuleTemplateContent: props.content,
        approvalRuleTemplateDescription: props.description,
      }));
      return;
    } catch (error) {
      if (errorName(error) !== 'ApprovalRuleTemplateNameAlreadyExistsException') throw error;
      console.log(`approval rule template ${props.name} already exists: updating it`);
    }
  }
  await client.send(new UpdateApprovalRuleTemplateContentCommand({
    approvalRuleTemplateName: props.name,
    newRuleContent: props.content,
  }));
  await client.send(new UpdateApprovalRuleTemplateDescriptionCommand({
    approvalRuleTemplateName: props.name,
    approvalRuleTemplateDescription: props.description,
  }));
}

async function associate(name: string, repositories: string[]): Promise<void> {
  for (const repositoryName of repositories) {
    await client.send(new AssociateApprovalRuleTemplateWithRepositoryCommand({ approvalRuleTemplateName: name, repositoryName }));
  }
}

async function disassociate(name: string, repositories: string[]): Promise<void> {
  for (const repositoryName of repositories) {
    try {
      await client.send(new DisassociateApprovalRuleTemplateFromRepositoryCommand({ approvalRuleTemplateName: name, repositoryName }));
    } catch (error) {
      if (errorName(error) !== 'RepositoryDoesNotExistException') throw error;
    }
  }
}

/**
 * Removes the associations this resource made (a template in use cannot be deleted), then the
 * template. Repositories associated by hand elsewhere are left alone: the delete then fails with
 * `ApprovalRuleTemplateInUseException`, which names the problem instead of silently taking the
 * rule away from another team.
 */
async function remove(name: string, repositories: string[]): Promise<void> {
  const gone = ['ApprovalRuleTemplateDoesNotExistException', 'InvalidApprovalRuleTemplateNameException'];
  try {
    await disassociate(name, repositories);
    await client.send(new DeleteApprovalRuleTemplateCommand({ approvalRuleTemplateName: name }));
  } catch (error) {
    if (!gone.includes(errorName(error))) throw error;
    console.log(`approval rule template ${name} does not exist: nothing to delete`);
  }
}
