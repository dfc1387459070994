// Every test file of test/iac/ in one jest test file: see test/support/suite.ts.
import { runDomainTests } from './support/suite';

runDomainTests('iac');
