import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWorldFile } from '#twin/world';
import { parseEventsFile, taggedVpcs } from '../../cli/commands/simulate';
import { main } from '../../cli/main';

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, 'config/example.hub.json');
const WORLD = join(ROOT, 'worlds/example.world.json');

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('spokelink CLI', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spokelink-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the commands for --help and exits 0', async () => {
    const { code, stdout } = await cli('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/usage: spokelink <command>/);
    expect(stdout).toMatch(/simulate .*\n.*cost .*\n.*chargeback/);
  });

  it('exits 2 with the usage when no command is given', async () => {
    const { code, stderr } = await cli();
    expect(code).toBe(2);
    expect(stderr).toMatch(/usage: spokelink/);
  });

  it('names an unknown command and exits 2', async () => {
    const { code, stderr } = await cli('simualte');
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /unknown command "simualte" \(commands: simulate, cost, chargeback, audit, approve, deny, plan, preflight, migrate\)/,
    );
  });

  it('shows the help of a command', async () => {
    const { code, stdout } = await cli('help', 'simulate');
    expect(code).toBe(0);
    expect(stdout).toMatch(/--world FILE/);
  });

  it('names an unknown simulate flag and exits 2', async () => {
    const { code, stderr } = await cli('simulate', '--wrold', WORLD);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown option '--wrold'/);
  });

  it('refuses a world that fails validation with the bad field, exit 2, nothing run', async () => {
    const bad = join(dir, 'bad.world.json');
    writeFileSync(
      bad,
      JSON.stringify({ version: 1, ec2: { vpcs: [{ id: 'vpc-nothex', ownerId: '1', cidrBlocks: [] }] } }),
    );
    const save = join(dir, 'run');

    const { code, stderr } = await cli('simulate', '--config', CONFIG, '--world', bad, '--save', save);

    expect(code).toBe(2);
    expect(stderr).toMatch(/ec2\.vpcs\.0\.id: must look like vpc-/);
    expect(stderr).toMatch(/ec2\.vpcs\.0\.ownerId/);
    expect(existsSync(save)).toBe(false);
  });

  it('refuses a configuration that fails validation, exit 2, nothing run', async () => {
    const bad = join(dir, 'bad.hub.json');
    writeFileSync(bad, JSON.stringify({ version: 1, hub: { accountId: 'x' } }));
    const save = join(dir, 'run');

    const { code, stderr } = await cli('simulate', '--config', bad, '--world', WORLD, '--save', save);

    expect(code).toBe(2);
    expect(stderr).toMatch(/hub\.accountId: must be a 12-digit AWS account id/);
    expect(existsSync(save)).toBe(false);
  });

  it('refuses a bad --clock value', async () => {
    const { code, stderr } = await cli('simulate', '--config', CONFIG, '--world', WORLD, '--clock', 'fast');
    expect(code).toBe(2);
    expect(stderr).toMatch(/--clock must be "virtual" or "real"/);
  });
});

describe('simulate inputs', () => {
  it('reads events as a JSON array or one JSON object per line', () => {
    expect(parseEventsFile('[{"id":"a"},{"id":"b"}]', 'e.json')).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(parseEventsFile('{"id":"a"}\n\n{"id":"b"}\n', 'e.ndjson')).toEqual([{ id: 'a' }, { id: 'b' }]);
  });

  it('names the line of a broken event and refuses non-objects', () => {
    expect(() => parseEventsFile('{"id":"a"}\n{oops', 'e.ndjson')).toThrow(/e\.ndjson line 2 is not valid JSON/);
    expect(() => parseEventsFile('[1]', 'e.json')).toThrow(/event 1 is not a JSON object/);
  });

  it('announces exactly the VPCs of the example world that carry request tags', () => {
    expect(taggedVpcs(loadWorldFile(WORLD))).toEqual([
      'vpc-0a200000000000001',
      'vpc-0a200000000000002',
      'vpc-0b300000000000001',
      'vpc-0c400000000000001',
      'vpc-0c400000000000002',
      'vpc-0d500000000000001',
    ]);
  });
});
