import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

/**
 * The error catalog (`functions/shared/errors.ts`) read as data: each named error with its doc comment's "Thrown by:"
 * and "Workflow:" parts. `npm run workflows:generate` writes docs/errors.md from it; a test checks each "Workflow:"
 * against the generated ASL (retried, caught).
 */

export const ERROR_CATALOG_SOURCE = 'functions/shared/errors.ts';
export const ERROR_CATALOG_DOC = 'docs/errors.md';

export interface CatalogEntry {
  /** The error name the ASL and the execution histories carry (the class name, or the constant's value). */
  readonly name: string;
  /** What the error means (the doc comment before "Thrown by:"). */
  readonly meaning: string;
  readonly thrownBy: string;
  readonly workflow: string;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The doc comment of a declaration, without its `/** *\/` and leading `*`s. */
function docOf(node: ts.Node, source: ts.SourceFile): string {
  const ranges = ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [];
  const last = ranges.filter((r) => source.text.startsWith('/**', r.pos)).at(-1);
  if (!last) return '';
  return source.text
    .slice(last.pos + 3, last.end - 2)
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, ''))
    .join('\n');
}

function entryOf(name: string, doc: string): CatalogEntry {
  const thrown = doc.indexOf('Thrown by:');
  const workflow = doc.indexOf('Workflow:');
  const meaningEnd = [thrown, workflow].filter((i) => i >= 0).sort((a, b) => a - b)[0] ?? doc.length;
  return {
    name,
    meaning: oneLine(doc.slice(0, meaningEnd)),
    thrownBy: thrown >= 0 ? oneLine(doc.slice(thrown + 10, workflow > thrown ? workflow : undefined)) : '',
    workflow: workflow >= 0 ? oneLine(doc.slice(workflow + 9)) : '',
  };
}

/** Every exported error class (but the abstract base) and error-name constant (`*_ERROR`) of the catalog, in order. */
export function errorCatalog(root = join(__dirname, '..')): CatalogEntry[] {
  const text = readFileSync(join(root, ERROR_CATALOG_SOURCE), 'utf8');
  const source = ts.createSourceFile(ERROR_CATALOG_SOURCE, text, ts.ScriptTarget.Latest, true);
  const entries: CatalogEntry[] = [];
  for (const statement of source.statements) {
    const modifiers = ts.canHaveModifiers(statement) ? (ts.getModifiers(statement) ?? []) : [];
    const has = (kind: ts.SyntaxKind) => modifiers.some((m) => m.kind === kind);
    if (!has(ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isClassDeclaration(statement) && statement.name) {
      if (!has(ts.SyntaxKind.AbstractKeyword)) entries.push(entryOf(statement.name.text, docOf(statement, source)));
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (
          ts.isIdentifier(declaration.name) &&
          declaration.name.text.endsWith('_ERROR') &&
          declaration.initializer &&
          ts.isStringLiteral(declaration.initializer)
        ) {
          entries.push(entryOf(declaration.initializer.text, docOf(statement, source)));
        }
      }
    }
  }
  return entries;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** docs/errors.md: the catalog as a table. */
export function errorCatalogDoc(entries = errorCatalog()): string {
  return [
    '# Named errors',
    '',
    `<!-- generated from ${ERROR_CATALOG_SOURCE} by npm run workflows:generate: edit the doc comments there -->`,
    '',
    'Every named error that crosses the Lambda/ASL boundary is a class of `functions/shared/errors.ts` (or, for the',
    'approval decisions sent to a waiting task, an error-name constant there): the handlers throw them, the builder',
    "takes the ASL's error names from them (`errorName`, `on`, `retrier`), and Step Functions matches a Lambda error by",
    'its class name, which therefore never changes. "Retried" names the `TRANSIENT` retrier of `workflows/fragments.ts`;',
    '"caught" a Catch to a named state; "fails the step" the catch-all (`$.failure.<Step>`, then the onboarding\'s',
    'rollback or the failure tail, docs/workflow.md "Retries and catches").',
    '',
    '| error | meaning | thrown by | workflow |',
    '| --- | --- | --- | --- |',
    ...entries.map((e) => `| \`${e.name}\` | ${cell(e.meaning)} | ${cell(e.thrownBy)} | ${cell(e.workflow)} |`),
    '',
  ].join('\n');
}
