/**
 * Runs every test file of one domain (`test/<domain>/*.test.ts`) inside one jest test file.
 *
 * Jest gives each test file its own module registry, so each file loads aws-cdk-lib, the
 * cdk-nag rule packs and the CloudFormation validation engine again: about 3-4 s of CPU per
 * file on the CI machine, more than most files' own tests. Measured on the cicd domain (9
 * files, 183 tests): 52 s of CPU as separate files, 19 s in one suite. The files stay one per
 * pattern, and `npx jest test/<domain>/<file>.test.ts` still runs one of them on its own
 * (jest.config.js).
 *
 * Handler tests (`test/<domain>/handlers/`) and the verify command's tests stay separate
 * files: they replace AWS SDK clients with mocks in top-level hooks that must not leak into
 * other files.
 */
import * as fs from 'fs';
import * as path from 'path';

export function runDomainTests(domain: string): void {
  const dir = path.join(__dirname, '..', domain);
  const files = fs.readdirSync(dir).filter((file) => file.endsWith('.test.ts')).sort();
  if (files.length === 0) throw new Error(`test/${domain} has no *.test.ts file`);
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(path.join(dir, file));
  }
}
