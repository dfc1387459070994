// The test files of the domains test/support/shards.js puts in shard 1, in one jest test file:
// see test/support/suite.ts.
import { runShard } from './support/suite';

runShard('1');
