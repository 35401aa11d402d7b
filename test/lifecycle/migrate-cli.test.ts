import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as cli } from './helpers';
import { RELEASE_FIXTURE } from './upgrade-world';

/** `spokelink migrate --local` on a saved run holding the registry of the release of 93dae39. */

describe('CLI: spokelink migrate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spokelink-migrate-'));
    copyFileSync(join(RELEASE_FIXTURE, 'registry.json'), join(dir, 'registry.json'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const registry = () => JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8')) as Record<string, unknown>[];

  it('reports with --dry-run and changes nothing, migrates the saved registry, then finds nothing left to do', async () => {
    const before = readFileSync(join(dir, 'registry.json'), 'utf8');
    const dry = await cli(['migrate', '--local', '--run-dir', dir, '--dry-run']);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toContain('(dry run: nothing written)');
    expect(dry.stdout).toContain('records: 4 at schema 1 (current schema 2)');
    expect(dry.stdout).toContain('would migrate: 4; already current: 0');
    expect(dry.stdout).toMatch(
      /VPC#vpc-0d500000000000001 CURRENT {2}1 -> 2 {2}adds endpointConnections, quarantine, schemaVersion, upgradedFrom/,
    );
    expect(readFileSync(join(dir, 'registry.json'), 'utf8')).toBe(before);

    const done = await cli(['migrate', '--local', '--run-dir', dir, '--json']);
    expect(done.code).toBe(0);
    const report = JSON.parse(done.stdout) as { migrated: unknown[]; dryRun: boolean; replans: string[] };
    expect(report).toMatchObject({ dryRun: false, target: 2 });
    expect(report.migrated).toHaveLength(4);
    const records = registry().filter((i) => i.sk === 'CURRENT');
    expect(records.map((r) => r.schemaVersion)).toEqual([2, 2, 2, 2]);
    expect(registry().find((i) => i.pk === 'SCHEMA')).toMatchObject({ schemaVersion: 2, migrated: 4 });

    const again = await cli(['migrate', '--local', '--run-dir', dir, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ migrated: [], alreadyCurrent: 4 });
  });

  it('refuses a registry with a record of a newer schema, exit 1, nothing written', async () => {
    const items = registry();
    (items.find((i) => i.sk === 'CURRENT') as Record<string, unknown>).schemaVersion = 9;
    const text = `${JSON.stringify(items, null, 2)}\n`;
    writeFileSync(join(dir, 'registry.json'), text);
    const result = await cli(['migrate', '--local', '--run-dir', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/has registry schema 9, newer than this spokelink's \(2\)/);
    expect(readFileSync(join(dir, 'registry.json'), 'utf8')).toBe(text);
  });

  it('refuses unknown flags with exit 2', async () => {
    const result = await cli(['migrate', '--local', '--run-dir', dir, '--force']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--force/);
  });
});
