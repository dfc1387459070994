/**
 * AWS Config's organization-wide enablement, which CloudFormation has no resource for: trusted
 * access for the Config service principals and the delegated administrator registration, both
 * AWS Organizations calls from the management account.
 */
import {
  DeregisterDelegatedAdministratorCommand,
  EnableAWSServiceAccessCommand,
  ListDelegatedAdministratorsCommand,
  OrganizationsClient,
  RegisterDelegatedAdministratorCommand,
} from '@aws-sdk/client-organizations';
import type { ResourceResult } from './guardduty';
import { errorName, withRetry } from './retry';

/** Registers `accountId` as delegated administrator of each service principal. Idempotent. */
export async function registerAdmin(accountId: string, servicePrincipals: string[]): Promise<ResourceResult> {
  const client = new OrganizationsClient({});
  for (const principal of servicePrincipals) {
    // Enabling trusted access twice is a no-op for Organizations.
    await withRetry(`EnableAWSServiceAccess ${principal}`, () => client.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: principal })));
    const admins = await withRetry(`ListDelegatedAdministrators ${principal}`,
      () => client.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: principal })));
    if (admins.DelegatedAdministrators?.some((a) => a.Id === accountId)) continue;
    await withRetry(`RegisterDelegatedAdministrator ${accountId} for ${principal}`, async () => {
      try {
        await client.send(new RegisterDelegatedAdministratorCommand({ AccountId: accountId, ServicePrincipal: principal }));
      } catch (error) {
        if (errorName(error) === 'AccountAlreadyRegisteredException') return;
        throw error;
      }
    });
  }
  return { PhysicalResourceId: `delegated-admin:${accountId}:${servicePrincipals.join(',')}`, Data: { AdminAccountId: accountId } };
}

/**
 * Deregisters `accountId` for each service principal. Trusted access stays enabled: turning it
 * off deletes every organization-wide resource the service manages, a decision for a person.
 */
export async function deregisterAdmin(accountId: string, servicePrincipals: string[]): Promise<void> {
  const client = new OrganizationsClient({});
  for (const principal of servicePrincipals) {
    await withRetry(`DeregisterDelegatedAdministrator ${accountId} for ${principal}`, async () => {
      try {
        await client.send(new DeregisterDelegatedAdministratorCommand({ AccountId: accountId, ServicePrincipal: principal }));
      } catch (error) {
        if (errorName(error) === 'AccountNotRegisteredException' || errorName(error) === 'AccountNotFoundException') return;
        throw error;
      }
    });
  }
}
