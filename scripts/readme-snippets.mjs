#!/usr/bin/env node
// Extracts the README's TypeScript snippets into files, so they can be compiled (and run) as a
// consumer's project would: `node scripts/readme-snippets.mjs README.md <dir>`. Every ```ts block
// must start with a `// <path>` comment naming the file it is (e.g. `// src/app.ts`).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const BLOCK = /```ts\n([\s\S]*?)```/g;
const PATH_COMMENT = /^\/\/ ([\w./-]+\.ts)\b/;

/**
 * The ```ts blocks of a Markdown text as `{ path, code, line }`; throws naming the line of a block
 * without a `// <path>` first line, or of a path given twice.
 */
export function readmeSnippets(markdown) {
  const snippets = [];
  for (const match of markdown.matchAll(BLOCK)) {
    const line = markdown.slice(0, match.index).split('\n').length;
    const code = match[1];
    const path = PATH_COMMENT.exec(code)?.[1];
    if (!path) throw new Error(`README line ${line}: a \`\`\`ts block must start with "// <file>.ts" naming the file it is, so the snippet test can compile it.`);
    if (isAbsolute(path) || normalize(path).startsWith('..')) throw new Error(`README line ${line}: snippet path ${path} must be relative and inside the project.`);
    if (snippets.some((s) => s.path === path)) throw new Error(`README line ${line}: ${path} appears twice; give each snippet its own file.`);
    snippets.push({ path, code, line });
  }
  return snippets;
}

/** Writes the snippets under `dir`; returns their paths. */
export function writeSnippets(snippets, dir) {
  return snippets.map(({ path, code }) => {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, code);
    return file;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [readme, dir] = process.argv.slice(2);
  if (!readme || !dir) {
    console.error('usage: node scripts/readme-snippets.mjs README.md <dir>');
    process.exit(2);
  }
  const files = writeSnippets(readmeSnippets(readFileSync(readme, 'utf8')), dir);
  console.log(files.join('\n'));
}
