import { parseExecution } from '../../cli/audit/history';
import {
  type ExecutionSummary,
  inWindow,
  parseTimeFlag,
  resultCounts,
  summarize,
  TimeFlagError,
  toCsv,
} from '../../cli/audit/list';
import { renderExecutionTable } from '../../cli/audit/render';
import { loadHistoryFixture } from './helpers';

const NOW = Date.UTC(2026, 2, 9, 12, 0, 0);

describe('Audit --since/--until values', () => {
  it('reads durations back from now', () => {
    expect(parseTimeFlag('7d', NOW, '--since')).toBe(NOW - 7 * 86_400_000);
    expect(parseTimeFlag('12h', NOW, '--since')).toBe(NOW - 12 * 3_600_000);
    expect(parseTimeFlag('30m', NOW, '--since')).toBe(NOW - 30 * 60_000);
    expect(parseTimeFlag('2w', NOW, '--since')).toBe(NOW - 14 * 86_400_000);
    expect(parseTimeFlag('0d', NOW, '--until')).toBe(NOW);
  });

  it('reads a date as midnight UTC and an ISO date-time with its offset', () => {
    expect(parseTimeFlag('2026-03-01', NOW, '--since')).toBe(Date.UTC(2026, 2, 1));
    expect(parseTimeFlag('2026-03-01T09:30:00Z', NOW, '--since')).toBe(Date.UTC(2026, 2, 1, 9, 30));
    expect(parseTimeFlag('2026-03-01T09:30:00+02:00', NOW, '--since')).toBe(Date.UTC(2026, 2, 1, 7, 30));
  });

  it('refuses durations without a unit, unknown units and local times without an offset, naming the flag', () => {
    for (const bad of ['7', '7y', '-1d', 'yesterday', '2026-03-01T09:30:00', '2026-13-45', '']) {
      expect(() => parseTimeFlag(bad, NOW, '--since')).toThrow(TimeFlagError);
    }
    expect(() => parseTimeFlag('7x', NOW, '--until')).toThrow(/^--until must be .*not "7x"$/);
  });
});

describe('Audit time window', () => {
  const since = Date.UTC(2026, 2, 2, 9, 0, 0);
  const until = Date.UTC(2026, 2, 3, 9, 0, 0);

  it('includes an execution started exactly at --since and excludes one a millisecond earlier', () => {
    expect(inWindow(new Date(since), { since })).toBe(true);
    expect(inWindow(new Date(since - 1), { since })).toBe(false);
  });

  it('excludes an execution started exactly at --until and includes one a millisecond earlier', () => {
    expect(inWindow(new Date(until), { since, until })).toBe(false);
    expect(inWindow(new Date(until - 1), { since, until })).toBe(true);
  });

  it('is open on a side without a bound', () => {
    expect(inWindow(new Date(0), {})).toBe(true);
    expect(inWindow(new Date(0), { until })).toBe(true);
    expect(inWindow(new Date(8.64e15), { since })).toBe(true);
  });
});

describe('Audit --all rows', () => {
  const rows = ['connected', 'rejected', 'failed', 'cloudtrail-created'].map((name) => {
    const fixture = loadHistoryFixture(name);
    return summarize(parseExecution(fixture.execution, fixture.events));
  });

  it('gives each execution its VPC, account, action, result and reason', () => {
    expect(rows.map((r) => [r.vpcId, r.account, r.action, r.status, r.result])).toEqual([
      ['vpc-0b300000000000001', '333333333333', 'onboard', 'SUCCEEDED', 'connected'],
      ['vpc-0b300000000000002', '333333333333', 'onboard', 'SUCCEEDED', 'rejected'],
      ['vpc-0a200000000000001', '222222222222', 'onboard', 'FAILED', 'failed'],
      ['vpc-0d500000000000001', '555555555555', 'onboard', 'SUCCEEDED', 'connected'],
    ]);
    expect(rows[1]!.reason).toBe('account-not-allowed: account 333333333333 may not use segment prod');
    expect(rows[3]).toMatchObject({
      trigger: 'CreateVpc by arn:aws:sts::555555555555:assumed-role/partner-admin/maria',
      principal: 'arn:aws:sts::555555555555:assumed-role/partner-admin/maria',
    });
    expect(rows[0]!.trigger).toBe('tags changed in account 333333333333: spokelink:connect=true');
  });

  it('counts results, most frequent first', () => {
    expect(resultCounts(rows)).toBe('2 connected, 1 failed, 1 rejected');
  });

  it('writes CSV with a header, quoting commas and quotes, and defusing spreadsheet formulas', () => {
    const row: ExecutionSummary = {
      ...rows[0]!,
      reason: 'says "no", twice',
      trigger: '=HYPERLINK("http://example.com")',
    };
    const [header, line] = toCsv([row]).trimEnd().split('\n');
    expect(header).toBe(
      'startDate,stopDate,durationMs,vpcId,account,action,status,result,reason,retries,trigger,principal,name,executionArn',
    );
    expect(line).toContain(',"says ""no"", twice",');
    expect(line).toContain(',"\'=HYPERLINK(""http://example.com"")",');
    expect(line!.startsWith('2026-03-02T09:00:00.000Z,2026-03-02T09:00:16.634Z,16634,vpc-0b300000000000001,')).toBe(
      true,
    );
  });

  it('prints the table with the source and the window, and a count line', () => {
    const text = renderExecutionTable(rows, { source: 'test', window: 'since 2026-03-01T00:00:00.000Z' });
    const lines = text.split('\n');
    expect(lines[0]).toBe('source    test');
    expect(lines[2]).toMatch(/^ {2}started \(UTC\) +vpc +account +action +status +result +took +retries +reason$/);
    expect(lines[3]).toMatch(
      /^ {2}2026-03-02 09:00:00Z +vpc-0b300000000000001 +333333333333 +onboard +SUCCEEDED +connected +16\.6s +7$/,
    );
    expect(text).toContain('4 executions since 2026-03-01T00:00:00.000Z (2 connected, 1 failed, 1 rejected)');
    expect(renderExecutionTable([], { source: 'test', window: 'since x' })).toBe(
      'source    test\n\n0 executions since x\n',
    );
  });
});
