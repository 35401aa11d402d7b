import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logger } from '#shared/logger';
import { main } from '../../cli/main';

/**
 * Every `--json` output of every command is exactly one JSON document on stdout: nothing else reaches stdout, neither
 * through the command's own output nor written to `process.stdout` directly (the handlers' Powertools logs, which a
 * local hub sends to stderr). Run through `main`, as `spokelink` runs them.
 */

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, 'config/example.hub.json');
const WORLD = join(ROOT, 'worlds/example.world.json');

interface Run {
  code: number;
  /** Everything that reached stdout: the command's output and any direct write to process.stdout. */
  stdout: string;
  stderr: string;
}

async function spokelink(argv: string[]): Promise<Run> {
  const out: Run = { code: -1, stdout: '', stderr: '' };
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.stdout += String(chunk);
    return true;
  });
  const writeError = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.stderr += String(chunk);
    return true;
  });
  try {
    out.code = await main(argv, { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t) });
  } finally {
    write.mockRestore();
    writeError.mockRestore();
  }
  return out;
}

const simulate = (...flags: string[]) => spokelink(['simulate', '--config', CONFIG, '--world', WORLD, ...flags]);

/** Parses stdout as exactly one JSON document (JSON.parse refuses anything before or after it). */
function oneDocument(run: Run): unknown {
  expect(run.code).toBe(0);
  expect(run.stdout.trim().startsWith('{')).toBe(true);
  return JSON.parse(run.stdout);
}

describe('--json: exactly one JSON document on stdout, for every command', () => {
  let dir: string;
  let saved: string;
  let verbose: Run;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spokelink-json-'));
    saved = join(dir, 'run');
    // The run the registry readers (audit, chargeback) read, made verbose: its own --json output is checked below
    // (one simulation of the example world for both, each costs seconds).
    verbose = await simulate('--save', saved, '--verbose', '--json');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('simulate --scenario FILE --json: the handler logs stay off stdout', async () => {
    // As in a shell without POWERTOOLS_LOG_LEVEL: the logger was created at INFO before any hub set the level.
    // A short scenario: one VPC connected runs every onboarding handler (the example scenario, a VPC's whole life, is
    // run by test/lifecycle/cli.test.ts).
    const scenario = join(dir, 'connect.scenario.json');
    const sandbox = 'vpc-0b300000000000002';
    writeFileSync(
      scenario,
      JSON.stringify({
        steps: [
          { do: 'tag', vpc: sandbox, tags: { 'spokelink:connect': 'true' } },
          { do: 'expect', vpc: sandbox, status: 'connected', registry: 'connected' },
        ],
      }),
    );
    const level = logger.getLevelName();
    logger.setLogLevel('INFO');
    const run = await simulate('--scenario', scenario, '--save', 'none', '--json').finally(() =>
      logger.setLogLevel(level),
    );
    expect(oneDocument(run)).toBeInstanceOf(Object);
    expect(logger.getLevelName()).toBe(level);
  });

  it('simulate --verbose --save DIR --json: the handler logs go to stderr', () => {
    expect(oneDocument(verbose)).toMatchObject({ version: 1 });
    expect(verbose.stderr).toMatch(/"level":"INFO"/);
  });

  it('cost --json', async () => {
    const run = await spokelink(['cost', '--vpcs', '100', '--services', '10', '--azs', '3', '--gb', '50', '--json']);
    expect(oneDocument(run)).toMatchObject({ decentralized: expect.any(Object) });
  });

  it('chargeback --json (the saved run)', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const run = await spokelink(['chargeback', '--month', month, '--local', '--run-dir', saved, '--json']);
    expect(oneDocument(run)).toMatchObject({ summary: expect.any(Object) });
  });

  it('preflight --config --local --json (capacity of the saved run): the members it counts are the saved registry’s', async () => {
    const run = await spokelink([
      'preflight',
      '--config',
      CONFIG,
      '--local',
      '--run-dir',
      saved,
      '--add',
      '3',
      '--json',
    ]);
    const report = oneDocument(run) as { fits: boolean; findings: { check: string; capacity?: { used: number }[] }[] };
    const items = JSON.parse(readFileSync(join(saved, 'registry.json'), 'utf8')) as Record<string, unknown>[];
    const members = items.filter((i) => i.sk === 'CURRENT' && i.status !== 'disconnected' && i.attachmentId);
    expect(members.length).toBeGreaterThan(0);
    // The members' attachments and the hub VPC's own (capacity.otherAttachments).
    expect(report.findings.find((f) => f.check === 'tgw-attachments')?.capacity?.[0]?.used).toBe(members.length + 1);
    expect(report.fits).toBe(true);
  });

  it('audit VPC_ID --json and audit --all --json (the saved run)', async () => {
    const one = await spokelink(['audit', 'vpc-0b300000000000001', '--local', '--run-dir', saved, '--json']);
    expect(oneDocument(one)).toMatchObject({ vpcId: 'vpc-0b300000000000001' });
    const all = await spokelink(['audit', '--all', '--local', '--run-dir', saved, '--json']);
    expect(oneDocument(all)).toMatchObject({ executions: expect.any(Array) });
  });
});
