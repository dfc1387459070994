/**
 * GuardDuty's organization APIs, which CloudFormation has no resource for:
 * the delegated administrator (called from the management account, per region) and the
 * organization configuration (called from the delegated administrator).
 */
import {
  DisableOrganizationAdminAccountCommand,
  EnableOrganizationAdminAccountCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListOrganizationAdminAccountsCommand,
  UpdateDetectorCommand,
  UpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-guardduty';
import type {
  AutoEnableMembers,
  DetectorFeature,
  DetectorFeatureConfiguration,
  FeatureAdditionalConfiguration,
  OrganizationFeatureConfiguration,
  OrgFeature,
  OrgFeatureAdditionalConfiguration,
} from '@aws-sdk/client-guardduty';
import { errorMessage, errorName, isRetryable, NotReadyError, withRetry } from './retry';

/** The result the Provider framework passes back to CloudFormation. */
export interface ResourceResult {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** The current GuardDuty delegated administrator in `region`, if any. */
async function currentAdmin(client: GuardDutyClient): Promise<string | undefined> {
  const result = await withRetry('ListOrganizationAdminAccounts', () => client.send(new ListOrganizationAdminAccountsCommand({})));
  return result.AdminAccounts?.find((a) => a.AdminStatus === 'ENABLED')?.AdminAccountId;
}

/** Makes `adminAccountId` the GuardDuty delegated administrator in each region. Idempotent. */
export async function enableAdmin(adminAccountId: string, regions: string[], previousAdmin?: string): Promise<ResourceResult> {
  for (const region of regions) {
    const client = new GuardDutyClient({ region });
    const existing = await currentAdmin(client);
    if (existing === adminAccountId) continue;
    if (existing !== undefined) {
      if (existing !== previousAdmin) {
        throw new Error(`GuardDuty in ${region} already has ${existing} as delegated administrator; this resource manages ${adminAccountId} and does not take over an administrator it did not set`);
      }
      await disableAdminIn(client, existing);
    }
    await withRetry(`EnableOrganizationAdminAccount ${adminAccountId} in ${region}`, async () => {
      try {
        await client.send(new EnableOrganizationAdminAccountCommand({ AdminAccountId: adminAccountId }));
      } catch (error) {
        if (errorName(error) === 'BadRequestException' && /already/i.test(errorMessage(error))) return;
        throw error;
      }
    });
  }
  return { PhysicalResourceId: `guardduty-admin:${adminAccountId}`, Data: { AdminAccountId: adminAccountId } };
}

async function disableAdminIn(client: GuardDutyClient, adminAccountId: string): Promise<void> {
  await withRetry(`DisableOrganizationAdminAccount ${adminAccountId}`, async () => {
    try {
      await client.send(new DisableOrganizationAdminAccountCommand({ AdminAccountId: adminAccountId }));
    } catch (error) {
      // Not (or no longer) the administrator: nothing to undo.
      if (errorName(error) === 'BadRequestException' && /not|no such|does not exist/i.test(errorMessage(error)) && !/not yet/i.test(errorMessage(error))) return;
      throw error;
    }
  });
}

/** Removes `adminAccountId` as GuardDuty delegated administrator in each region, if it still is. */
export async function disableAdmin(adminAccountId: string, regions: string[]): Promise<void> {
  for (const region of regions) {
    const client = new GuardDutyClient({ region });
    if (await currentAdmin(client) !== adminAccountId) continue;
    await disableAdminIn(client, adminAccountId);
  }
}

/**
 * The detector GuardDuty created in this (delegated administrator) account when it was
 * delegated. Waits for it: delegation enables GuardDuty here asynchronously.
 */
export async function findDetector(client: GuardDutyClient, wait: boolean): Promise<string | undefined> {
  const list = async () => {
    const result = await client.send(new ListDetectorsCommand({}));
    const id = result.DetectorIds?.[0];
    if (id === undefined && wait) throw new NotReadyError('no GuardDuty detector in this account yet: the delegation from the management account has not reached it');
    return id;
  };
  return wait ? withRetry('ListDetectors', list) : list();
}

/** Settings of the organization configuration. */
export interface OrganizationSettings {
  readonly autoEnable: AutoEnableMembers;
  readonly features: string[];
  /**
   * The Runtime Monitoring agents GuardDuty deploys and manages itself (`EKS_ADDON_MANAGEMENT`,
   * `ECS_FARGATE_AGENT_MANAGEMENT`, `EC2_AGENT_MANAGEMENT`); the others are turned off.
   * Undefined leaves the agent settings as they are.
   */
  readonly runtimeAgents?: string[];
}

/**
 * The additional configurations of Runtime Monitoring: without them GuardDuty deploys no agent,
 * so Runtime Monitoring receives no runtime events. Every one is sent, on or off, so an update
 * that drops one turns it off.
 * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_OrganizationAdditionalConfiguration.html
 */
const RUNTIME_AGENTS = ['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT'] as const;
const RUNTIME_MONITORING = 'RUNTIME_MONITORING';

function detectorFeatures(settings: OrganizationSettings): DetectorFeatureConfiguration[] {
  const agents = settings.runtimeAgents;
  return settings.features.map((name) => ({
    Name: name as DetectorFeature,
    Status: 'ENABLED',
    ...(name === RUNTIME_MONITORING && agents ? {
      AdditionalConfiguration: RUNTIME_AGENTS.map((agent) => ({
        Name: agent as FeatureAdditionalConfiguration,
        Status: agents.includes(agent) ? 'ENABLED' : 'DISABLED',
      })),
    } : {}),
  }));
}

function organizationFeatures(settings: OrganizationSettings): OrganizationFeatureConfiguration[] {
  const agents = settings.runtimeAgents;
  return settings.features.map((name) => ({
    Name: name as OrgFeature,
    AutoEnable: settings.autoEnable,
    ...(name === RUNTIME_MONITORING && agents ? {
      AdditionalConfiguration: RUNTIME_AGENTS.map((agent) => ({
        Name: agent as OrgFeatureAdditionalConfiguration,
        AutoEnable: agents.includes(agent) ? settings.autoEnable : 'NONE',
      })),
    } : {}),
  }));
}

/**
 * Turns the protection features on for the administrator's own detector and configures the
 * organization: every current and future member auto-enabled, with the same features and, for
 * Runtime Monitoring, the same GuardDuty-managed agents.
 * Retries while GuardDuty does not yet accept this account as administrator.
 */
export async function configureOrganization(settings: OrganizationSettings): Promise<ResourceResult> {
  const client = new GuardDutyClient({});
  const detectorId = (await findDetector(client, true))!;
  await withRetry('UpdateDetector', () => client.send(new UpdateDetectorCommand({
    DetectorId: detectorId,
    Enable: true,
    Features: detectorFeatures(settings),
  })));
  await withRetry('UpdateOrganizationConfiguration', () => client.send(new UpdateOrganizationConfigurationCommand({
    DetectorId: detectorId,
    AutoEnableOrganizationMembers: settings.autoEnable,
    Features: organizationFeatures(settings),
  })), (error) => isNotYetAdmin(error) || isRetryable(error));
  return { PhysicalResourceId: `guardduty-organization:${detectorId}`, Data: { DetectorId: detectorId } };
}

/**
 * Undoes the organization configuration: no member is auto-enabled any more. Members already
 * enabled keep GuardDuty (turning it off in every account is a decision for a person). When this
 * account is no longer the administrator (its delegation was removed first), there is nothing
 * to undo.
 */
export async function unconfigureOrganization(): Promise<void> {
  const client = new GuardDutyClient({});
  const detectorId = await findDetector(client, false);
  if (detectorId === undefined) return;
  await withRetry('UpdateOrganizationConfiguration', async () => {
    try {
      await client.send(new UpdateOrganizationConfigurationCommand({ DetectorId: detectorId, AutoEnableOrganizationMembers: 'NONE' }));
    } catch (error) {
      if (isNotAdmin(error)) return;
      throw error;
    }
  });
}

function isNotYetAdmin(error: unknown): boolean {
  return errorName(error) === 'BadRequestException' && /administrator|admin account/i.test(errorMessage(error));
}

function isNotAdmin(error: unknown): boolean {
  return errorName(error) === 'BadRequestException' && /not .*administrator|not .*admin account|not a delegated/i.test(errorMessage(error));
}
