/**
 * The default tier's test files in batches: `npm test` runs each batch as one jest test file
 * (`test/batches/batch-<n>.test.ts`), which requires its share of the files, each inside a `describe` named after it.
 *
 * Why: jest gives every test file a fresh module registry, so each file loaded the SDK clients, the twin, the local
 * hub, zod, aws-cdk-lib afresh: about 1.2 s of CPU per file, over half of `npm test`'s CPU (docs/testing.md). In a
 * batch, the files of the batch load them once. Every file stays a jest test file of its own: `npx jest <path>` runs it
 * alone (jest.config.js), as before.
 *
 * Every default-tier file belongs to exactly one batch, or runs alone when what it does at its top level would reach
 * the other files of a batch (`ALONE`): test/shared/test-batches.test.ts checks it.
 * The batches are balanced by the files' sizes, and a folder's files stay together where they can (the infra tests
 * share aws-cdk-lib and its synthesized templates, the workflow tests the local hub): each folder of test/ is cut into
 * as few runs of its files as the batch size allows (`FOLDER_SLACK`), and the runs go largest first into the lightest
 * batch. Nothing is listed by hand.
 */
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join, relative, sep } = require('node:path');

/** Batches: jest runs them on its workers, the heaviest first. */
const BATCHES = 10;

/**
 * How much larger than a batch's share a folder's run may grow before the folder is cut in two: each run of a folder
 * loads its modules again (the infra files in one run: 32.7 CPU-s; in two: 37.4).
 */
const FOLDER_SLACK = 1.25;

const TEST_DIR = join(__dirname, '..');
const REPO = join(TEST_DIR, '..');

/**
 * What a file does at its top level to modules the other files of a batch share (it would run while the batch's
 * files are collected, before any test): it rearranges the module registry (`jest.mock` and the like), or stubs SDK
 * clients' `send` with aws-sdk-client-mock's `mockClient` (on a client class's prototype, or an instance a handler
 * shares). Such a file runs as a test file of its own. A file stubbing clients through `mockClientForFile`
 * (test/mock-client.ts: the stubs live from the file's first test to its last) shares a batch.
 */
const ALONE =
  /\bjest\s*\.\s*(mock|unmock|doMock|dontMock|enableAutomock|disableAutomock|deepUnmock|resetModules|isolateModules)\s*\(|\bmockClient\s*\(/;

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** The default tier's test files (absolute paths, sorted): `*.test.ts` under test/, not the scale tier's or the batches. */
function defaultTierFiles() {
  return walk(TEST_DIR)
    .filter((f) => f.endsWith('.test.ts') && !f.endsWith('.scale.test.ts'))
    .filter((f) => !f.startsWith(`${__dirname}${sep}`))
    .sort();
}

/** Whether a test file of this text runs alone (`ALONE`). */
function runsAlone(text) {
  return ALONE.test(text);
}

/** The files that run alone (absolute paths). */
function standaloneFiles() {
  return defaultTierFiles().filter((f) => runsAlone(readFileSync(f, 'utf8')));
}

/** The batches: arrays of absolute paths, each file in exactly one (see the module comment). */
function batches() {
  const alone = new Set(standaloneFiles());
  const files = defaultTierFiles()
    .filter((f) => !alone.has(f))
    .map((f) => ({ f, size: statSync(f).size, folder: relative(TEST_DIR, f).split(sep)[0] }));
  const target = files.reduce((sum, x) => sum + x.size, 0) / BATCHES;
  // Each folder in as few runs as the batch size allows, of about equal size, its files in name order.
  const runs = [];
  for (const folder of [...new Set(files.map((x) => x.folder))].sort()) {
    const own = files.filter((x) => x.folder === folder);
    const size = own.reduce((sum, x) => sum + x.size, 0);
    const per = size / Math.ceil(size / (target * FOLDER_SLACK));
    let run = { files: [], size: 0 };
    for (const x of own) {
      if (run.files.length > 0 && run.size + x.size / 2 > per) {
        runs.push(run);
        run = { files: [], size: 0 };
      }
      run.files.push(x.f);
      run.size += x.size;
    }
    runs.push(run);
  }
  runs.sort((a, b) => b.size - a.size || a.files[0].localeCompare(b.files[0]));
  const out = Array.from({ length: BATCHES }, () => ({ files: [], size: 0 }));
  for (const run of runs) {
    const lightest = out.reduce((min, b) => (b.size < min.size ? b : min));
    lightest.files.push(...run.files);
    lightest.size += run.size;
  }
  return out.map((b) => b.files.sort());
}

module.exports = { BATCHES, REPO, defaultTierFiles, runsAlone, standaloneFiles, batches };
