/**
 * SEC-1: which members of the organization GuardDuty enables automatically ({@link GuardDutyOrganization}).
 */
/** Which members GuardDuty enables automatically. */
export enum GuardDutyAutoEnable {
  /** Every current and future member of the organization. */
  ALL = 'ALL',
  /** Only accounts that join from now on. */
  NEW = 'NEW',
  /** None: members are enabled one by one. */
  NONE = 'NONE',
}
