import { type LocalHub, localProfileId, withHubProfile } from '#local/hub';
import type { HubConfig } from '#shared/config';
import type { ConsumerRecord } from '#shared/registry/model';
import { TwinError } from '#twin/errors';
import type { RamState } from '#twin/services/ram';
import {
  addVpcAssociation,
  type Route53ProfilesState,
  removeVpcAssociation,
  resolvingZone,
} from '#twin/services/route53profiles';
import { createTwin, parseWorld } from '#twin/world';
import { loadTimelines } from '../../cli/audit/reader';
import { DisassociateProfileCommand } from '../../sdk/client-route53profiles';
import { hubSfnClient } from '../audit/helpers';
import {
  advance,
  changeConfig,
  hubWithTeamProfile,
  lifecycleConfig,
  lifecycleHub,
  lifecycleWorld,
  networkDiff,
  PAYMENTS,
  registryOf,
  runReconcile,
  settle,
  statusOf,
  TEAM_PROFILE,
  ZONES,
} from '../lifecycle/helpers';
import { PARTNER } from './helpers';

/**
 * DNS mode `profile` end to end on the twin: the real ASL and handlers, the hub's Route 53 Profile deployed as the hub
 * stack deploys it (holding the catalog's zones, shared with the organization), onboarding, change, offboarding,
 * reconcile and the migration between modes in both directions without a moment where a name stops resolving.
 */

const R = 'us-east-1';
/** partner-integration, of the account outside the organization. */
const PARTNER_VPC = 'vpc-0d500000000000001';
const NAMES = {
  ssm: 'ssm.us-east-1.amazonaws.com',
  sts: 'sts.us-east-1.amazonaws.com',
  secrets: 'secretsmanager.us-east-1.amazonaws.com',
} as const;

const profileMode = (raw: Record<string, unknown>) => {
  raw.dns = { mode: 'profile' };
};
const zonesMode = (raw: Record<string, unknown>) => {
  raw.dns = { mode: 'zones' };
};

function profileConfig(): HubConfig {
  return lifecycleConfig(profileMode);
}

/** The VPC's Profile associations as AWS shows them now (CREATING, COMPLETE or DELETING; not those gone). */
function associationsOf(hub: LocalHub, vpcId: string) {
  const state = hub.twin.snapshot().route53profiles as Route53ProfilesState;
  return Object.values(state.associations).filter((a) => a.vpcId === vpcId);
}

/** The reasons the reconcile gave the VPC's last execution (`spokelink.reasons` of its input). */
function reasonsOfLastExecution(hub: LocalHub, vpcId: string): string[] {
  const last = hub
    .executions()
    .filter((e) => e.name.startsWith(`${vpcId}-reconcile-`))
    .at(-1);
  return (JSON.parse(last?.input ?? '{}') as { spokelink?: { reasons?: string[] } }).spokelink?.reasons ?? [];
}

/** The zones directly associated with the VPC in the twin. */
function directZonesOf(hub: LocalHub, vpcId: string): string[] {
  const zones = hub.twin.stateOf<{ zones: Record<string, { vpcs: { vpcId: string }[] }> }>('route53').zones;
  return Object.entries(zones)
    .filter(([, z]) => z.vpcs.some((v) => v.vpcId === vpcId))
    .map(([id]) => id)
    .sort();
}

async function record(hub: LocalHub, vpcId: string): Promise<ConsumerRecord> {
  return (await registryOf(hub, vpcId)).CURRENT as unknown as ConsumerRecord;
}

/**
 * Watches the names after every AWS call (the hub's and the tenant's) and after every advance of the clock (AWS
 * finishing an association or a deletion): each must resolve to the hub's zone (directly or through the Profile) at
 * every moment. Returns the moments it did not, and `check` for the moments no call marks.
 */
function watchResolution(hub: LocalHub, vpcId: string, names: readonly string[]) {
  const gaps: string[] = [];
  const ways = new Set<string>();
  const hubZones = new Set<string>(Object.values(ZONES));
  const call = hub.twin.call.bind(hub.twin);
  const check = (when: string) => {
    for (const name of names) {
      const zone = resolvingZone(hub.twin, name, vpcId, R);
      if (!zone) gaps.push(`${name} did not resolve ${when}`);
      else if (!hubZones.has(zone.zoneId)) gaps.push(`${name} resolved to ${zone.zoneId} ${when}`);
      else ways.add(zone.via);
    }
  };
  hub.twin.call = async (...args: Parameters<typeof call>) => {
    try {
      return await call(...args);
    } finally {
      check(`after ${args[0]}:${args[1]}`);
    }
  };
  return { gaps, ways, check };
}

describe('Workflow: DNS mode profile', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('onboards with one AssociateProfile from the spoke account, waits for COMPLETE and records the association id', async () => {
    const config = profileConfig();
    hub = await lifecycleHub({ config });
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);

    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    const [association] = associationsOf(hub, PAYMENTS);
    expect(associationsOf(hub, PAYMENTS)).toHaveLength(1);
    expect(association).toMatchObject({ profileId: localProfileId(config), ownerId: '222222222222' });
    const current = await record(hub, PAYMENTS);
    expect(current.profileAssociations).toEqual([
      { profileId: localProfileId(config), associationId: association!.id },
    ]);
    expect(current.zones).toEqual([]);
    // No direct zone association: every name resolves through the Profile.
    expect(directZonesOf(hub, PAYMENTS)).toEqual([]);
    for (const name of [NAMES.ssm, NAMES.secrets]) {
      expect(resolvingZone(hub.twin, name, PAYMENTS, R)).toMatchObject({ via: 'profile' });
    }
    // The association was made by the spoke's write session, and WaitForConnectivity read it COMPLETE.
    const calls = hub.twin.calls.filter((c) => c.service === 'route53profiles');
    expect(calls.filter((c) => c.operation === 'AssociateProfile')).toEqual([
      expect.objectContaining({ accountId: '222222222222', principal: expect.stringContaining('assumed-role') }),
    ]);
    expect(calls.filter((c) => c.operation === 'GetProfileAssociation' && !c.error).length).toBeGreaterThan(0);
  });

  it('keeps the association through a change and removes it at offboarding, leaving the twin as before', async () => {
    hub = await lifecycleHub({ config: profileConfig() });
    const before = hub.twin.snapshot();
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);
    const first = associationsOf(hub, PAYMENTS)[0]!.id;

    // A change (fewer services): still connected, the same association.
    await hub.tagVpc(PAYMENTS, { 'spokelink:services': 'ssm' });
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect(associationsOf(hub, PAYMENTS).map((a) => a.id)).toEqual([first]);

    await hub.untagVpc(PAYMENTS, ['spokelink:connect', 'spokelink:segment', 'spokelink:services']);
    await settle(hub);
    await advance(hub, 5 * 60_000); // AWS finishes deleting the attachment and the Profile association
    expect(statusOf(hub, PAYMENTS)).toMatchObject({
      status: 'disconnected',
      detail: expect.stringMatching(/removed 1 route\(s\), 0 zone association\(s\), 1 Profile association\(s\), /),
    });
    expect(associationsOf(hub, PAYMENTS)).toEqual([]);
    expect(resolvingZone(hub.twin, NAMES.ssm, PAYMENTS, R)).toBeUndefined();
    expect((await record(hub, PAYMENTS)).profileAssociations).toEqual([]);
    expect(networkDiff(hub, before)).toEqual([]);

    // The audit reads the association from the histories: made by the onboarding, removed by the offboarding.
    const arns = (kind: string) =>
      hub
        .executions()
        .filter((e) => e.name.startsWith(`${PAYMENTS}-${kind}-`))
        .map((e) => e.executionArn);
    const profileChanges = async (kind: string) =>
      (await loadTimelines(hubSfnClient(hub), arns(kind), { includeExecutionData: true }))
        .flatMap((t) => t.changes)
        .filter((c) => c.kind === 'profile-association')
        .map((c) => `${c.change} ${c.id} ${c.detail ?? ''}`);
    const profile = `Profile ${localProfileId(profileConfig())}`;
    expect(await profileChanges('onboard')).toEqual([`created ${first} ${profile}`, `unchanged ${first} ${profile}`]);
    expect(await profileChanges('offboard')).toEqual([`removed ${first} ${profile}`]);
  });

  it('rolls the Profile association back when another branch fails for good, and counts it in the summary', async () => {
    hub = await lifecycleHub({ config: profileConfig() });
    const before = hub.twin.snapshot();
    // The spoke's route table is full: CreateSpokeRoutes fails for good after AssociateProfile succeeded.
    hub.twin.inject({
      service: 'ec2',
      operation: 'CreateRoute',
      error: () => new TwinError('RouteLimitExceeded', 'The maximum number of routes has been reached.', 400),
    });
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);
    await advance(hub, 5 * 60_000); // AWS finishes deleting the attachment and the Profile association

    expect(hub.twin.calls.filter((c) => c.operation === 'AssociateProfile' && !c.error)).toHaveLength(1);
    expect(statusOf(hub, PAYMENTS)).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/^CreateSpokeRoutes: QuotaExceededError: .*rolled back: .*1 Profile assoc\b/),
    });
    expect(associationsOf(hub, PAYMENTS)).toEqual([]);
    expect((await record(hub, PAYMENTS)).profileAssociations).toEqual([]);
    expect(networkDiff(hub, before).filter((path) => !/\.tags\.spokelink:/.test(path))).toEqual([]);
  });

  it('reconcile re-associates a Profile association the tenant removed (read back with the spoke role)', async () => {
    const config = profileConfig();
    hub = await lifecycleHub({ config });
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);
    // The tenant disassociates the Profile out of band (it owns the VPC).
    const state = hub.twin.stateOf<Route53ProfilesState>('route53profiles');
    for (const [id, a] of Object.entries(state.associations)) if (a.vpcId === PAYMENTS) removeVpcAssociation(state, id);
    expect(resolvingZone(hub.twin, NAMES.ssm, PAYMENTS, R)).toBeUndefined();

    const run = await runReconcile(hub);
    expect(run.summary).toMatchObject({ onboard: 1 });
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    const [again] = associationsOf(hub, PAYMENTS);
    expect((await record(hub, PAYMENTS)).profileAssociations).toEqual([
      { profileId: localProfileId(config), associationId: again!.id },
    ]);
    expect(resolvingZone(hub.twin, NAMES.ssm, PAYMENTS, R)).toMatchObject({ via: 'profile' });
    // Nothing left to repair.
    expect((await runReconcile(hub)).summary).toMatchObject({ onboard: 0, offboard: 0 });
  });

  it("onboards a VPC of an account outside the organization: its spoke role accepts the Profile share's invitation first", async () => {
    const config = profileConfig();
    hub = await lifecycleHub({ config });
    const invitationsToPartner = () =>
      Object.values(hub.twin.stateOf<RamState>('ram').invitations)
        .filter((i) => i.receiverAccountId === PARTNER)
        .map((i) => `${hub.twin.stateOf<RamState>('ram').shares[i.shareArn]!.name} ${i.answer?.status ?? 'PENDING'}`)
        .sort();
    // The hub stack invited the partner to the Profile share; nothing reaches it through the organization.
    expect(invitationsToPartner()).toEqual(['spokelink-profile PENDING']);

    await hub.tagVpc(PARTNER_VPC, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await settle(hub);

    expect(statusOf(hub, PARTNER_VPC).status).toBe('connected');
    expect(invitationsToPartner()).toEqual(['spokelink-profile ACCEPTED', 'spokelink-tgw ACCEPTED']);
    expect(associationsOf(hub, PARTNER_VPC).map((a) => a.profileId)).toEqual([localProfileId(config)]);
    expect(resolvingZone(hub.twin, NAMES.ssm, PARTNER_VPC, R)).toMatchObject({ zoneId: ZONES.ssm, via: 'profile' });
    // Accepted by the partner's spoke role in AssociateZones, before its AssociateProfile.
    const zonesCalls = hub.twin.calls
      .filter((c) => c.origin?.endsWith('zones') && c.accountId === PARTNER && !c.error)
      .map((c) => c.operation)
      .filter((op) => ['AcceptResourceShareInvitation', 'AssociateProfile'].includes(op));
    expect(zonesCalls).toEqual(['AcceptResourceShareInvitation', 'AssociateProfile']);
    const accepts = hub.twin.calls.filter((c) => c.operation === 'AcceptResourceShareInvitation' && !c.error);
    expect(accepts.map((c) => c.principal)).toEqual([
      expect.stringMatching(/^arn:aws:sts::555555555555:assumed-role\/spokelink-spoke\//),
      expect.stringMatching(/^arn:aws:sts::555555555555:assumed-role\/spokelink-spoke\//),
    ]);
  });

  it('refuses at validation a VPC that already has another Profile, and changes nothing', async () => {
    const config = profileConfig();
    const world = lifecycleWorld();
    const raw = { ...world, route53profiles: { profiles: [...world.route53profiles.profiles] } };
    // The payments team's own Profile, associated with its VPC.
    raw.route53profiles.profiles.push({
      id: 'rp-0aaaaaaaaaaaaaaaa',
      name: 'team-dns',
      ownerId: '222222222222',
      region: R,
      zoneIds: [],
    });
    hub = await lifecycleHub({ config, world: parseWorld(raw) });
    const state = hub.twin.stateOf<Route53ProfilesState>('route53profiles');
    addVpcAssociation(state, {
      id: 'rpassoc-0aaaaaaaaaaaaaaaa',
      profileId: 'rp-0aaaaaaaaaaaaaaaa',
      name: 'team',
      ownerId: '222222222222',
      vpcId: PAYMENTS,
      region: R,
      createdAt: 0,
      completeAt: 0,
    });
    const before = hub.twin.snapshot();
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);
    // Nothing but the request tags the team set.
    expect(networkDiff(hub, before)).toEqual([
      'ec2.vpcs.0.tags.spokelink:connect',
      'ec2.vpcs.0.tags.spokelink:segment',
    ]);
    expect(statusOf(hub, PAYMENTS)).toMatchObject({
      status: 'rejected',
      detail: expect.stringMatching(/^profile-conflict: .*rp-0aaaaaaaaaaaaaaaa.*one Profile per VPC/),
    });
  });
});

describe('Workflow: migration between DNS modes', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('zones -> profile -> zones through the reconcile, with every name resolving at every moment', async () => {
    // The hub stack in profile mode deployed the Profile; the hub still runs in zones mode.
    const world = withHubProfile(lifecycleWorld(), profileConfig());
    hub = await lifecycleHub({ world });
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);
    const wanted = [ZONES.secrets, ZONES.ssm, ZONES.sts].sort();
    expect(directZonesOf(hub, PAYMENTS)).toEqual(wanted);
    const watch = watchResolution(hub, PAYMENTS, Object.values(NAMES));

    // To profile: associate the Profile, wait for COMPLETE, then disassociate the zones.
    changeConfig(hub, profileMode);
    const toProfile = await runReconcile(hub);
    expect(toProfile.summary).toMatchObject({ onboard: 1 });
    expect(reasonsOfLastExecution(hub, PAYMENTS)).toContain('dns-mode-changed');
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect(directZonesOf(hub, PAYMENTS)).toEqual([]);
    expect(associationsOf(hub, PAYMENTS).map((a) => a.profileId)).toEqual([localProfileId(profileConfig())]);
    expect((await record(hub, PAYMENTS)).zones).toEqual([]);
    const order = hub.twin.calls
      .filter((c) => ['AssociateProfile', 'DisassociateVPCFromHostedZone'].includes(c.operation) && !c.error)
      .map((c) => c.operation);
    expect(order[0]).toBe('AssociateProfile');
    expect(order.slice(1)).toEqual([
      'DisassociateVPCFromHostedZone',
      'DisassociateVPCFromHostedZone',
      'DisassociateVPCFromHostedZone',
    ]);

    // And back: associate the zones first, then disassociate the Profile.
    changeConfig(hub, zonesMode);
    const toZones = await runReconcile(hub);
    expect(toZones.summary).toMatchObject({ onboard: 1 });
    expect(reasonsOfLastExecution(hub, PAYMENTS)).toContain('dns-mode-changed');
    await advance(hub, 5 * 60_000);
    watch.check('once the Profile association is gone');
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect(directZonesOf(hub, PAYMENTS)).toEqual(wanted);
    expect(associationsOf(hub, PAYMENTS)).toEqual([]);
    expect((await record(hub, PAYMENTS)).profileAssociations).toEqual([]);

    expect(watch.gaps).toEqual([]);
    expect([...watch.ways].sort()).toEqual(['profile', 'zone']);
  });

  it("a VPC with its own Profile gets the zones directly (dns.existingProfile), then the hub's Profile once its own is gone, without a gap", async () => {
    const setup = await hubWithTeamProfile();
    const { config, team } = setup;
    hub = setup.hub;
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);

    const wanted = [ZONES.secrets, ZONES.ssm, ZONES.sts].sort();
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect(directZonesOf(hub, PAYMENTS)).toEqual(wanted);
    expect(associationsOf(hub, PAYMENTS).map((a) => a.profileId)).toEqual([TEAM_PROFILE]);
    expect(await record(hub, PAYMENTS)).toMatchObject({ existingProfileId: TEAM_PROFILE });
    const watch = watchResolution(hub, PAYMENTS, Object.values(NAMES));

    // The team gives up its own Profile: the reconcile moves the VPC to the hub's, Profile first, zones after.
    await team.send(new DisassociateProfileCommand({ ProfileId: TEAM_PROFILE, ResourceId: PAYMENTS }));
    await advance(hub, 60_000);
    watch.check("once the team's Profile association is gone");
    const moved = await runReconcile(hub);
    expect(moved.summary).toMatchObject({ onboard: 1 });
    expect(reasonsOfLastExecution(hub, PAYMENTS)).toEqual(['dns-mode-changed']);
    await advance(hub, 5 * 60_000);
    watch.check('after the migration');

    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect(directZonesOf(hub, PAYMENTS)).toEqual([]);
    expect(associationsOf(hub, PAYMENTS).map((a) => a.profileId)).toEqual([localProfileId(config)]);
    const after = await record(hub, PAYMENTS);
    expect(after.existingProfileId).toBeUndefined();
    expect(after.zones).toEqual([]);
    expect(watch.gaps).toEqual([]);
    expect([...watch.ways].sort()).toEqual(['profile', 'zone']);
    expect((await runReconcile(hub)).summary).toMatchObject({ onboard: 0, offboard: 0 });
  });
});

// The twin of a profile-mode deploy seeds (a guard on the helper the tests above rely on).
describe('Local deploy of profile mode', () => {
  it('seeds the hub Profile with every catalog zone, shared with the organization', () => {
    const config = profileConfig();
    const twin = createTwin(withHubProfile(lifecycleWorld(), config));
    const state = twin.stateOf<Route53ProfilesState>('route53profiles');
    const held = Object.values(state.resources).map((r) => r.resourceArn.split('/')[1]);
    expect(held.sort()).toEqual([ZONES.secrets, ZONES.ssm, ZONES.sts].sort());
    expect(state.profiles[localProfileId(config)]?.name).toBe('spokelink-endpoints');
  });
});
