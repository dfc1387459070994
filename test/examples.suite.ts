// Every test file of test/examples/ in one jest test file: see test/support/suite.ts.
import { runDomainTests } from './support/suite';

runDomainTests('examples');
