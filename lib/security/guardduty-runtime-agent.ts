/**
 * SEC-1: the Runtime Monitoring agents GuardDuty manages itself for {@link GuardDutyOrganization}.
 */
/**
 * The Runtime Monitoring agents GuardDuty can deploy and keep up to date itself (automated agent
 * configuration, the `AdditionalConfiguration` of the `RUNTIME_MONITORING` feature).
 */
export enum GuardDutyRuntimeAgent {
  /** The GuardDuty EKS add-on on every EKS cluster. */
  EKS_ADDON_MANAGEMENT = 'EKS_ADDON_MANAGEMENT',
  /** A GuardDuty sidecar in every new ECS task on Fargate (new tasks and new service deployments only). */
  ECS_FARGATE_AGENT_MANAGEMENT = 'ECS_FARGATE_AGENT_MANAGEMENT',
  /** The agent on EC2 instances through Systems Manager (only instances that are SSM managed instances). */
  EC2_AGENT_MANAGEMENT = 'EC2_AGENT_MANAGEMENT',
}
