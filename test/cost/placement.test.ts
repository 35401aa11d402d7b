import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '#shared/config';
import { run } from '../../cli/commands/cost';
import { defaultPriceTable } from '../../cli/cost/cost';
import type { RegistryRecord } from '../../cli/cost/inputs';
import { BYTE_SOURCE, placementRecommendations } from '../../cli/cost/placement';
import { capture } from './capture';

/**
 * `spokelink cost --from-registry`: a placement per VPC and service with the monthly saving of each move, from a
 * stated pro-rata split of the attachment bytes (us-east-1: endpoint $0.01 per AZ-hour x 730 h, TGW $0.02/GB).
 */

const config = loadConfigFile('config/example.hub.json');
const connected = { accountId: '222222222222', segment: 'prod', status: 'connected' as const };
const HEAVY = 'vpc-0a200000000000001';
const LIGHT = 'vpc-0a200000000000002';
const LOCAL_LIGHT = 'vpc-0b300000000000001';
const records: RegistryRecord[] = [
  // 2,000 GB over ssm and sts: 1,000 GB each.
  { ...connected, vpcId: HEAVY, services: ['ssm', 'sts'], attachmentSubnetIds: ['subnet-a', 'subnet-b'] },
  { ...connected, vpcId: LIGHT, services: ['ssm', 'sts'], attachmentSubnetIds: ['subnet-c', 'subnet-d'] },
  // sts in the VPC already, with little traffic; secretsmanager served by the VPC itself (not spokelink's to place).
  {
    ...connected,
    vpcId: LOCAL_LIGHT,
    services: ['secretsmanager', 'ssm', 'sts'],
    localServices: ['sts'],
    selfServed: ['secretsmanager'],
    attachmentSubnetIds: ['subnet-e', 'subnet-f'],
  },
  { ...connected, vpcId: 'vpc-0c400000000000001', services: ['sts'], status: 'disconnected' },
];
const attachmentGb = { [HEAVY]: 2_000, [LIGHT]: 10 };

describe('Function: placementRecommendations', () => {
  const advice = placementRecommendations({
    records,
    config,
    prices: defaultPriceTable(),
    attachmentGb,
    defaultGb: 4,
    defaultAzs: 3,
  });
  const of = (vpcId: string, service: string) => advice.find((r) => r.vpcId === vpcId && r.service === service);

  it('moves a heavy VPC to its own endpoint where the catalog allows it, with the saving computed by hand', () => {
    // hub: 1,000 GB x $0.02 = $20.00; spoke: 2 AZ x $0.01 x 730 h = $14.60; saving $5.40.
    expect(of(HEAVY, 'sts')).toMatchObject({
      current: 'hub',
      allowed: 'either',
      gbPerMonth: 1_000,
      hubUsd: 20,
      spokeUsd: 14.6,
      recommended: 'spoke',
      savingUsd: 5.4,
    });
    // ssm is hub-only in the catalog: cheaper in the spoke, but not recommended there, and the note says why.
    expect(of(HEAVY, 'ssm')).toMatchObject({ recommended: 'hub', savingUsd: 0, note: expect.stringContaining('hub') });
  });

  it('keeps a light VPC on the hub and moves a light local service back to it', () => {
    // 10 GB / 2 = 5 GB: $0.10 on the hub against $14.60 in the spoke.
    expect(of(LIGHT, 'sts')).toMatchObject({ current: 'hub', hubUsd: 0.1, recommended: 'hub', savingUsd: 0 });
    // 4 GB (default) over its one hub service: 4 GB share, $0.08 against $14.60: move back saves $14.52.
    expect(of(LOCAL_LIGHT, 'sts')).toMatchObject({ current: 'spoke', recommended: 'hub', savingUsd: 14.52 });
  });

  it('leaves out services the VPC serves itself, and VPCs that are not connected', () => {
    expect(of(LOCAL_LIGHT, 'secretsmanager')).toBeUndefined();
    expect(advice.filter((r) => r.vpcId === 'vpc-0c400000000000001')).toEqual([]);
  });
});

describe('Command: spokelink cost --from-registry, placement', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spokelink-placement-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const registry = file('registry.json', records);
  const gb = file('attachment-gb.json', attachmentGb);
  const base = ['--from-registry', '--registry-file', registry, '--azs', '2', '--gb', '4', '--attachment-gb', gb];

  it('prints the advice per VPC and service, the moves first, with the byte source and its error', async () => {
    const c = capture();
    expect(await run(base, c.io)).toBe(0);
    const text = c.stdout();
    expect(text).toContain('Placement per VPC and service (2 move(s), $19.92/month in all):');
    expect(text).toMatch(new RegExp(`${LOCAL_LIGHT} +sts +spoke .*move to the hub +\\$14\\.52`));
    expect(text).toMatch(new RegExp(`${HEAVY} +sts +hub .*move to the spoke +\\$5\\.40`));
    expect(text).toContain(`Bytes: ${BYTE_SOURCE.name}.`);
    expect(text).toContain('Error: The attachment also carries traffic');
  });

  it('with --json prints exactly one JSON document holding the recommendations and the byte source', async () => {
    const c = capture();
    expect(await run([...base, '--json'], c.io)).toBe(0);
    const doc = JSON.parse(c.stdout()) as { placement: { byteSource: unknown; recommendations: unknown[] } };
    expect(doc.placement.byteSource).toEqual(BYTE_SOURCE);
    expect(doc.placement.recommendations).toHaveLength(6);
    expect(c.stderr()).toBe('');
  });

  it('refuses an attachment file that is not VPC id -> GB, naming the entry, and prints nothing on stdout', async () => {
    const c = capture();
    const bad = file('bad.json', { [HEAVY]: '2000' });
    const code = await run([...base.slice(0, -1), bad], c.io);
    expect(code).toBe(2);
    expect(c.stderr()).toContain(`${HEAVY} must be a number of GB >= 0, not "2000"`);
    expect(c.stdout()).toBe('');
  });

  it('refuses --attachment-gb without a registry or world', async () => {
    const c = capture();
    expect(await run(['--vpcs', '3', '--services', '2', '--azs', '2', '--gb', '1', '--attachment-gb', gb], c.io)).toBe(
      2,
    );
    expect(c.stderr()).toContain('--attachment-gb needs --from-registry or --from-world');
  });
});
