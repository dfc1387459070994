// Every test file of test/security/ in one jest test file: see test/support/suite.ts.
import { runDomainTests } from './support/suite';

runDomainTests('security');
