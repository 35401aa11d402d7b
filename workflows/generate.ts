import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CATALOG_DOC, errorCatalogDoc } from './error-catalog';
import { aslFiles, DOCS_WITH_DIAGRAMS, withDiagrams } from './outputs';

/**
 * `npm run workflows:generate`: writes statemachines/*.asl.json and the docs' workflow diagrams from workflows/*.ts, and
 * docs/errors.md from the error catalog (functions/shared/errors.ts).
 */

const ROOT = join(__dirname, '..');

function write(path: string, content: string): void {
  const file = join(ROOT, path);
  let before: string | undefined;
  try {
    before = readFileSync(file, 'utf8');
  } catch {
    before = undefined;
  }
  if (before === content) return;
  writeFileSync(file, content);
  console.log(`wrote ${path}`);
}

for (const [path, content] of aslFiles()) write(path, content);
for (const doc of DOCS_WITH_DIAGRAMS) write(doc, withDiagrams(readFileSync(join(ROOT, doc), 'utf8')).text);
write(ERROR_CATALOG_DOC, errorCatalogDoc());
