/**
 * SEC-1: the file formats of GuardDuty trusted IP lists and threat lists ({@link GuardDutyIpList}).
 */
/** The format of a GuardDuty IP list file. */
export enum GuardDutyListFormat {
  /** Plain text, one IP address or CIDR per line. */
  TXT = 'TXT',
  /** Structured Threat Information Expression. */
  STIX = 'STIX',
  /** Open Threat Exchange CSV. */
  OTX_CSV = 'OTX_CSV',
  /** AlienVault reputation feed. */
  ALIEN_VAULT = 'ALIEN_VAULT',
  /** Proofpoint ET Intelligence feed. */
  PROOF_POINT = 'PROOF_POINT',
  /** FireEye iSIGHT Threat Intelligence. */
  FIRE_EYE = 'FIRE_EYE',
}
