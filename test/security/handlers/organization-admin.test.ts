import {
  BadRequestException,
  DisableOrganizationAdminAccountCommand,
  EnableOrganizationAdminAccountCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListOrganizationAdminAccountsCommand,
  UpdateDetectorCommand,
  UpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-guardduty';
import {
  AccountAlreadyRegisteredException,
  AccountNotRegisteredException,
  ConcurrentModificationException,
  DeregisterDelegatedAdministratorCommand,
  EnableAWSServiceAccessCommand,
  ListDelegatedAdministratorsCommand,
  OrganizationsClient,
  RegisterDelegatedAdministratorCommand,
} from '@aws-sdk/client-organizations';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lib/security/handlers/organization-admin';
import { timing } from '../../../lib/security/handlers/organization-admin/retry';

const ADMIN = '222222222222';
const OTHER = '555555555555';
const gd = mockClient(GuardDutyClient);
const org = mockClient(OrganizationsClient);
const realTiming = { ...timing };
let clock = 0;
const sleeps: number[] = [];

beforeEach(() => {
  gd.reset();
  org.reset();
  clock = 0;
  sleeps.length = 0;
  // No real waiting: the clock advances by each delay the retry asks for.
  timing.now = () => clock;
  timing.sleep = async (ms: number) => { sleeps.push(ms); clock += ms; };
  timing.random = () => 0.5;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterAll(() => Object.assign(timing, realTiming));

function event(requestType: 'Create' | 'Update' | 'Delete', props: Record<string, unknown>, old?: Record<string, unknown>): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:provider',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1',
    RequestId: 'r-1',
    LogicalResourceId: 'Resource',
    ResourceType: 'Custom::Test',
    ResourceProperties: { ServiceToken: 'x', ...props },
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Update') return { ...base, RequestType: 'Update', PhysicalResourceId: 'p-1', OldResourceProperties: { ServiceToken: 'x', ...old } };
  return { ...base, RequestType: 'Delete', PhysicalResourceId: 'p-1' };
}

const badRequest = (message: string) => new BadRequestException({ message, $metadata: {} });

describe('GuardDutyDelegatedAdmin (management account)', () => {
  const props = { Kind: 'GuardDutyDelegatedAdmin', AdminAccountId: ADMIN, Regions: ['eu-west-1', 'eu-central-1'] };

  test('create delegates the administrator in every region', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [] });
    gd.on(EnableOrganizationAdminAccountCommand).resolves({});
    const result = await handler(event('Create', props));
    expect(result).toEqual({ PhysicalResourceId: `guardduty-admin:${ADMIN}`, Data: { AdminAccountId: ADMIN } });
    expect(gd).toHaveReceivedCommandTimes(EnableOrganizationAdminAccountCommand, 2);
    expect(gd).toHaveReceivedCommandWith(EnableOrganizationAdminAccountCommand, { AdminAccountId: ADMIN });
  });

  test('create is idempotent: an account that already is administrator is left as it is', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: ADMIN, AdminStatus: 'ENABLED' }] });
    await handler(event('Create', props));
    expect(gd).not.toHaveReceivedCommand(EnableOrganizationAdminAccountCommand);
  });

  test('create treats "already" answers from a concurrent delegation as success', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [] });
    gd.on(EnableOrganizationAdminAccountCommand).rejects(badRequest('The request is rejected because the account is already the delegated administrator.'));
    await expect(handler(event('Create', props))).resolves.toMatchObject({ PhysicalResourceId: `guardduty-admin:${ADMIN}` });
  });

  test('create refuses to take over an administrator it did not set', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: OTHER, AdminStatus: 'ENABLED' }] });
    await expect(handler(event('Create', props))).rejects.toThrow(`already has ${OTHER} as delegated administrator`);
    expect(gd).not.toHaveReceivedCommand(DisableOrganizationAdminAccountCommand);
  });

  test('update to another administrator disables the previous one first, then delegates', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: OTHER, AdminStatus: 'ENABLED' }] });
    gd.on(DisableOrganizationAdminAccountCommand).resolves({});
    gd.on(EnableOrganizationAdminAccountCommand).resolves({});
    const result = await handler(event('Update', { ...props, Regions: ['eu-west-1'] }, { ...props, AdminAccountId: OTHER, Regions: ['eu-west-1'] }));
    expect(result.PhysicalResourceId).toBe(`guardduty-admin:${ADMIN}`);
    expect(gd).toHaveReceivedNthCommandWith(2, DisableOrganizationAdminAccountCommand, { AdminAccountId: OTHER });
    expect(gd).toHaveReceivedCommandWith(EnableOrganizationAdminAccountCommand, { AdminAccountId: ADMIN });
  });

  test('update that drops a region undoes the delegation there', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: ADMIN, AdminStatus: 'ENABLED' }] });
    gd.on(DisableOrganizationAdminAccountCommand).resolves({});
    await handler(event('Update', { ...props, Regions: ['eu-west-1'] }, props));
    expect(gd).toHaveReceivedCommandTimes(DisableOrganizationAdminAccountCommand, 1);
    expect(gd).not.toHaveReceivedCommand(EnableOrganizationAdminAccountCommand);
  });

  test('delete disables the administrator in every region', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: ADMIN, AdminStatus: 'ENABLED' }] });
    gd.on(DisableOrganizationAdminAccountCommand).resolves({});
    await expect(handler(event('Delete', props))).resolves.toEqual({ PhysicalResourceId: 'p-1' });
    expect(gd).toHaveReceivedCommandTimes(DisableOrganizationAdminAccountCommand, 2);
  });

  test('delete of an administrator that is gone (or was replaced) succeeds without a call', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: OTHER, AdminStatus: 'ENABLED' }] });
    await expect(handler(event('Delete', props))).resolves.toEqual({ PhysicalResourceId: 'p-1' });
    expect(gd).not.toHaveReceivedCommand(DisableOrganizationAdminAccountCommand);
  });

  test('delete treats "not the administrator" answers as success', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [{ AdminAccountId: ADMIN, AdminStatus: 'ENABLED' }] });
    gd.on(DisableOrganizationAdminAccountCommand).rejects(badRequest('The account is not a delegated administrator.'));
    await expect(handler(event('Delete', props))).resolves.toEqual({ PhysicalResourceId: 'p-1' });
  });

  test('retries throttling with growing, jittered delays, then succeeds', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [] });
    gd.on(EnableOrganizationAdminAccountCommand)
      .rejectsOnce(badRequest('The organization is not yet ready, try again later.'))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }))
      .resolves({});
    await handler(event('Create', { ...props, Regions: ['eu-west-1'] }));
    expect(gd).toHaveReceivedCommandTimes(EnableOrganizationAdminAccountCommand, 3);
    expect(sleeps).toEqual([1001, 2001]); // half of 2 s, then half of 4 s (random = 0.5), +1 ms
  });

  test('gives up when the time budget is spent and reports the last error', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [] });
    gd.on(EnableOrganizationAdminAccountCommand).rejects(badRequest('Delegation is not yet complete.'));
    await expect(handler(event('Create', { ...props, Regions: ['eu-west-1'] })))
      .rejects.toThrow(/EnableOrganizationAdminAccount 222222222222 in eu-west-1: gave up after \d+ attempts in 600 s: BadRequestException: Delegation is not yet complete/);
    expect(clock).toBeLessThanOrEqual(timing.budgetMs);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(timing.maxDelayMs);
  });

  test('does not retry an error that another attempt cannot fix', async () => {
    gd.on(ListOrganizationAdminAccountsCommand).resolves({ AdminAccounts: [] });
    gd.on(EnableOrganizationAdminAccountCommand).rejects(badRequest('The account 222222222222 is not a member of the organization.'));
    await expect(handler(event('Create', props))).rejects.toThrow('not a member of the organization');
    expect(gd).toHaveReceivedCommandTimes(EnableOrganizationAdminAccountCommand, 1);
  });
});

describe('GuardDutyOrganizationConfiguration (delegated administrator)', () => {
  const props = { Kind: 'GuardDutyOrganizationConfiguration', AutoEnable: 'ALL', Features: ['S3_DATA_EVENTS', 'RUNTIME_MONITORING'] };

  test('create finds the detector delegation created, enables the features and auto-enables every member', async () => {
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: ['d-1'] });
    gd.on(UpdateDetectorCommand).resolves({});
    gd.on(UpdateOrganizationConfigurationCommand).resolves({});
    const result = await handler(event('Create', props));
    expect(result).toEqual({ PhysicalResourceId: 'guardduty-organization:d-1', Data: { DetectorId: 'd-1' } });
    expect(gd).toHaveReceivedCommandWith(UpdateDetectorCommand, {
      DetectorId: 'd-1', Enable: true,
      Features: [{ Name: 'S3_DATA_EVENTS', Status: 'ENABLED' }, { Name: 'RUNTIME_MONITORING', Status: 'ENABLED' }],
    });
    expect(gd).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, {
      DetectorId: 'd-1', AutoEnableOrganizationMembers: 'ALL',
      Features: [{ Name: 'S3_DATA_EVENTS', AutoEnable: 'ALL' }, { Name: 'RUNTIME_MONITORING', AutoEnable: 'ALL' }],
    });
  });

  test('Runtime Monitoring turns on GuardDuty-managed agents (EKS add-on, ECS Fargate, EC2) for the administrator and every member', async () => {
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: ['d-1'] });
    gd.on(UpdateDetectorCommand).resolves({});
    gd.on(UpdateOrganizationConfigurationCommand).resolves({});
    await handler(event('Create', { ...props, RuntimeAgents: ['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT'] }));
    expect(gd).toHaveReceivedCommandWith(UpdateDetectorCommand, {
      DetectorId: 'd-1', Enable: true,
      Features: [
        { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
        { Name: 'RUNTIME_MONITORING', Status: 'ENABLED', AdditionalConfiguration: [
          { Name: 'EKS_ADDON_MANAGEMENT', Status: 'ENABLED' },
          { Name: 'ECS_FARGATE_AGENT_MANAGEMENT', Status: 'ENABLED' },
          { Name: 'EC2_AGENT_MANAGEMENT', Status: 'ENABLED' },
        ] },
      ],
    });
    expect(gd).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, {
      DetectorId: 'd-1', AutoEnableOrganizationMembers: 'ALL',
      Features: [
        { Name: 'S3_DATA_EVENTS', AutoEnable: 'ALL' },
        { Name: 'RUNTIME_MONITORING', AutoEnable: 'ALL', AdditionalConfiguration: [
          { Name: 'EKS_ADDON_MANAGEMENT', AutoEnable: 'ALL' },
          { Name: 'ECS_FARGATE_AGENT_MANAGEMENT', AutoEnable: 'ALL' },
          { Name: 'EC2_AGENT_MANAGEMENT', AutoEnable: 'ALL' },
        ] },
      ],
    });
  });

  test('agents left out are turned off explicitly, so an update that drops one stops GuardDuty managing it', async () => {
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: ['d-1'] });
    gd.on(UpdateDetectorCommand).resolves({});
    gd.on(UpdateOrganizationConfigurationCommand).resolves({});
    await handler(event('Update', { ...props, AutoEnable: 'NEW', Features: ['RUNTIME_MONITORING'], RuntimeAgents: ['ECS_FARGATE_AGENT_MANAGEMENT'] }, props));
    expect(gd).toHaveReceivedCommandWith(UpdateDetectorCommand, {
      Features: [{ Name: 'RUNTIME_MONITORING', Status: 'ENABLED', AdditionalConfiguration: [
        { Name: 'EKS_ADDON_MANAGEMENT', Status: 'DISABLED' },
        { Name: 'ECS_FARGATE_AGENT_MANAGEMENT', Status: 'ENABLED' },
        { Name: 'EC2_AGENT_MANAGEMENT', Status: 'DISABLED' },
      ] }],
    });
    expect(gd).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, {
      AutoEnableOrganizationMembers: 'NEW',
      Features: [{ Name: 'RUNTIME_MONITORING', AutoEnable: 'NEW', AdditionalConfiguration: [
        { Name: 'EKS_ADDON_MANAGEMENT', AutoEnable: 'NONE' },
        { Name: 'ECS_FARGATE_AGENT_MANAGEMENT', AutoEnable: 'NEW' },
        { Name: 'EC2_AGENT_MANAGEMENT', AutoEnable: 'NONE' },
      ] }],
    });
  });

  test('waits for the detector while delegation settles, without creating one', async () => {
    gd.on(ListDetectorsCommand).resolvesOnce({ DetectorIds: [] }).resolvesOnce({ DetectorIds: [] }).resolves({ DetectorIds: ['d-2'] });
    gd.on(UpdateDetectorCommand).resolves({});
    gd.on(UpdateOrganizationConfigurationCommand).resolves({});
    await expect(handler(event('Create', props))).resolves.toMatchObject({ Data: { DetectorId: 'd-2' } });
    expect(gd).toHaveReceivedCommandTimes(ListDetectorsCommand, 3);
  });

  test('retries while GuardDuty does not yet accept this account as administrator', async () => {
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: ['d-1'] });
    gd.on(UpdateDetectorCommand).resolves({});
    gd.on(UpdateOrganizationConfigurationCommand)
      .rejectsOnce(badRequest('The request is rejected because the current account is not the GuardDuty administrator account.'))
      .resolves({});
    await handler(event('Create', props));
    expect(gd).toHaveReceivedCommandTimes(UpdateOrganizationConfigurationCommand, 2);
  });

  test('the time budget covers the whole invocation, not each call: a later call does not get a fresh budget', async () => {
    // The detector appears after 8 minutes; then GuardDuty keeps answering "not the administrator".
    // A budget per call would retry until 8 + 10 minutes, past the function's 14-minute timeout.
    gd.on(ListDetectorsCommand).callsFake(async () => ({ DetectorIds: clock >= 8 * 60 * 1000 ? ['d-1'] : [] }));
    gd.on(UpdateDetectorCommand).resolves({});
    gd.on(UpdateOrganizationConfigurationCommand).rejects(badRequest('The current account is not the GuardDuty administrator account.'));
    await expect(handler(event('Create', props))).rejects.toThrow(/UpdateOrganizationConfiguration: gave up after \d+ attempts/);
    expect(clock).toBeGreaterThanOrEqual(8 * 60 * 1000);
    expect(clock).toBeLessThanOrEqual(timing.budgetMs);
  });

  test('fails with a clear message when no detector appears in time', async () => {
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: [] });
    await expect(handler(event('Create', props))).rejects.toThrow(/ListDetectors: gave up .*no GuardDuty detector in this account yet/);
  });

  test('update reconciles features and auto-enable with the new properties', async () => {
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: ['d-1'] });
    gd.on(UpdateDetectorCommand).resolves({});
    gd.on(UpdateOrganizationConfigurationCommand).resolves({});
    await handler(event('Update', { ...props, AutoEnable: 'NEW', Features: ['S3_DATA_EVENTS'] }, props));
    expect(gd).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, {
      AutoEnableOrganizationMembers: 'NEW', Features: [{ Name: 'S3_DATA_EVENTS', AutoEnable: 'NEW' }],
    });
  });

  test('delete stops auto-enabling members', async () => {
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: ['d-1'] });
    gd.on(UpdateOrganizationConfigurationCommand).resolves({});
    await handler(event('Delete', props));
    expect(gd).toHaveReceivedCommandWith(UpdateOrganizationConfigurationCommand, { DetectorId: 'd-1', AutoEnableOrganizationMembers: 'NONE' });
  });

  test('delete succeeds when the delegation is already gone (no detector, or no longer administrator)', async () => {
    gd.on(ListDetectorsCommand).resolvesOnce({ DetectorIds: [] }).resolves({ DetectorIds: ['d-1'] });
    await expect(handler(event('Delete', props))).resolves.toEqual({ PhysicalResourceId: 'p-1' });
    gd.on(UpdateOrganizationConfigurationCommand).rejects(badRequest('The current account is not the GuardDuty administrator account.'));
    await expect(handler(event('Delete', props))).resolves.toEqual({ PhysicalResourceId: 'p-1' });
  });
});

describe('OrganizationsDelegatedAdmin (AWS Config, management account)', () => {
  const principals = ['config-multiaccountsetup.amazonaws.com', 'config.amazonaws.com'];
  const props = { Kind: 'OrganizationsDelegatedAdmin', AdminAccountId: ADMIN, ServicePrincipals: principals };

  test('create enables trusted access and registers the administrator for each principal', async () => {
    org.on(EnableAWSServiceAccessCommand).resolves({});
    org.on(ListDelegatedAdministratorsCommand).resolves({ DelegatedAdministrators: [] });
    org.on(RegisterDelegatedAdministratorCommand).resolves({});
    const result = await handler(event('Create', props));
    expect(result.PhysicalResourceId).toBe(`delegated-admin:${ADMIN}:${principals.join(',')}`);
    for (const p of principals) {
      expect(org).toHaveReceivedCommandWith(EnableAWSServiceAccessCommand, { ServicePrincipal: p });
      expect(org).toHaveReceivedCommandWith(RegisterDelegatedAdministratorCommand, { AccountId: ADMIN, ServicePrincipal: p });
    }
  });

  test('create skips a registration that exists and treats AccountAlreadyRegistered as success', async () => {
    org.on(EnableAWSServiceAccessCommand).resolves({});
    org.on(ListDelegatedAdministratorsCommand, { ServicePrincipal: principals[0] }).resolves({ DelegatedAdministrators: [{ Id: ADMIN }] });
    org.on(ListDelegatedAdministratorsCommand, { ServicePrincipal: principals[1] }).resolves({ DelegatedAdministrators: [] });
    org.on(RegisterDelegatedAdministratorCommand).rejects(new AccountAlreadyRegisteredException({ message: 'already registered', $metadata: {} }));
    await expect(handler(event('Create', props))).resolves.toMatchObject({ Data: { AdminAccountId: ADMIN } });
    expect(org).toHaveReceivedCommandTimes(RegisterDelegatedAdministratorCommand, 1);
  });

  test('retries ConcurrentModificationException, then succeeds', async () => {
    org.on(EnableAWSServiceAccessCommand)
      .rejectsOnce(new ConcurrentModificationException({ message: 'in progress', $metadata: {} }))
      .resolves({});
    org.on(ListDelegatedAdministratorsCommand).resolves({ DelegatedAdministrators: [] });
    org.on(RegisterDelegatedAdministratorCommand).resolves({});
    await handler(event('Create', { ...props, ServicePrincipals: [principals[0]] }));
    expect(org).toHaveReceivedCommandTimes(EnableAWSServiceAccessCommand, 2);
    expect(sleeps).toHaveLength(1);
  });

  test('update that drops a principal deregisters it', async () => {
    org.on(EnableAWSServiceAccessCommand).resolves({});
    org.on(ListDelegatedAdministratorsCommand).resolves({ DelegatedAdministrators: [{ Id: ADMIN }] });
    org.on(DeregisterDelegatedAdministratorCommand).resolves({});
    await handler(event('Update', { ...props, ServicePrincipals: [principals[0]] }, props));
    expect(org).toHaveReceivedCommandWith(DeregisterDelegatedAdministratorCommand, { AccountId: ADMIN, ServicePrincipal: principals[1] });
    expect(org).toHaveReceivedCommandTimes(DeregisterDelegatedAdministratorCommand, 1);
  });

  test('delete deregisters and treats AccountNotRegistered as success', async () => {
    org.on(DeregisterDelegatedAdministratorCommand, { ServicePrincipal: principals[0] }).resolves({});
    org.on(DeregisterDelegatedAdministratorCommand, { ServicePrincipal: principals[1] })
      .rejects(new AccountNotRegisteredException({ message: 'not registered', $metadata: {} }));
    await expect(handler(event('Delete', props))).resolves.toEqual({ PhysicalResourceId: 'p-1' });
    expect(org).toHaveReceivedCommandTimes(DeregisterDelegatedAdministratorCommand, 2);
    expect(org).not.toHaveReceivedCommand(EnableAWSServiceAccessCommand);
  });
});

test('an unknown Kind fails', async () => {
  await expect(handler(event('Create', { Kind: 'Nope' }))).rejects.toThrow('unknown Kind "Nope"');
});
