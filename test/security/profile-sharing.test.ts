import { type LocalHub, localProfileId } from '#local/hub';
import type { RamState } from '#twin/services/ram';
import { type Route53ProfilesState, resolvingZone } from '#twin/services/route53profiles';
import { parseWorld } from '#twin/world';
import { AssociateProfileCommand } from '../../sdk/client-route53profiles';
import {
  advance,
  hubWithTeamProfile,
  LEDGER,
  lifecycleConfig,
  lifecycleHub,
  lifecycleWorld,
  networkDiff,
  PAYMENTS,
  registryOf,
  runReconcile,
  SCRATCH,
  settle,
  statusOf,
  TEAM_PROFILE,
  TEAM_SSM_ZONE,
  tenantProfiles,
  ZONES,
} from '../lifecycle/helpers';
import { expectCalledOnFullPath } from '../sdk-path';

/**
 * Threat: in DNS mode `profile` the hub's Route 53 Profile is shared through RAM with the whole organization, and
 * AssociateProfile has no resource type: any member account can associate the hub's Profile with any of its VPCs,
 * without spokelink validating anything (docs/deploy.md, "The hub's Route 53 Profile and the organization").
 * What that gains: the VPC resolves the catalog's names to the hub's endpoint addresses, nothing more. No
 * attachment, no route, no security group rule, no registry membership: the endpoints stay unreachable from it.
 */

describe('Security: the hub Profile shared with the organization', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('a tenant that associates the hub Profile with an unvalidated VPC gains name resolution only', async () => {
    const config = lifecycleConfig((raw) => {
      raw.dns = { mode: 'profile' };
    });
    hub = await lifecycleHub({ config });
    const before = hub.twin.snapshot();
    // The tenant's VPC never asked spokelink; its team associates the hub's Profile itself.
    await tenantProfiles(hub, SCRATCH).send(
      new AssociateProfileCommand({ Name: 'mine', ProfileId: localProfileId(config), ResourceId: SCRATCH }),
    );
    await advance(hub, 60_000); // the association is COMPLETE
    const reconciled = await runReconcile(hub);

    // It resolves the catalog's names (what the Profile is for)...
    expect(resolvingZone(hub.twin, 'ssm.us-east-1.amazonaws.com', SCRATCH, 'us-east-1')).toMatchObject({
      via: 'profile',
    });
    // ...and gains nothing else: the only change is its own Profile association.
    const changed = networkDiff(hub, before);
    expect(changed.every((path) => path.startsWith('route53profiles.associations.'))).toBe(true);
    expect(changed.length).toBeGreaterThan(0);
    expect(reconciled.summary).toMatchObject({ onboard: 0, offboard: 0 });
    expect(await registryOf(hub, SCRATCH)).toEqual({});
    expect(statusOf(hub, SCRATCH).status).toBeUndefined();
  });

  it('a tenant association does not become spokelink’s: its offboarding of another VPC leaves it alone', async () => {
    const config = lifecycleConfig((raw) => {
      raw.dns = { mode: 'profile' };
    });
    hub = await lifecycleHub({ config, sdkTransport: 'sdk' });
    await tenantProfiles(hub, SCRATCH).send(
      new AssociateProfileCommand({ Name: 'mine', ProfileId: localProfileId(config), ResourceId: SCRATCH }),
    );
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);
    await hub.untagVpc(PAYMENTS, ['spokelink:connect', 'spokelink:segment']);
    await settle(hub);
    const associations = Object.values((hub.twin.snapshot().route53profiles as Route53ProfilesState).associations).map(
      (a) => a.vpcId,
    );
    // spokelink removed only what it made (PAYMENTS's, DELETING or gone); the tenant's own stays.
    expect(associations).toContain(SCRATCH);
    expect((await registryOf(hub, PAYMENTS)).CURRENT).toMatchObject({ profileAssociations: [] });
    expectCalledOnFullPath(hub, [
      'route53profiles:AssociateProfile',
      'route53profiles:DisassociateProfile',
      'route53profiles:GetProfileAssociation',
      'route53profiles:ListProfileAssociations',
      'route53profiles:ListProfiles',
    ]);
  });
});

/**
 * Threat: a tenant whose VPC has its own Route 53 Profile, on a hub configured with `dns.existingProfile:
 * "associate-zones"`. Had the hub added the catalog to that Profile, the tenant would hold the catalog's zones in a
 * Profile it controls: it could associate them with any VPC, share them with any account, or take them out at any
 * moment. The hub associates the catalog's zones with the validated VPC directly instead, and never writes the
 * tenant's Profile. The tenant's attempt to shadow a catalog name with a zone of its own in that Profile loses:
 * "the locally associated zone takes precedence" (Route 53 developer guide, Profiles).
 */
describe('Security: a VPC with its own Route 53 Profile (dns.existingProfile "associate-zones")', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  const SSM = 'ssm.us-east-1.amazonaws.com';
  const STS = 'sts.us-east-1.amazonaws.com';
  const teamResources = (h: LocalHub) =>
    Object.values(h.twin.stateOf<Route53ProfilesState>('route53profiles').resources)
      .filter((r) => r.profileId === TEAM_PROFILE)
      .map((r) => r.resourceArn);

  it("never writes the tenant's Profile, its own zone does not shadow the catalog's, and offboarding leaves it as it was", async () => {
    const setup = await hubWithTeamProfile();
    const { team } = setup;
    hub = setup.hub;
    expect(resolvingZone(hub.twin, SSM, PAYMENTS, 'us-east-1')).toEqual({ zoneId: TEAM_SSM_ZONE, via: 'profile' });
    const resourcesBefore = teamResources(hub);

    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);

    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    // The catalog's zones, associated directly, win over the team's zone of the same name.
    expect(resolvingZone(hub.twin, SSM, PAYMENTS, 'us-east-1')).toEqual({ zoneId: ZONES.ssm, via: 'zone' });
    expect(resolvingZone(hub.twin, STS, PAYMENTS, 'us-east-1')).toEqual({ zoneId: ZONES.sts, via: 'zone' });
    // The team's Profile holds what it held: no catalog zone to associate elsewhere or to share further...
    expect(teamResources(hub)).toEqual(resourcesBefore);
    const writes = hub.twin.calls.filter(
      (c) => c.service === 'route53profiles' && !/^(Get|List)/.test(c.operation) && !c.error,
    );
    expect(writes.map((c) => `${c.operation} ${c.principal.includes('app-team') ? 'team' : c.principal}`)).toEqual([
      'AssociateProfile team',
    ]);
    // ...so another VPC of the team given that Profile resolves none of the catalog's names through it.
    await team.send(new AssociateProfileCommand({ Name: 'team-2', ProfileId: TEAM_PROFILE, ResourceId: LEDGER }));
    await advance(hub, 60_000);
    expect(resolvingZone(hub.twin, STS, LEDGER, 'us-east-1')).toBeUndefined();
    const { CURRENT: member } = await registryOf(hub, PAYMENTS);
    expect(member).toMatchObject({
      existingProfileId: TEAM_PROFILE,
      zones: expect.arrayContaining([expect.objectContaining({ zoneId: ZONES.ssm })]),
    });
    expect(member!.profileAssociations ?? []).toEqual([]);
    // Nothing to repair while the team's Profile stays: no hourly re-onboarding.
    expect((await runReconcile(hub)).summary).toMatchObject({ onboard: 0, offboard: 0 });

    // Offboarding removes exactly what was added (the recorded zone associations); the team's Profile stays.
    await hub.untagVpc(PAYMENTS, ['spokelink:connect', 'spokelink:segment']);
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).status).toBe('disconnected');
    expect(resolvingZone(hub.twin, SSM, PAYMENTS, 'us-east-1')).toEqual({ zoneId: TEAM_SSM_ZONE, via: 'profile' });
    expect(resolvingZone(hub.twin, STS, PAYMENTS, 'us-east-1')).toBeUndefined();
    expect(teamResources(hub)).toEqual(resourcesBefore);
    const teamAssociations = Object.values(hub.twin.stateOf<Route53ProfilesState>('route53profiles').associations)
      .filter((a) => a.profileId === TEAM_PROFILE && a.goneAt === undefined)
      .map((a) => a.vpcId)
      .sort();
    expect(teamAssociations).toEqual([PAYMENTS, LEDGER].sort());
  });
});

/**
 * Threat: another account invites an outside account's spoke to a share named like the hub's Profile share
 * (`spokelink-profile`), holding a Profile of its own, hoping the spoke role accepts it and associates that Profile (its
 * zones would then answer the VPC's names). The spoke role accepts only the invitation the hub account sent (the code
 * checks the sender; the role's grant says `ram:ShareOwnerAccountId` = the hub).
 */
describe('Security: a look-alike Profile share invitation from another account', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('is never accepted: the outside account accepts only the hub’s invitation and associates only the hub’s Profile', async () => {
    const PARTNER = '555555555555';
    const PARTNER_VPC = 'vpc-0d500000000000001';
    const OTHER = '333333333333';
    const decoy = 'rp-0bbbbbbbbbbbbbbbb';
    const world = lifecycleWorld();
    const config = lifecycleConfig((raw) => {
      raw.dns = { mode: 'profile' };
    });
    hub = await lifecycleHub({
      config,
      world: parseWorld({
        ...world,
        route53profiles: {
          profiles: [{ id: decoy, name: 'spokelink-endpoints', ownerId: OTHER, region: 'us-east-1', zoneIds: [] }],
        },
        ram: {
          ...world.ram,
          shares: [
            ...world.ram.shares,
            {
              name: 'spokelink-profile',
              ownerId: OTHER,
              region: 'us-east-1',
              allowExternalPrincipals: true,
              resourceArns: [`arn:aws:route53profiles:us-east-1:${OTHER}:profile/${decoy}`],
              principals: [],
              pendingPrincipals: [PARTNER],
              tags: [],
            },
          ],
        },
      }),
    });

    await hub.tagVpc(PARTNER_VPC, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await settle(hub);

    expect(statusOf(hub, PARTNER_VPC).status).toBe('connected');
    const ram = hub.twin.stateOf<RamState>('ram');
    const answers = Object.values(ram.invitations)
      .filter((i) => i.receiverAccountId === PARTNER && ram.shares[i.shareArn]?.name === 'spokelink-profile')
      .map((i) => `${i.senderAccountId} ${i.answer?.status ?? 'PENDING'}`)
      .sort();
    expect(answers).toEqual([`111111111111 ACCEPTED`, `${OTHER} PENDING`]);
    const associated = Object.values(hub.twin.stateOf<Route53ProfilesState>('route53profiles').associations)
      .filter((a) => a.vpcId === PARTNER_VPC)
      .map((a) => a.profileId);
    expect(associated).toEqual([localProfileId(config)]);
    expect(resolvingZone(hub.twin, 'ssm.us-east-1.amazonaws.com', PARTNER_VPC, 'us-east-1')).toEqual({
      zoneId: ZONES.ssm,
      via: 'profile',
    });
  });
});
