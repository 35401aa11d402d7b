import { join } from 'node:path';
import { renderAsl } from './builder';
import { WORKFLOWS } from './index';
import { type Detail, mermaid } from './mermaid';

/**
 * What `npm run workflows:generate` writes: `statemachines/<id>.asl.json` for each workflow, and the Mermaid blocks of
 * the docs that a marker names. A test checks that the committed files are exactly these.
 */

export const STATE_MACHINES_DIR = 'statemachines';

/** The docs that hold generated diagrams. */
export const DOCS_WITH_DIAGRAMS = ['README.md', 'docs/workflow.md', 'docs/lifecycle.md'] as const;

/** Repository-relative path -> content of every generated ASL file. */
export function aslFiles(): Map<string, string> {
  return new Map(
    Object.entries(WORKFLOWS).map(([id, machine]) => [join(STATE_MACHINES_DIR, `${id}.asl.json`), renderAsl(machine)]),
  );
}

/**
 * A generated diagram in a Markdown file: `<!-- generated: workflow <id> <full|compact> -->`, the mermaid fence, and
 * `<!-- end generated -->`. Whatever is between the markers is replaced.
 */
const BLOCK = /<!-- generated: workflow ([a-z-]+) (full|compact) -->\n[\s\S]*?<!-- end generated -->/g;

/** The diagram block for a workflow, markers included. */
export function diagramBlock(id: string, detail: Detail): string {
  const machine = WORKFLOWS[id];
  if (!machine) throw new Error(`no workflow "${id}" (workflows/index.ts): ${Object.keys(WORKFLOWS).join(', ')}`);
  return [
    `<!-- generated: workflow ${id} ${detail} -->`,
    '```mermaid',
    mermaid(machine, detail),
    '```',
    '<!-- end generated -->',
  ].join('\n');
}

/** A Markdown text with its diagram blocks regenerated; also the workflows they name. */
export function withDiagrams(text: string): { text: string; blocks: string[] } {
  const blocks: string[] = [];
  const out = text.replace(BLOCK, (_all, id: string, detail: Detail) => {
    blocks.push(`${id} ${detail}`);
    return diagramBlock(id, detail);
  });
  return { text: out, blocks };
}
