// The AWS SDK warns on every client creation that its releases after January 2027 need Node.js
// 22 (README: Node.js 22 or later is recommended; 20 is supported). In a test run that warning
// reads like a failure, so it is dropped here; every other warning still prints.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...args) {
  const type = typeof args[0] === 'string' ? args[0] : args[0] && args[0].type;
  const name = (warning && warning.name) || type;
  if (name === 'NodeVersionSupportWarning' || String(warning).includes('NodeVersionSupportWarning')) return;
  return emitWarning.call(process, warning, ...args);
};
