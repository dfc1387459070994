// After the run: remove its temporary folder, then print the totals as the last line.
const fs = require('fs');
const path = require('path');
const { teardown } = require('./temp-dir');

module.exports = async (globalConfig) => {
  await teardown();
  const totals = path.join(globalConfig.rootDir, '.test-totals');
  if (fs.existsSync(totals)) process.stdout.write(`\n${fs.readFileSync(totals, 'utf8').trim()}\n`);
};
