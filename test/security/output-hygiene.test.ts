import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvCell, escapeControl } from '#shared/display';
import { main } from '../../cli/main';

/**
 * Attack: an app team puts terminal escape sequences (ESC [2J clears the screen, ESC ]0; sets the window title) and a
 * right-to-left override (U+202E) in tag values, so that whoever reads `simulate`, `audit` or `chargeback` output sees
 * something else than what is there, and a leading `=` so that the CSV runs a formula in a spreadsheet. Every human
 * output shows them escaped instead.
 */

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, 'config/example.hub.json');
const ESC = '\u001b';
const RLO = '\u202e';
const NAME = `analytics${ESC}[2J${RLO}ved`;
const SERVICES = `ssm${ESC}]0;pwned\u0007`;

/** Characters that must never reach an output raw (a sample of each class escapeControl covers). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for raw control characters.
const RAW = /[\u001b\u0007\u0085\u009b\u202a-\u202e\u2066-\u2069]/;

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr, all: stdout + stderr };
}

describe('Security: control and bidi characters in tag values never reach an output raw', () => {
  let dir: string;
  let runDir: string;
  let world: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spokelink-hygiene-'));
    runDir = join(dir, 'run');
    const raw = JSON.parse(readFileSync(join(ROOT, 'worlds/example.world.json'), 'utf8')) as {
      ec2: { vpcs: { id: string; tags: Record<string, string> }[] };
    };
    for (const vpc of raw.ec2.vpcs) {
      // The analytics VPC connects under a hostile Name; the ledger VPC asks with hostile services (rejected).
      if (vpc.id === 'vpc-0b300000000000001') vpc.tags.Name = NAME;
      if (vpc.id === 'vpc-0a200000000000002') vpc.tags['spokelink:services'] = SERVICES;
      if (vpc.id === 'vpc-0d500000000000001') vpc.tags['spokelink:segment'] = `=HYPERLINK("http://x")${RLO}`;
    }
    world = join(dir, 'hostile.world.json');
    writeFileSync(world, JSON.stringify(raw));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('escapes every control and bidi character, keeping tabs and newlines', () => {
    expect(escapeControl(`a${ESC}[31mb${RLO}c\u2066d\u0085e\u009bf\tg\nh\r`)).toBe(
      'a\\u001b[31mb\\u202ec\\u2066d\\u0085e\\u009bf\tg\nh\\u000d',
    );
    // The escapes keep a JSON document valid and equal in value.
    const doc = JSON.stringify({ name: NAME, rlo: `x${RLO}` });
    expect(JSON.parse(escapeControl(doc))).toEqual({ name: NAME, rlo: `x${RLO}` });
    expect(escapeControl(doc)).not.toMatch(RAW);
  });

  it('guards CSV cells against formulas and escapes them, leaving numbers as numbers', () => {
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('+cmd')).toBe("'+cmd");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell(`x${RLO},y`)).toBe('"x\\u202e,y"');
    expect(csvCell(-2)).toBe('-2');
    expect(csvCell(undefined)).toBe('');
  });

  it('simulate, audit (text, JSON, CSV) and chargeback show the hostile values escaped', async () => {
    const simulate = await cli('simulate', '--config', CONFIG, '--world', world, '--save', runDir);
    expect(simulate.code).toBe(0);
    const auditText = await cli('audit', '--all', '--local', '--run-dir', runDir);
    const auditCsv = await cli('audit', '--all', '--csv', '--local', '--run-dir', runDir);
    const auditJson = await cli('audit', 'vpc-0b300000000000001', '--json', '--local', '--run-dir', runDir);
    const month = new Date().toISOString().slice(0, 7);
    const chargeback = await cli('chargeback', '--month', month, '--local', '--run-dir', runDir, '--csv', '-');
    for (const out of [simulate, auditText, auditCsv, auditJson, chargeback]) {
      expect(out.all).not.toMatch(RAW);
    }
    // The values were shown (escaped), not dropped: the test reads the outputs that carry them.
    expect(simulate.all).toContain('\\u001b');
    expect(auditCsv.stdout).toContain('\\u202e');
    // No cell starts a formula.
    expect(auditCsv.stdout).not.toMatch(/(^|,)"?[=+@]/m);
    // The JSON document is still one valid document.
    expect(() => JSON.parse(auditJson.stdout)).not.toThrow();
  });
});
