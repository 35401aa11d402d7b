import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ERROR_CATALOG_DOC,
  ERROR_CATALOG_SOURCE,
  errorCatalog,
  errorCatalogDoc,
} from '../../../workflows/error-catalog';
import { aslFiles } from '../../../workflows/outputs';

// One error catalog (functions/shared/errors.ts): every named error that crosses the Lambda/ASL boundary is defined
// there, says who throws it and how the workflows treat it, and docs/errors.md is generated from it.

const ROOT = join(__dirname, '..', '..', '..');
const catalog = errorCatalog(ROOT);

type State = { Retry?: { ErrorEquals: string[] }[]; Catch?: { ErrorEquals: string[] }[]; Branches?: Machine[] };
type Machine = { States: Record<string, State> };

/** The error names the generated ASL retries, and those it catches by name. */
function treatedInAsl(): { retried: Set<string>; caught: Set<string> } {
  const retried = new Set<string>();
  const caught = new Set<string>();
  const walk = (machine: Machine) => {
    for (const state of Object.values(machine.States)) {
      for (const r of state.Retry ?? []) for (const e of r.ErrorEquals) retried.add(e);
      for (const c of state.Catch ?? []) for (const e of c.ErrorEquals) caught.add(e);
      for (const b of state.Branches ?? []) walk(b);
    }
  };
  for (const text of aslFiles().values()) walk(JSON.parse(text) as Machine);
  return { retried, caught };
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('the error catalog', () => {
  it('defines every named error of the functions and the workflows: none elsewhere', () => {
    const elsewhere = [...sources(join(ROOT, 'functions')), ...sources(join(ROOT, 'workflows'))]
      .filter((path) => !path.endsWith(ERROR_CATALOG_SOURCE))
      .filter((path) => /extends SpokelinkError|_ERROR = '/.test(readFileSync(path, 'utf8')))
      .map((path) => path.slice(ROOT.length + 1));
    expect(elsewhere).toEqual([]);
  });

  it('says who throws each error and how the workflows treat it', () => {
    expect(catalog.length).toBeGreaterThan(30);
    for (const entry of catalog) {
      expect({ name: entry.name, meaning: entry.meaning !== '', thrownBy: entry.thrownBy !== '' }).toEqual({
        name: entry.name,
        meaning: true,
        thrownBy: true,
      });
      expect({ name: entry.name, workflow: entry.workflow }).toEqual({
        name: entry.name,
        workflow: expect.any(String),
      });
      expect(entry.workflow).not.toBe('');
    }
  });

  it('says "retried" and "caught" exactly where the generated ASL retries or catches the error by name', () => {
    const { retried, caught } = treatedInAsl();
    for (const entry of catalog) {
      expect({
        name: entry.name,
        retried: /\bretried\b/i.test(entry.workflow),
        caught: /\bcaught\b/i.test(entry.workflow),
      }).toEqual({ name: entry.name, retried: retried.has(entry.name), caught: caught.has(entry.name) });
    }
  });

  it(`${ERROR_CATALOG_DOC} is the generated one`, () => {
    const committed = readFileSync(join(ROOT, ERROR_CATALOG_DOC), 'utf8');
    expect(committed === errorCatalogDoc(catalog) ? 'identical' : 'differs: run npm run workflows:generate').toBe(
      'identical',
    );
  });
});
