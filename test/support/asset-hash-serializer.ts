/**
 * Jest snapshot serializer that replaces asset hashes (64 hex characters, as in asset object
 * keys, `cdk-*-assets-*` keys and `AssetParameters`), so a CDK or handler change does not
 * rewrite every snapshot. Snapshots still catch every other change.
 */
const HASH = /[0-9a-f]{64}/g;

const serializer: jest.SnapshotSerializerPlugin = {
  test: (value: unknown) => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value: string) => JSON.stringify(value.replace(HASH, '[ASSET HASH]')),
};

export = serializer;
