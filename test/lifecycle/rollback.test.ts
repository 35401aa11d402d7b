import type { LocalHub } from '#local/hub';
import { ec2State } from '#twin/services/ec2/model';
import type { Route53State } from '#twin/services/route53';
import {
  ANALYTICS,
  advance,
  claims,
  LEDGER,
  lifecycleHub,
  networkDiff,
  PAYMENTS,
  registryOf,
  SERVICE,
  settle,
  statusOf,
  ZONES,
} from './helpers';

/**
 * The onboarding's rollback (docs/workflow.md, "Rollback"): a branch of ConnectSpokeVpc that fails for good leaves
 * what the other branches made; the failure path undoes what this execution made for the VPC with the offboarding's
 * removal actions, driven by the registry record, then says `failed`, naming the step, the quota and what was rolled
 * back. A new membership is undone whole; a connected member only by what the failed change added. Asking again once
 * the cause is gone connects.
 */

const PAYMENTS_ACCOUNT = '222222222222';
/** A VPC of 444444444444 with ANALYTICS' range, 10.3.0.0/16. */
const SAME_RANGE = 'vpc-0c400000000000001';
const principal = (account: string) => `arn:aws:iam::${account}:root`;
const servicePrincipals = (hub: LocalHub) =>
  ec2State(hub.twin).endpointServices[SERVICE]!.allowedPrincipals.map((p) => p.principal);

/** A private hosted zone that holds only `max` VPCs (MAX_VPCS_ASSOCIATED_BY_ZONE, adjustable on request). */
function limitZone(hub: LocalHub, zoneId: string, max: number): void {
  hub.twin.stateOf<Route53State>('route53').zones[zoneId]!.maxVpcs = max;
}

/** What differs from `before` in the twin apart from the VPCs' spokelink tags (the request the team made, the status). */
const changedBesidesTags = (hub: LocalHub, before: Record<string, unknown>) =>
  networkDiff(hub, before).filter((path) => !/\.tags\.spokelink:(connect|segment|services)$/.test(path));

async function ask(hub: LocalHub, vpcId: string, tags: Record<string, string>): Promise<void> {
  await hub.tagVpc(vpcId, tags);
  await settle(hub);
}

describe('Lifecycle: an onboarding that fails is rolled back', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('leaves the twin as before onboarding apart from the status tags, and says what was rolled back', async () => {
    hub = await lifecycleHub();
    limitZone(hub, ZONES.sts, 1); // the hub VPC's association fills it
    const before = hub.twin.snapshot();
    expect(servicePrincipals(hub)).not.toContain(principal(PAYMENTS_ACCOUNT));

    await ask(hub, PAYMENTS, {
      'spokelink:connect': 'true',
      'spokelink:segment': 'prod',
      'spokelink:services': 'ssm,sts,payments-api',
    });
    await advance(hub, 5 * 60_000); // AWS finishes deleting the attachment

    expect(changedBesidesTags(hub, before)).toEqual([]);
    const { status, detail } = statusOf(hub, PAYMENTS);
    expect(status).toBe('failed');
    expect(detail!.length).toBeLessThanOrEqual(256);
    expect(detail).toMatch(
      /^AssociateZones: QuotaExceededError: associating (vpc-0a200000000000001|the VPC) with zone sts\.us-east-1\.amazonaws\.com: LimitsExceeded: .*MAX_VPCS_ASSOCIATED_BY_ZONE has a limit of 1\.; rolled back: attachment, 1 route, (1 zone assoc, )?2 SG rules, principal$/,
    );
    const { CURRENT: record, LEASE: lease } = await registryOf(hub, PAYMENTS);
    expect(record).toMatchObject({
      status: 'failed',
      routes: [],
      zones: [],
      securityGroupRules: [],
      endpointServicePrincipals: [],
    });
    expect(record!.attachmentId).toBeUndefined();
    expect(lease).toBeUndefined();
    const [execution] = hub.executions();
    expect(execution).toMatchObject({ status: 'FAILED', error: 'QuotaExceededError' });
    expect(execution!.cause).toMatch(/^AssociateZones: QuotaExceededError: .*; rolled back: attachment, /);
  });

  it('removes the account principal when two VPCs of the account fail together: neither keeps it for the other', async () => {
    hub = await lifecycleHub();
    limitZone(hub, ZONES.sts, 1);
    const request = {
      'spokelink:connect': 'true',
      'spokelink:segment': 'prod',
      'spokelink:services': 'ssm,sts,payments-api',
    };
    await hub.tagVpc(PAYMENTS, request);
    await hub.tagVpc(LEDGER, request);
    await settle(hub);
    await advance(hub, 5 * 60_000);

    expect([statusOf(hub, PAYMENTS).status, statusOf(hub, LEDGER).status]).toEqual(['failed', 'failed']);
    expect(servicePrincipals(hub)).not.toContain(principal(PAYMENTS_ACCOUNT));
    for (const vpcId of [PAYMENTS, LEDGER]) {
      const { CURRENT: record } = await registryOf(hub, vpcId);
      expect(record).toMatchObject({ status: 'failed', endpointServicePrincipals: [], securityGroupRules: [] });
    }
  });

  it('releases the CIDR claims of a rolled-back membership: a VPC that owns the range connects', async () => {
    hub = await lifecycleHub();
    limitZone(hub, ZONES.sts, 1);
    await ask(hub, ANALYTICS, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm,sts' });
    expect(statusOf(hub, ANALYTICS).status).toBe('failed');
    expect((await claims(hub))[ANALYTICS] ?? []).toEqual([]);
    expect((await registryOf(hub, ANALYTICS)).CURRENT).toMatchObject({ status: 'failed', cidrs: [] });

    // vpc-0c4... (another account) has the same 10.3.0.0/16: nothing of ANALYTICS is connected, so it is not rejected.
    await ask(hub, SAME_RANGE, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    expect(statusOf(hub, SAME_RANGE).status).toBe('connected');
    expect((await claims(hub))[SAME_RANGE]).toEqual(['10.3.0.0/16']);
  });

  it('connects when the team asks again once the quota is raised', async () => {
    hub = await lifecycleHub();
    limitZone(hub, ZONES.sts, 1);
    await ask(hub, PAYMENTS, {
      'spokelink:connect': 'true',
      'spokelink:segment': 'prod',
      'spokelink:services': 'ssm,sts,payments-api',
    });
    expect(statusOf(hub, PAYMENTS).status).toBe('failed');

    limitZone(hub, ZONES.sts, 300);
    await ask(hub, PAYMENTS, { 'spokelink:services': 'sts,ssm,payments-api' });

    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    const { CURRENT: record } = await registryOf(hub, PAYMENTS);
    expect(record).toMatchObject({ status: 'connected', zones: [expect.anything(), expect.anything()] });
    expect(servicePrincipals(hub)).toContain(principal(PAYMENTS_ACCOUNT));
  });

  it('undoes only what a failed change of a connected member added: the connection that worked stays', async () => {
    hub = await lifecycleHub();
    await ask(hub, PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod', 'spokelink:services': 'ssm' });
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    const { CURRENT: connected } = await registryOf(hub, PAYMENTS);
    limitZone(hub, ZONES.secrets, 1);
    const before = hub.twin.snapshot();

    await ask(hub, PAYMENTS, { 'spokelink:services': 'ssm,secretsmanager' });

    expect(changedBesidesTags(hub, before)).toEqual([]);
    const { status, detail } = statusOf(hub, PAYMENTS);
    expect(status).toBe('failed');
    expect(detail).toMatch(
      /^AssociateZones: QuotaExceededError: .*secretsmanager\.us-east-1\.amazonaws\.com: LimitsExceeded: .*; rolled back: 1 SG rule$/,
    );
    const { CURRENT: record } = await registryOf(hub, PAYMENTS);
    expect(record).toMatchObject({
      status: 'failed',
      connectedAt: connected!.connectedAt,
      attachmentId: connected!.attachmentId,
      routes: connected!.routes,
      zones: connected!.zones,
      securityGroupRules: connected!.securityGroupRules,
      endpointServicePrincipals: connected!.endpointServicePrincipals,
    });
    const onboardings = hub.executions().filter((e) => e.name.startsWith(`${PAYMENTS}-onboard-`));
    expect(onboardings.map((e) => e.status)).toEqual(['SUCCEEDED', 'FAILED']);
    const entered = hub.sfn
      .history(onboardings[1]!.executionArn)
      .flatMap((e) => e.stateEnteredEventDetails?.name ?? []);
    expect(entered).toEqual(
      expect.arrayContaining(['NoteWhatExists', 'PlanRollback', 'RollBackAdditions', 'SummarizeRollback']),
    );
  });
});
