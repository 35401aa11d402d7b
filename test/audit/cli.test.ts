import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHub, type LocalHub } from '#local/hub';
import { loadConfigFile, registryTableName } from '#shared/config';
import { loadWorldFile } from '#twin/world';
import { executionHistory, listExecutions, stateMachines } from '../../cli/audit/reader';
import { type AuditSource, chargebackDeps, costDeps, dynamoRegistry, itemsRegistry } from '../../cli/audit/source';
import { run as audit } from '../../cli/commands/audit';
import { run as chargeback } from '../../cli/commands/chargeback';
import { run as cost } from '../../cli/commands/cost';
import { main } from '../../cli/main';
import { hubSfnClient, ROOT } from './helpers';

/**
 * `spokelink audit`, `cost --from-registry` and `chargeback` end to end against a local hub: the real workflow on the
 * twin, read through the Step Functions API and the registry table (dynalite) with the same code as in AWS, then the
 * same run saved and read back in local mode (`--local --run-dir`).
 */

const START = Date.UTC(2026, 2, 2, 9, 0, 0);
const CONNECTED = 'vpc-0b300000000000001';
const REJECTED = 'vpc-0c400000000000001'; // 10.3.0.0/16, as CONNECTED
const SECOND = 'vpc-0a200000000000002';

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function capture(fn: (io: { stdout: (t: string) => void; stderr: (t: string) => void }) => Promise<number>) {
  const out: Output = { code: -1, stdout: '', stderr: '' };
  out.code = await fn({ stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t) });
  return out;
}

describe('spokelink audit, cost and chargeback on a local hub', () => {
  let hub: LocalHub;
  let source: AuditSource;
  let saved: string;
  const startOf = new Map<string, number>();

  beforeAll(async () => {
    hub = await createLocalHub({
      config: loadConfigFile(join(ROOT, 'config/example.hub.json')),
      world: loadWorldFile(join(ROOT, 'worlds/example.world.json')),
      startTime: START,
      twinOptions: { timings: { attachmentPendingMs: 12_000, ramShareVisibilityMs: 4_000 } },
    });
    // The analytics VPC connects; 60 s later a VPC with the same CIDR asks and is rejected; then a prod VPC.
    hub.announceTags(CONNECTED);
    setTimeout(() => hub.announceTags(REJECTED), 60_000);
    setTimeout(() => hub.announceTags(SECOND), 120_000);
    const run = await hub.runUntil(() => hub.executions().length === 3 && hub.idle(), { maxVirtualMs: 3_600_000 });
    expect(run.reason).toBe('predicate');
    for (const e of hub.executions()) startOf.set(e.name.slice(0, 21), e.startDate);
    source = {
      kind: 'aws',
      label: 'local hub',
      sfn: hubSfnClient(hub),
      // The AWS reader (Query/Scan through lib-dynamodb) against the hub's registry table on dynalite.
      registry: dynamoRegistry({
        tableName: registryTableName(hub.config),
        region: hub.config.hub.region,
        endpoint: hub.dynamo.endpoint,
      }),
      machinePrefix: hub.config.prefix,
      region: hub.config.hub.region,
    };
    saved = mkdtempSync(join(tmpdir(), 'spokelink-audit-'));
    await hub.save(saved);
  });

  afterAll(async () => {
    await hub?.close();
    if (saved) rmSync(saved, { recursive: true, force: true });
  });

  const auditLive = (argv: string[]) => capture((io) => audit(argv, io, { source, now: () => hub.clock.now() }));

  describe('audit VPC_ID', () => {
    it('prints the timeline of the connected VPC: trigger, steps, the attachment the twin holds, result', async () => {
      const out = await auditLive([CONNECTED]);
      expect(out).toMatchObject({ code: 0, stderr: '' });
      const attachment = (
        hub.twin.snapshot() as { ec2: { transitGatewayAttachments: { id: string; vpcId: string }[] } }
      ).ec2.transitGatewayAttachments.find((a) => a.vpcId === CONNECTED)!;
      expect(out.stdout).toContain(`spokelink audit ${CONNECTED}\nsource    local hub\nregistry  connected since `);
      expect(out.stdout).toContain('account 333333333333 (us-east-1) changed spokelink:connect=true');
      expect(out.stdout).toContain(`+ TGW attachment ${attachment.id} (pendingAcceptance; subnets`);
      expect(out.stdout).toMatch(/12\.0s {4}✓ WaitForAttachment/);
      expect(out.stdout).toContain('result    connected (SUCCEEDED in state Connected)');
    });

    it('gives the same facts as JSON, with state transitions as the local Step Functions counts them', async () => {
      const out = await auditLive([CONNECTED, '--json']);
      expect(out.code).toBe(0);
      const json = JSON.parse(out.stdout) as {
        vpcId: string;
        registry: { sk: string; executions?: string[] }[];
        executions: {
          executionArn: string;
          outcome: { result: string };
          stateTransitions: number;
          steps: { name: string; outcome: string }[];
        }[];
      };
      expect(json.vpcId).toBe(CONNECTED);
      expect(json.executions).toHaveLength(1);
      const [execution] = json.executions;
      expect(execution!.outcome.result).toBe('connected');
      expect(execution!.stateTransitions).toBe(hub.sfn.stateTransitions(execution!.executionArn));
      expect(json.registry.find((i) => i.sk === 'CURRENT')!.executions).toEqual([execution!.executionArn]);
    });

    it('audits the rejected VPC, which has no registry record, from its execution name', async () => {
      const out = await auditLive([REJECTED]);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('registry  no current record');
      expect(out.stdout).toMatch(/reason {4}cidr-overlap: vpc-0c400000000000001 CIDR 10\.3\.0\.0\/16 overlaps/);
    });

    it('says no executions were found for an unknown VPC and exits 1', async () => {
      const out = await auditLive(['vpc-0123456789abcdef0']);
      expect(out).toMatchObject({ code: 1, stdout: '' });
      expect(out.stderr).toBe('spokelink audit: no executions found for vpc-0123456789abcdef0 (source: local hub)\n');
    });

    it('says where it looked when no state machine has the prefix (wrong region or configuration)', async () => {
      const out = await capture((io) =>
        audit([CONNECTED], io, { source: { ...source, machinePrefix: 'other' }, now: () => hub.clock.now() }),
      );
      expect(out.code).toBe(0); // still found through the registry's execution ARNs
      expect(out.stderr).toBe(
        'spokelink audit: no state machine named other-* in us-east-1: check --region, --profile and --config (prefix)\n',
      );
      expect(out.stdout).toContain('result    connected');
    });

    it('finds nothing for a VPC when --since is after its execution (exit 1)', async () => {
      const after = new Date(startOf.get(CONNECTED)! + 1).toISOString();
      const out = await auditLive([CONNECTED, '--since', after]);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(`no executions found for ${CONNECTED} since ${after}`);
    });

    it('reads the saved run through the same client code (--local) and renders the same timeline', async () => {
      const live = await auditLive([CONNECTED, '--json']);
      const local = await capture((io) => audit([CONNECTED, '--json', '--local', '--run-dir', saved], io));
      expect(local.code).toBe(0);
      const strip = (text: string) => {
        const json = JSON.parse(text) as Record<string, unknown>;
        delete json.source;
        return json;
      };
      expect(strip(local.stdout)).toEqual(strip(live.stdout));
      expect(JSON.parse(local.stdout).source).toMatch(/^last simulate run .*spokelink-audit-.* \(saved /);
    });
  });

  describe('audit --all', () => {
    it('lists every execution with its VPC, account, action and result, oldest first', async () => {
      const out = await auditLive(['--all', '--json']);
      expect(out.code).toBe(0);
      const rows = (JSON.parse(out.stdout) as { executions: { vpcId: string; account: string; result: string }[] })
        .executions;
      expect(rows.map((r) => [r.vpcId, r.account, r.result])).toEqual([
        [CONNECTED, '333333333333', 'connected'],
        [REJECTED, '444444444444', 'rejected'],
        [SECOND, '222222222222', 'connected'],
      ]);
    });

    it('selects by --since (inclusive) and --until (exclusive) at the exact start times', async () => {
      const at = (vpc: string) => new Date(startOf.get(vpc)!).toISOString();
      const vpcs = async (argv: string[]) =>
        (
          JSON.parse((await auditLive(['--all', '--json', ...argv])).stdout) as { executions: { vpcId: string }[] }
        ).executions.map((r) => r.vpcId);
      expect(await vpcs(['--since', at(REJECTED)])).toEqual([REJECTED, SECOND]);
      expect(await vpcs(['--until', at(REJECTED)])).toEqual([CONNECTED]);
      expect(await vpcs(['--since', at(REJECTED), '--until', at(SECOND)])).toEqual([REJECTED]);
      // Relative to now (the hub's clock): the run started minutes ago, nothing started after now.
      expect(await vpcs(['--since', '1h'])).toEqual([CONNECTED, REJECTED, SECOND]);
      expect(await vpcs(['--since', '0s'])).toEqual([]);
    });

    it('prints the table and the CSV for an auditor', async () => {
      const table = await auditLive(['--all', '--since', '7d']);
      expect(table.stdout).toMatch(/^source {4}local hub\n\n {2}started \(UTC\)/);
      expect(table.stdout).toContain('3 executions since 2026-02-23T');
      expect(table.stdout).toContain('(2 connected, 1 rejected)');
      const csv = await auditLive(['--all', '--csv']);
      const lines = csv.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(4);
      expect(lines[2]).toMatch(/,vpc-0c400000000000001,444444444444,onboard,SUCCEEDED,rejected,"?cidr-overlap/);
    });
  });

  describe('Step Functions reads', () => {
    it('reads a whole history page by page (nextToken), in order', async () => {
      const arn = hub.executions().find((e) => e.name.startsWith(CONNECTED))!.executionArn;
      const paged = await executionHistory(source.sfn, arn, true, 7);
      const whole = await executionHistory(source.sfn, arn, true);
      expect(paged.length).toBeGreaterThan(7 * 10);
      expect(paged).toEqual(whole);
      expect(paged.map((e) => e.id)).toEqual(whole.map((_, i) => i + 1));
    });

    it('lists executions page by page, newest first, keeping those started since --since', async () => {
      const machine = (await stateMachines(source.sfn, 'spokelink')).find((m) => m.name === 'spokelink-onboard')!;
      const all = await listExecutions(source.sfn, machine.arn, {}, 1);
      expect(all.map((e) => e.name!.slice(0, 21))).toEqual([SECOND, REJECTED, CONNECTED]);
      const recent = await listExecutions(source.sfn, machine.arn, { since: startOf.get(REJECTED)! }, 1);
      expect(recent.map((e) => e.name!.slice(0, 21))).toEqual([SECOND, REJECTED]);
    });
  });

  describe('audit argument errors (exit 2)', () => {
    it.each([
      [[], /missing VPC_ID \(or --all\)/],
      [[CONNECTED, '--all'], /--all lists every execution/],
      [['vpc-xyz'], /"vpc-xyz" is not a VPC id/],
      [[CONNECTED, SECOND], /one VPC at a time/],
      [[CONNECTED, '--csv'], /--csv is for --all/],
      [['--all', '--csv', '--json'], /--csv and --json are two formats/],
      [['--all', '--since', 'yesterday'], /--since must be a duration/],
      [['--all', '--since', '1h', '--until', '2h'], /--since .* must be before --until/],
      [[CONNECTED, '--local', '--profile', 'prod'], /--local reads the last simulate run/],
      [[CONNECTED, '--run-dir', 'x'], /--run-dir needs --local/],
      [[CONNECTED, '--region', 'mars-1'], /--region must be an AWS region/],
      [[CONNECTED, '--bogus'], /Unknown option '--bogus'/],
    ])('refuses %j', async (argv, message) => {
      const out = await auditLive(argv as string[]);
      expect(out.code).toBe(2);
      expect(out.stdout).toBe('');
      expect(out.stderr).toMatch(message);
    });

    it('says to run simulate first when --local finds no saved run', async () => {
      const out = await capture((io) => audit([CONNECTED, '--local', '--run-dir', join(saved, 'none')], io));
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/no saved run in .*: run "spokelink simulate" \(or "npm run demo"\) first/);
    });
  });

  describe('cost --from-registry and chargeback from the registry', () => {
    const month = '2026-03';

    it('prices the connected VPCs of the registry table (AWS path: Scan through lib-dynamodb)', async () => {
      // The hub points the SDK at dynalite (AWS_ENDPOINT_URL_DYNAMODB), so the default reader needs no test hook.
      const { argv, deps } = costDeps(['--from-registry', '--azs', '2', '--gb', '10', '--json']);
      const out = await capture((io) => cost(argv, io, deps));
      expect(out.code).toBe(0);
      const json = JSON.parse(out.stdout) as {
        derivedFrom: { vpcs: number; accounts: number; serviceNames: string[] };
      };
      expect(json.derivedFrom).toMatchObject({ vpcs: 2, accounts: 2, serviceNames: ['secretsmanager', 'ssm', 'sts'] });
    });

    it('charges the month back to the connected VPCs from the registry table', async () => {
      const { argv, deps } = chargebackDeps(['--month', month, '--json']);
      const out = await capture((io) => chargeback(argv, io, deps));
      expect(out.code).toBe(0);
      const json = JSON.parse(out.stdout) as {
        summary: { totalUsd: number; allocatedUsd: number; byVpc: { vpcId: string; accountId: string }[] };
      };
      expect(json.summary.byVpc.map((v) => [v.vpcId, v.accountId]).sort()).toEqual(
        [
          [CONNECTED, '333333333333'],
          [SECOND, '222222222222'],
        ].sort(),
      );
      expect(json.summary.allocatedUsd).toBe(json.summary.totalUsd);
    });

    it('reads the same registry from the saved run with --local (through the CLI entry)', async () => {
      const fromTable = await capture(async (io) => {
        const { argv, deps } = costDeps(['--from-registry', '--azs', '2', '--gb', '10', '--json']);
        return cost(argv, io, deps);
      });
      const fromRun = await capture((io) =>
        main(['cost', '--from-registry', '--local', '--run-dir', saved, '--azs', '2', '--gb', '10', '--json'], io),
      );
      expect(fromRun.code).toBe(0);
      expect(JSON.parse(fromRun.stdout)).toEqual(JSON.parse(fromTable.stdout));
      const charged = await capture((io) => main(['chargeback', '--month', month, '--local', '--run-dir', saved], io));
      expect(charged.code).toBe(0);
      expect(charged.stdout).toContain(CONNECTED);
      expect(charged.stdout).toContain(SECOND);
    });

    it('leaves leases and CIDR claims out of the records (Scan filter)', async () => {
      const reader = dynamoRegistry({
        tableName: registryTableName(hub.config),
        region: hub.config.hub.region,
        endpoint: hub.dynamo.endpoint,
      });
      const all = await hub.registry();
      expect(all.some((i) => String(i.pk).startsWith('CIDR#'))).toBe(true);
      const records = await reader.consumerRecords(true);
      expect(records.map((r) => r.sk)).toEqual(['CURRENT', 'CURRENT']);
      const same = await itemsRegistry(all, 'scan').consumerRecords(true);
      expect(same.map((r) => r.vpcId).sort()).toEqual(records.map((r) => r.vpcId).sort());
    });

    it.each([
      [['cost', '--local', '--vpcs', '3', '--services', '2', '--azs', '2', '--gb', '1'], /add --from-registry/],
      [['cost', '--from-registry', '--registry-file', 'x.json', '--local'], /--registry-file and --local name two/],
      [['chargeback', '--month', month, '--run-dir', 'x'], /--run-dir needs --local/],
      [['chargeback', '--month', month, '--local', '--region', 'us-east-1'], /--local reads the last simulate run/],
      [['chargeback', '--month', month, '--profile'], /--profile needs a value/],
    ])('refuses %j with exit 2', async (argv, message) => {
      const out = await capture((io) => main(argv as string[], io));
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(message);
    });

    it('says to run simulate first when --local has no saved registry', async () => {
      const out = await capture((io) =>
        main(['chargeback', '--month', month, '--local', '--run-dir', join(saved, 'none')], io),
      );
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/no saved registry at .*registry\.json: run "spokelink simulate"/);
    });
  });
});
