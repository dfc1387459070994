/**
 * SEC-1: the GuardDuty protection features {@link GuardDutyOrganization} turns on.
 */

/** GuardDuty protection features turned on for the administrator and every member. */
export enum GuardDutyFeature {
  /** S3 Protection: S3 data events. */
  S3_DATA_EVENTS = 'S3_DATA_EVENTS',
  /** EKS Protection: EKS audit logs. */
  EKS_AUDIT_LOGS = 'EKS_AUDIT_LOGS',
  /** Malware Protection for EC2: scans EBS volumes of instances with findings. */
  EBS_MALWARE_PROTECTION = 'EBS_MALWARE_PROTECTION',
  /** RDS Protection: Aurora and RDS login events. */
  RDS_LOGIN_EVENTS = 'RDS_LOGIN_EVENTS',
  /** Lambda Protection: Lambda network activity logs. */
  LAMBDA_NETWORK_LOGS = 'LAMBDA_NETWORK_LOGS',
  /**
   * Runtime Monitoring (EKS, ECS Fargate and EC2; includes EKS Runtime Monitoring, so never both).
   * It needs a GuardDuty security agent on the workloads: see
   * {@link GuardDutyOrganizationProps.runtimeMonitoringAgents}.
   */
  RUNTIME_MONITORING = 'RUNTIME_MONITORING',
}
