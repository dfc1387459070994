/**
 * `npm run integ:synth`: synthesizes every integration test app (test/integ/integ.*.ts) offline,
 * with integ-runner's placeholder account and region, into cdk.out.integ/<name>: the apps must
 * build, pass the checks and the CloudFormation validation, and their assertions must synthesize.
 * All apps run in this one process (each file builds its App when it is loaded, and App reads
 * CDK_OUTDIR then), so aws-cdk-lib loads once. Deploying them is `npm run integ` (test/integ/run.sh).
 */
import * as fs from 'fs';
import * as path from 'path';

const dir = path.join(__dirname, '..', 'test', 'integ');
const files = fs.readdirSync(dir).filter((f) => /^integ\..+\.ts$/.test(f)).sort();
if (files.length === 0) throw new Error('test/integ holds no integ.*.ts app');

process.env.CDK_INTEG_ACCOUNT = '12345678';
process.env.CDK_INTEG_REGION = 'test-region';
for (const file of files) {
  const name = path.basename(file, '.ts');
  const started = Date.now();
  process.env.CDK_OUTDIR = path.join('cdk.out.integ', name);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.join(dir, file));
  console.log(`${name}: synthesized to ${process.env.CDK_OUTDIR} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
