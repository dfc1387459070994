#!/usr/bin/env node
// Writes every ```ts block of README.md to .readme-snippets/, one module each, so that
// `npm run typecheck` (tsc over the project, where `@devops-patterns/cdk-reference` maps to
// lib/index.ts) type-checks them exactly as a user would paste them. A file's name and first
// line give the README line its snippet starts on.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const outDir = path.join(root, '.readme-snippets');
const lines = fs.readFileSync(path.join(root, 'README.md'), 'utf8').split('\n');

fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir);
let count = 0;
let fences = 0;
for (let i = 0; i < lines.length; i++) {
  if (lines[i].startsWith('```')) fences++;
  if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
  let end = i + 1;
  while (end < lines.length && !lines[end].startsWith('```')) end++;
  const first = i + 2; // the README line of the snippet's first line
  const code = lines.slice(i + 1, end).join('\n');
  // The header line keeps snippet line N at file line N + 1; `export {}` makes each its own module.
  fs.writeFileSync(path.join(outDir, `readme-line-${String(first).padStart(4, '0')}.ts`), `// README.md line ${first}; file line n is README line ${first - 2} + n\n${code}\nexport {};\n`);
  count++;
  if (end < lines.length) fences++;
  i = end;
}
if (fences % 2 !== 0) {
  console.error('README.md has an unclosed code block');
  process.exit(1);
}
console.log(`README snippets: ${count} TypeScript blocks written to .readme-snippets/ for the type-check`);
