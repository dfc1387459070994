/**
 * SEC-1 / SEC-2 custom resource handler (the Provider framework's onEvent function) for the
 * organization APIs CloudFormation has no resource for. `ResourceProperties.Kind` says which:
 *
 * - `GuardDutyDelegatedAdmin` (management account): EnableOrganizationAdminAccount per region;
 *   Delete: DisableOrganizationAdminAccount.
 * - `GuardDutyOrganizationConfiguration` (delegated administrator): waits for the detector that
 *   delegation created, turns features on (Runtime Monitoring with its GuardDuty-managed agents),
 *   UpdateOrganizationConfiguration with AutoEnableOrganizationMembers; Delete: auto-enable NONE.
 *   Returns the DetectorId.
 * - `OrganizationsDelegatedAdmin` (management account): EnableAWSServiceAccess and
 *   RegisterDelegatedAdministrator per service principal; Delete: DeregisterDelegatedAdministrator.
 *
 * Every operation is idempotent ("already" is success on Create, "not found" on Delete) and
 * retried with exponential backoff and jitter while the services are eventually consistent, all
 * calls of one invocation within one 10-minute budget (retry.ts).
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { deregisterAdmin, registerAdmin } from './config';
import { configureOrganization, disableAdmin, enableAdmin, ResourceResult, unconfigureOrganization } from './guardduty';
import { startBudget } from './retry';

interface Properties {
  readonly Kind?: string;
  readonly AdminAccountId?: string;
  readonly Regions?: string[];
  readonly ServicePrincipals?: string[];
  readonly AutoEnable?: string;
  readonly Features?: string[];
  readonly RuntimeAgents?: string[];
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) throw new Error(`ResourceProperties.${name} is required`);
  return value;
}

/** The onEvent handler of the custom resource provider. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<ResourceResult> {
  const props = event.ResourceProperties as unknown as Properties;
  const old = (event.RequestType === 'Update' ? event.OldResourceProperties : undefined) as Properties | undefined;
  console.log(JSON.stringify({ requestType: event.RequestType, kind: props.Kind, logicalId: event.LogicalResourceId }));
  // One retry budget for everything this invocation does, well inside the function timeout.
  startBudget();
  switch (props.Kind) {
    case 'GuardDutyDelegatedAdmin': {
      const admin = required(props.AdminAccountId, 'AdminAccountId');
      const regions = required(props.Regions, 'Regions');
      if (event.RequestType === 'Delete') {
        await disableAdmin(admin, regions);
        return { PhysicalResourceId: event.PhysicalResourceId };
      }
      if (old && old.Regions) {
        // Regions dropped from the list are undone now; a changed administrator is replaced below.
        const dropped = old.Regions.filter((r) => !regions.includes(r));
        if (dropped.length > 0 && old.AdminAccountId) await disableAdmin(old.AdminAccountId, dropped);
      }
      return enableAdmin(admin, regions, old?.AdminAccountId);
    }
    case 'GuardDutyOrganizationConfiguration': {
      if (event.RequestType === 'Delete') {
        await unconfigureOrganization();
        return { PhysicalResourceId: event.PhysicalResourceId };
      }
      return configureOrganization({
        autoEnable: (props.AutoEnable ?? 'ALL') as 'ALL' | 'NEW' | 'NONE',
        features: props.Features ?? [],
        runtimeAgents: props.RuntimeAgents,
      });
    }
    case 'OrganizationsDelegatedAdmin': {
      const admin = required(props.AdminAccountId, 'AdminAccountId');
      const principals = required(props.ServicePrincipals, 'ServicePrincipals');
      if (event.RequestType === 'Delete') {
        await deregisterAdmin(admin, principals);
        return { PhysicalResourceId: event.PhysicalResourceId };
      }
      if (old?.AdminAccountId && old.ServicePrincipals) {
        // Principals no longer listed are deregistered now; a changed account gets a new
        // physical id, so CloudFormation deletes (deregisters) the old one after the update.
        const dropped = old.AdminAccountId === admin ? old.ServicePrincipals.filter((p) => !principals.includes(p)) : [];
        if (dropped.length > 0) await deregisterAdmin(admin, dropped);
      }
      return registerAdmin(admin, principals);
    }
    default:
      throw new Error(`unknown Kind "${props.Kind}"`);
  }
}
