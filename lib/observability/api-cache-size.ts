/**
 * The cache capacities an API Gateway stage offers, in GB: the only values `CacheClusterSize`
 * accepts (docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html, `cacheClusterSize`;
 * docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html). The cache is
 * billed by the hour for its size, whether or not it is used.
 */
export enum ApiCacheSize {
  /** 0.5 GB, the smallest (and cheapest) cache. */
  GB_0_5 = '0.5',
  /** 1.6 GB. */
  GB_1_6 = '1.6',
  /** 6.1 GB. */
  GB_6_1 = '6.1',
  /** 13.5 GB. */
  GB_13_5 = '13.5',
  /** 28.4 GB. */
  GB_28_4 = '28.4',
  /** 58.2 GB. */
  GB_58_2 = '58.2',
  /** 118 GB. */
  GB_118 = '118',
  /** 237 GB, the largest. */
  GB_237 = '237',
}
