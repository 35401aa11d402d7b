import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createLocalHub, type LocalHub } from '#local/hub';
import { hubAttachmentLimitsOf } from '#shared/attachment-quota';
import { loadConfigFile, registryTableName } from '#shared/config';
import { RegistrySchemaError } from '#shared/errors';
import { getRecord, type RegistryTable } from '#shared/registry';
import { migrateRegistry, REGISTRY_SCHEMA_VERSION } from '#shared/registry/schema';
import { ec2State } from '#twin/services/ec2/model';
import { expectCalledOnFullPath } from '../sdk-path';
import { advance, registryOf, runReconcile, settle, statusOf } from './helpers';
import { releaseRegistry, releaseWorld } from './upgrade-world';

/**
 * An upgrade from the last release before the current design (commit 93dae39): its registry (records of schema 1)
 * and the AWS state it left (its VPCs routed back by TGW route propagation), as that release's own demo run wrote
 * them (fixtures/release-93dae39/). `spokelink migrate` brings the registry to the current schema; the reconcile
 * re-plans the migrated VPCs (static return routes instead of propagation); then onboarding, a change, an offboarding
 * and a reconcile run on the upgraded hub as on a new one.
 */

const START = Date.UTC(2026, 11, 1, 9, 0, 0);
const PAYMENTS = 'vpc-0a200000000000001';
const LEDGER = 'vpc-0a200000000000002';
const REPORTING = 'vpc-0c400000000000001';
const PARTNER = 'vpc-0d500000000000001';
const SANDBOX = 'vpc-0b300000000000002';
const SHARED_TABLE = 'tgw-rtb-0c000000000000003';
const MEMBERS = [PAYMENTS, LEDGER, REPORTING, PARTNER];

const CONFIG = 'config/example.hub.json';
const HUBS = hubAttachmentLimitsOf(loadConfigFile(CONFIG));

async function upgradedHub(): Promise<{ hub: LocalHub; table: RegistryTable }> {
  const config = loadConfigFile(CONFIG);
  const hub = await createLocalHub({ config, world: releaseWorld(), startTime: START });
  const table = { dynamo: DynamoDBDocumentClient.from(hub.dynamo.client()), tableName: registryTableName(config) };
  for (const item of releaseRegistry())
    await table.dynamo.send(new PutCommand({ TableName: table.tableName, Item: item }));
  return { hub, table };
}

interface TgwSnapshot {
  ec2: {
    transitGateways: {
      routeTables: {
        id: string;
        propagations: { attachmentId: string; state: string }[];
        routes: { cidr: string; attachmentId?: string; type: string; state: string }[];
      }[];
    }[];
    transitGatewayAttachments: { id: string; vpcId: string; state: string }[];
  };
}

/** A hub TGW route table as the twin shows it: the attachments propagating into it, and its routes. */
function tgwTable(hub: LocalHub, id: string) {
  const snapshot = hub.twin.snapshot() as unknown as TgwSnapshot;
  return snapshot.ec2.transitGateways[0]!.routeTables.find((t) => t.id === id)!;
}

const attachmentOf = (hub: LocalHub, vpcId: string) =>
  (hub.twin.snapshot() as unknown as TgwSnapshot).ec2.transitGatewayAttachments.find(
    (a) => a.vpcId === vpcId && a.state === 'available',
  )?.id;

describe('Lifecycle: upgrading a hub from the release of 93dae39', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('migrates its registry, re-plans its VPCs onto static routes, and onboards, changes, offboards and reconciles', async () => {
    let table: RegistryTable;
    ({ hub, table } = await upgradedHub());
    const before = await hub.registry();
    expect(before.filter((i) => i.sk === 'CURRENT').every((i) => i.schemaVersion === undefined)).toBe(true);

    // A dry run reports and writes nothing.
    const dry = await migrateRegistry(table, { dryRun: true, now: START, hubs: HUBS });
    expect(dry.found).toEqual({ 1: 4 });
    expect(dry.migrated).toHaveLength(4);
    expect(dry.replans).toEqual([...MEMBERS].sort());
    expect(dry.attachmentSlots.transitGateways.map((t) => t.added.map((a) => a.vpcId))).toEqual([[...MEMBERS].sort()]);
    expect(await hub.registry()).toEqual(before);

    const migrated = await migrateRegistry(table, { dryRun: false, now: START, hubs: HUBS });
    expect(migrated.migrated.map((m) => m.vpcId).sort()).toEqual([...MEMBERS].sort());
    for (const vpcId of MEMBERS) {
      expect((await registryOf(hub, vpcId)).CURRENT).toMatchObject({
        schemaVersion: REGISTRY_SCHEMA_VERSION,
        endpointConnections: [],
        quarantine: [],
        upgradedFrom: 1,
      });
    }
    // Idempotent: a second run finds everything current.
    const again = await migrateRegistry(table, { dryRun: false, now: START, hubs: HUBS });
    expect(again).toMatchObject({ migrated: [], alreadyCurrent: 4, found: { 2: 4 } });
    // The release's connected VPCs hold their attachment slots, each added once.
    expect(migrated.attachmentSlots.transitGateways).toMatchObject([{ spokeVpcs: 4, held: 0, overQuota: false }]);
    expect(again.attachmentSlots.transitGateways).toMatchObject([{ added: [], held: 4, spokeVpcs: 4 }]);

    // The reconcile re-plans the migrated members: propagation replaced by static routes for the claimed CIDRs.
    const partnerAttachment = attachmentOf(hub, PARTNER)!;
    expect(tgwTable(hub, SHARED_TABLE).propagations.map((p) => p.attachmentId)).toContain(partnerAttachment);
    const run = await runReconcile(hub);
    expect(run.summary.onboard).toBeGreaterThanOrEqual(4);
    for (const vpcId of MEMBERS) {
      expect(statusOf(hub, vpcId).status).toBe('connected');
      expect((await registryOf(hub, vpcId)).CURRENT!.upgradedFrom).toBeUndefined();
    }
    await advance(hub, 60_000); // AWS takes a moment to disable a propagation (`disabling`)
    const shared = tgwTable(hub, SHARED_TABLE);
    const spokeAttachments = MEMBERS.map((vpcId) => attachmentOf(hub, vpcId));
    expect(shared.propagations.filter((p) => spokeAttachments.includes(p.attachmentId))).toEqual([]);
    expect(
      shared.routes
        .filter((r) => r.type === 'static' && spokeAttachments.includes(r.attachmentId))
        .map((r) => r.cidr)
        .sort(),
    ).toEqual(['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.5.0.0/16']);

    // A change: Payments now names the endpoint service by its catalog name as well.
    await hub.tagVpc(PAYMENTS, { 'spokelink:services': 'ssm,secretsmanager,sts,payments-api' });
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect((await registryOf(hub, PAYMENTS)).CURRENT!.services).toEqual(
      expect.arrayContaining(['payments-api', 'sts']),
    );

    // A new onboarding beside the upgraded members.
    await hub.tagVpc(SANDBOX, { 'spokelink:connect': 'true' });
    await settle(hub);
    expect(statusOf(hub, SANDBOX).status).toBe('connected');

    // An offboarding of a member the old release onboarded: everything it recorded goes.
    await hub.untagVpc(PARTNER, ['spokelink:connect']);
    await settle(hub);
    expect(statusOf(hub, PARTNER).status).toBe('disconnected');
    expect(attachmentOf(hub, PARTNER)).toBeUndefined();
    expect(ec2State(hub.twin).endpointServices['vpce-svc-0d000000000000001']!.allowedPrincipals).not.toContainEqual(
      expect.objectContaining({ principal: 'arn:aws:iam::555555555555:root' }),
    );
    expect((await registryOf(hub, PARTNER)).CURRENT).toMatchObject({ status: 'disconnected', schemaVersion: 2 });

    // Converged: a reconcile finds nothing more to do for the members.
    const last = await runReconcile(hub);
    expect(last.results.filter((r) => MEMBERS.includes(String(r.vpcId)))).toEqual([]);
    expect(last.summary.onboard).toBe(0);
    // The re-plan's removals, through the full SDK path (test/infra/permissions-coverage.test.ts).
    expectCalledOnFullPath(hub, ['ec2:DisableTransitGatewayRouteTablePropagation', 'ram:DisassociateResourceShare']);
  });

  it('refuses a record written by a newer spokelink, in the workflows and in migrate, and writes nothing', async () => {
    let table: RegistryTable;
    ({ hub, table } = await upgradedHub());
    const future = { ...releaseRegistry().find((i) => i.pk === `VPC#${LEDGER}` && i.sk === 'CURRENT')! };
    future.schemaVersion = REGISTRY_SCHEMA_VERSION + 1;
    await table.dynamo.send(new PutCommand({ TableName: table.tableName, Item: future }));
    const before = await hub.registry();

    await expect(getRecord(table, LEDGER)).rejects.toThrow(RegistrySchemaError);
    await expect(migrateRegistry(table, { dryRun: false, now: START, hubs: HUBS })).rejects.toThrow(
      /has registry schema 3, newer than this spokelink's \(2\): deploy the spokelink release that wrote it/,
    );
    expect(await hub.registry()).toEqual(before);
  });
});
