#!/usr/bin/env node
// `npm run typecheck`: the three TypeScript programs of the repository, checked in one process.
//
// 1. tsconfig.json: lib, bin, examples, test and scripts, every file checked.
// 2. packages/verify/tsconfig.json: the verify command, every file checked.
// 3. tsconfig.readme.json: the README's ```ts snippets (written to .readme-snippets/ by
//    scripts/readme-snippets.js), where `@devops-patterns/cdk-reference` maps to lib/index.ts as
//    a user's import resolves to the package. Only the snippet files' diagnostics are reported:
//    the library files the snippets import are the ones program 1 has just checked with stricter
//    options (noUnusedLocals), so checking them again would find nothing new.
//
// The programs share parsed source files (the declaration files of aws-cdk-lib, constructs and
// Node.js, and lib/), as TypeScript's language service does across projects: neither of the
// options that differ between the programs (noUnusedLocals, paths, types) changes how a file is
// parsed. Measured on the CI machine: 3 tsc runs 32 s, this script about 20 s.
const path = require('path');
const ts = require('typescript');

const root = path.join(__dirname, '..');
const cache = new Map();

function host(options) {
  const base = ts.createCompilerHost(options);
  return {
    ...base,
    getSourceFile(fileName, languageVersion, onError, shouldCreate) {
      const key = `${fileName}\0${typeof languageVersion === 'object' ? JSON.stringify(languageVersion) : languageVersion}`;
      let file = cache.get(key);
      if (!file || shouldCreate) {
        file = base.getSourceFile(fileName, languageVersion, onError, shouldCreate);
        if (file) cache.set(key, file);
      }
      return file;
    },
  };
}

function program(configFile) {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, configFile), { noEmit: true }, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); },
  });
  if (parsed.errors.length > 0) return { diagnostics: parsed.errors };
  const p = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host: host(parsed.options), projectReferences: parsed.projectReferences });
  return { program: p, fileNames: parsed.fileNames };
}

function allDiagnostics(configFile) {
  const { program: p, diagnostics } = program(configFile);
  return diagnostics ?? ts.getPreEmitDiagnostics(p);
}

function diagnosticsOfOwnFiles(configFile) {
  const { program: p, fileNames, diagnostics } = program(configFile);
  if (diagnostics) return diagnostics;
  const own = fileNames.map((f) => p.getSourceFile(f)).filter(Boolean);
  return [
    ...p.getConfigFileParsingDiagnostics(),
    ...p.getOptionsDiagnostics(),
    ...p.getGlobalDiagnostics(),
    ...own.flatMap((f) => [...p.getSyntacticDiagnostics(f), ...p.getSemanticDiagnostics(f)]),
  ];
}

const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
let failed = false;
for (const [configFile, check] of [
  ['tsconfig.json', allDiagnostics],
  ['packages/verify/tsconfig.json', allDiagnostics],
  ['tsconfig.readme.json', diagnosticsOfOwnFiles],
]) {
  const started = Date.now();
  const diagnostics = check(configFile);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (diagnostics.length > 0) {
    failed = true;
    const format = process.stderr.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
    console.error(format(diagnostics, formatHost));
    console.error(`${configFile}: ${diagnostics.length} error(s) (${seconds} s)`);
  } else {
    console.log(`${configFile}: no type errors (${seconds} s)`);
  }
}
process.exit(failed ? 1 : 0);
