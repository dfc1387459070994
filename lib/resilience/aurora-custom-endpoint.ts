/**
 * RES-5: the custom endpoints of an Aurora cluster (AuroraGlobalDatabase, AuroraSecondaryCluster).
 */

/**
 * Which instances a custom endpoint may route to
 * (docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Endpoints.Custom.html).
 */
export enum AuroraEndpointType {
  /** Only the cluster's reader instances (Aurora Replicas). */
  READER = 'READER',
  /** Any instance, the writer included. */
  ANY = 'ANY',
}

/**
 * A custom endpoint of an Aurora cluster: a DNS name that balances connections across a chosen
 * set of its instances. Members are named as the construct names its instances: `writer`,
 * `reader1`, `reader2`, ...
 */
export interface AuroraCustomEndpoint {
  /** The endpoint's name, appended to the cluster identifier (`<cluster>-<name>`). */
  readonly name: string;

  /** Which instances the endpoint may route to. */
  readonly endpointType: AuroraEndpointType;

  /**
   * Exactly these instances (`writer`, `reader1`, ...). Not together with `excludedMembers`.
   * @default - every instance of the type, those added later included (unless excluded)
   */
  readonly staticMembers?: string[];

  /**
   * Every instance of the type except these. Not together with `staticMembers`.
   * @default - none excluded
   */
  readonly excludedMembers?: string[];
}
