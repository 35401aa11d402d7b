import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aslFiles, DOCS_WITH_DIAGRAMS, withDiagrams } from '../../../workflows/outputs';

// statemachines/*.asl.json and the docs' workflow diagrams are generated from workflows/*.ts
// (npm run workflows:generate): the committed files must be exactly what the builder emits, so that nobody edits the
// JSON by hand and the diagrams show what runs.

const ROOT = join(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('generated workflows', () => {
  it.each([...aslFiles()])('%s is byte-identical to the builder output', (path, generated) => {
    expect(read(path) === generated ? 'identical' : 'differs: run npm run workflows:generate').toBe('identical');
  });

  it('generates the three workflows the stack builds', () => {
    expect([...aslFiles().keys()].sort()).toEqual([
      'statemachines/offboard.asl.json',
      'statemachines/onboard.asl.json',
      'statemachines/reconcile.asl.json',
    ]);
  });

  it.each([...DOCS_WITH_DIAGRAMS])('%s: its workflow diagrams are the generated ones', (doc) => {
    const text = read(doc);
    const { text: regenerated, blocks } = withDiagrams(text);
    expect(blocks.length).toBeGreaterThan(0);
    expect(regenerated === text ? 'identical' : 'differs: run npm run workflows:generate').toBe('identical');
  });

  it('draws every workflow in the docs, in full at least once', () => {
    const drawn = DOCS_WITH_DIAGRAMS.flatMap((doc) => withDiagrams(read(doc)).blocks);
    expect(drawn).toEqual(expect.arrayContaining(['onboard full', 'offboard full', 'reconcile full']));
  });
});
