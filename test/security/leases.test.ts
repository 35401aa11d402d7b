import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { LocalHub } from '#local/hub';
import { LeaseLostError, VpcBusyError } from '#shared/errors';
import type { LeaseFence } from '#shared/plan';
import {
  acquireLease,
  beginOnboarding,
  claimCidrs,
  getRecord,
  heldRegistry,
  LEASE_TTL_SECONDS,
  markConnected,
  mergeIntoRecord,
  type RegistryTable,
  readClaimBucket,
  registryTable,
  renewLease,
} from '#shared/registry';
import { main } from '../../cli/main';
import { setStatus } from '../../functions/status/status';
import { examplePlan } from '../functions/plan-fixture';
import { ANALYTICS, lifecycleHub, lifecycleWorld, START } from '../lifecycle/helpers';

// Races on the VPC lease (docs/lifecycle.md, "Leases and fencing"): what decides reachability is read under the lease,
// a live holder keeps it, a holder that lost it writes nothing, and no older execution overwrites a newer status.

const ROOT = join(__dirname, '..', '..');
const VPC = examplePlan().vpcId;
const lease = (table: RegistryTable, owner: string, now: number, isOwnerLive = async () => true) =>
  acquireLease(table, { vpcId: VPC, owner, now, ttlSeconds: LEASE_TTL_SECONDS, isOwnerLive });
const fenceOf = (l: { vpcId: string; owner: string; token: number }): LeaseFence => ({
  vpcId: l.vpcId,
  owner: l.owner,
  token: l.token,
});

describe('Security: a request withdrawn while an earlier onboarding runs is never carried out', () => {
  // The tenant connects, widens the request 10 s later (that onboarding waits for the VPC's lease) and withdraws it
  // 10 s after that, while the first onboarding still waits for its attachment. Whichever execution gets the lease
  // next, nothing may reconnect the VPC: the scenario, timed with `at`, on several seeds (retry jitter differs).
  const dir = mkdtempSync(join(tmpdir(), 'spokelink-race-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'world.json'), JSON.stringify(lifecycleWorld()));
  writeFileSync(
    join(dir, 'race.json'),
    JSON.stringify({
      steps: [
        { do: 'tag', vpc: ANALYTICS, tags: { 'spokelink:connect': 'true' } },
        { do: 'tag', vpc: ANALYTICS, tags: { 'spokelink:services': 'ssm' }, at: 10 },
        { do: 'expect', vpc: ANALYTICS, status: 'onboarding', at: 5, note: 'the attachment is still pending' },
        { do: 'untag', vpc: ANALYTICS, keys: ['spokelink:connect'], at: 5 },
        { do: 'expect', vpc: ANALYTICS, status: 'disconnected', registry: 'disconnected' },
      ],
    }),
  );

  it.each([1, 2, 3, 4, 5, 6])('seed %i: ends disconnected', async (seed) => {
    const out = { stdout: '', stderr: '' };
    const io = {
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    };
    const code = await main(
      [
        'simulate',
        '--quiet',
        '--save',
        'none',
        '--seed',
        String(seed),
        '--config',
        join(ROOT, 'config', 'example.hub.json'),
        '--world',
        join(dir, 'world.json'),
        '--scenario',
        join(dir, 'race.json'),
      ],
      io,
    );
    expect(out.stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('Security: leases are renewed by their holder and fence every registry write', () => {
  let hub: LocalHub;
  let table: RegistryTable;
  beforeEach(async () => {
    // The real clock: these calls go straight to the registry, with no execution to drive.
    hub = await lifecycleHub({ clock: 'real' });
    table = registryTable(hub.config);
  });
  afterEach(() => hub?.close());

  it('a holder that keeps working keeps its lease past any number of TTLs: nobody takes it over', async () => {
    const a = await lease(table, 'arn:exec-a', START);
    let now = START;
    for (let step = 0; step < 6; step++) {
      now += (LEASE_TTL_SECONDS - 60) * 1000;
      await heldRegistry(table, fenceOf(a), now); // each step of the holder renews first
    }
    await expect(lease(table, 'arn:exec-b', now + 30_000)).rejects.toBeInstanceOf(VpcBusyError);
    // A holder that stopped running is taken over at once, renewed or not.
    await expect(lease(table, 'arn:exec-b', now + 30_000, async () => false)).resolves.toMatchObject({
      owner: 'arn:exec-b',
      token: a.token + 1,
    });
  });

  it('after a takeover, nothing the earlier holder still sends lands: renewal and record writes fail with LeaseLostError', async () => {
    const plan = examplePlan();
    const a = await lease(table, 'arn:exec-a', START);
    const asA = await heldRegistry(table, fenceOf(a), START);
    await beginOnboarding(asA, plan, 'arn:exec-a', START);

    // A stalls past the TTL (a Lambda that hangs): B takes the expired lease over without asking.
    const later = START + (LEASE_TTL_SECONDS + 1) * 1000;
    const b = await lease(table, 'arn:exec-b', later);
    expect(b.token).toBe(a.token + 1);
    const route = { routeTableId: 'rtb-1', destinationCidr: '10.99.0.0/16' };

    await expect(renewLease(table, fenceOf(a), later)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(mergeIntoRecord(asA, VPC, 'routes', [route], later)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(markConnected(asA, VPC, 'arn:exec-a', later)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(beginOnboarding(asA, plan, 'arn:exec-a', later)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await getRecord(table, VPC)).toMatchObject({ status: 'onboarding', routes: [], executions: ['arn:exec-a'] });

    const asB = await heldRegistry(table, fenceOf(b), later);
    await mergeIntoRecord(asB, VPC, 'routes', [route], later);
    expect((await getRecord(table, VPC))?.routes).toEqual([route]);
  });

  it("after a takeover, the earlier holder can neither release nor change the VPC's claims", async () => {
    const a = await lease(table, 'arn:exec-a', START);
    const asA = await heldRegistry(table, fenceOf(a), START);
    await claimCidrs(asA, { vpcId: VPC, accountId: '222222222222', cidrs: ['10.77.0.0/16'] });
    const later = START + (LEASE_TTL_SECONDS + 1) * 1000;
    const b = await lease(table, 'arn:exec-b', later);
    const asB = await heldRegistry(table, fenceOf(b), later);
    // B decides on state read under its lease: the VPC keeps 10.77.0.0/16 and adds 10.78.0.0/16.
    await claimCidrs(asB, {
      vpcId: VPC,
      accountId: '222222222222',
      cidrs: ['10.77.0.0/16', '10.78.0.0/16'],
      previousCidrs: ['10.77.0.0/16'],
    });
    const claimed = [await readClaimBucket(table, '10.77'), await readClaimBucket(table, '10.78')];

    // A, stalled since, still sends what it had decided: release everything (a rollback), or claim another range.
    await expect(
      claimCidrs(asA, { vpcId: VPC, accountId: '222222222222', cidrs: [], previousCidrs: ['10.77.0.0/16'] }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await expect(
      claimCidrs(asA, { vpcId: VPC, accountId: '222222222222', cidrs: ['10.79.0.0/16', '10.77.0.0/16'] }),
    ).rejects.toBeInstanceOf(LeaseLostError);

    expect([await readClaimBucket(table, '10.77'), await readClaimBucket(table, '10.78')]).toEqual(claimed);
    expect((await readClaimBucket(table, '10.79')).claims[VPC]).toBeUndefined();
  });
});

describe('Security: the status step never lets an older execution overwrite a newer one', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('skips the write of an execution that started before the one that wrote the status last', async () => {
    hub = await lifecycleHub();
    const written: unknown[] = [];
    const ec2 = {
      send: async (command: CreateTagsCommand) => {
        written.push(command.input.Tags);
        return {};
      },
    } as unknown as EC2Client;
    const deps = { spokeEc2: async () => ec2, registry: registryTable(hub.config), now: () => Date.now() };
    const target = { vpcId: ANALYTICS, accountId: '333333333333', region: 'us-east-1' };
    const newer = { name: 'newer', arn: 'arn:newer', startedAt: '2026-06-01T09:05:00.000Z' };
    const older = { name: 'older', arn: 'arn:older', startedAt: '2026-06-01T09:00:00.000Z' };

    await expect(setStatus('connected', target, {}, newer, deps)).resolves.toMatchObject({ written: true });
    const late = await setStatus(
      'rejected',
      target,
      { error: { Error: 'ApprovalTimedOutError', Cause: 'approval-timeout: approval timed out' } },
      older,
      deps,
    );

    expect(late).toMatchObject({ written: false, skipped: expect.stringContaining('arn:newer') });
    expect(written).toHaveLength(1);
    // The newer execution itself writes on.
    await expect(setStatus('disconnected', target, {}, newer, deps)).resolves.toMatchObject({
      written: true,
    });
  });
});
