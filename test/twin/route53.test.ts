import {
  AssociateVPCWithHostedZoneCommand,
  CreateHostedZoneCommand,
  CreateVPCAssociationAuthorizationCommand,
  DeleteHostedZoneCommand,
  DeleteVPCAssociationAuthorizationCommand,
  DisassociateVPCFromHostedZoneCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  GetHostedZoneLimitCommand,
  ListHostedZonesByVPCCommand,
  ListHostedZonesCommand,
  ListVPCAssociationAuthorizationsCommand,
  Route53Client,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { twinPlugin } from '#twin/plugin';
import { MAX_AUTHORIZATIONS_PER_ZONE, zoneResolvesInVpc } from '#twin/services/route53';
import type { Twin, TwinOptions } from '#twin/twin';
import { createTwin, parseWorld } from '#twin/world';

const HUB = '111111111111';
const SPOKE = '222222222222';
const OTHER = '333333333333';
const role = (account: string) => `arn:aws:iam::${account}:role/admin`;
const R = 'us-east-1';
const HUB_VPC = 'vpc-0f000000000000001';
const HUB_VPC_2 = 'vpc-0f000000000000002';
const SPOKE_VPC = 'vpc-0a000000000000001';
const SPOKE_VPC_2 = 'vpc-0a000000000000002';
const SPOKE_VPC_NO_DNS = 'vpc-0a000000000000003';
const OTHER_VPC = 'vpc-0c000000000000001';
const SSM = 'Z0SSM00000000000000001';
/** Another zone with the SSM zone's name (a second hub, or a VPC's own endpoint zone). */
const SSM_TWIN = 'Z0SSM00000000000000002';
const STS = 'Z0STS00000000000000001';
const SSM_NAME = 'ssm.us-east-1.amazonaws.com.';
const T0 = Date.parse('2026-11-27T10:00:00Z');
const CHANGE_MS = 2_000;

function vpc(id: string, ownerId: string, extra: Record<string, unknown> = {}) {
  return { id, ownerId, region: R, cidrBlocks: [`10.${Number.parseInt(id.slice(-3), 16) % 250}.0.0/16`], ...extra };
}

function world(zones: unknown[] = defaultZones(), extraVpcs: unknown[] = []) {
  return parseWorld({
    version: 1,
    iam: { principals: [HUB, SPOKE, OTHER].map(role) },
    ec2: {
      vpcs: [
        vpc(HUB_VPC, HUB),
        vpc(HUB_VPC_2, HUB),
        vpc(SPOKE_VPC, SPOKE),
        vpc(SPOKE_VPC_2, SPOKE),
        vpc(SPOKE_VPC_NO_DNS, SPOKE, { enableDnsSupport: false, enableDnsHostnames: false }),
        vpc(OTHER_VPC, OTHER),
        ...extraVpcs,
      ],
    },
    route53: { zones },
  });
}

function defaultZones() {
  return [
    { id: SSM, name: 'SSM.us-east-1.amazonaws.com', ownerId: HUB, vpcs: [{ vpcId: HUB_VPC, region: R }] },
    { id: SSM_TWIN, name: SSM_NAME, ownerId: OTHER, vpcs: [{ vpcId: OTHER_VPC, region: R }] },
    { id: STS, name: 'sts.us-east-1.amazonaws.com', ownerId: HUB, vpcs: [{ vpcId: HUB_VPC, region: R }] },
  ];
}

function newTwin(w = world(), options: TwinOptions = {}): Twin {
  return createTwin(w, { timings: { route53ChangeMs: CHANGE_MS }, ...options });
}

function r53As(twin: Twin, account: string): Route53Client {
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(role(account));
  const client = new Route53Client({ region: R, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  client.middlewareStack.use(twinPlugin(twin));
  return client;
}

const ref = (VPCId: string) => ({ VPCId, VPCRegion: R as 'us-east-1' });

async function authorize(twin: Twin, zoneId: string, vpcId: string) {
  return r53As(twin, HUB).send(new CreateVPCAssociationAuthorizationCommand({ HostedZoneId: zoneId, VPC: ref(vpcId) }));
}

async function associate(twin: Twin, account: string, zoneId: string, vpcId: string) {
  return r53As(twin, account).send(new AssociateVPCWithHostedZoneCommand({ HostedZoneId: zoneId, VPC: ref(vpcId) }));
}

async function disassociate(twin: Twin, account: string, zoneId: string, vpcId: string) {
  return r53As(twin, account).send(new DisassociateVPCFromHostedZoneCommand({ HostedZoneId: zoneId, VPC: ref(vpcId) }));
}

async function vpcsOf(twin: Twin, zoneId: string) {
  const out = await r53As(twin, HUB).send(new GetHostedZoneCommand({ Id: zoneId }));
  return (out.VPCs ?? []).map((v) => v.VPCId).sort();
}

/** Moves the clock past the zone's pending change. */
function settle(ms = CHANGE_MS) {
  jest.setSystemTime(Date.now() + ms);
}

beforeEach(() => {
  jest.useFakeTimers({
    now: T0,
    doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
  });
});
afterEach(() => jest.useRealTimers());

describe('Twin Route 53: cross-account association', () => {
  it('associates after the zone owner authorizes, and keeps the association when the authorization is deleted', async () => {
    const twin = newTwin();
    await authorize(twin, SSM, SPOKE_VPC);

    const out = await associate(twin, SPOKE, SSM, SPOKE_VPC);
    await r53As(twin, HUB).send(
      new DeleteVPCAssociationAuthorizationCommand({ HostedZoneId: SSM, VPC: ref(SPOKE_VPC) }),
    );

    expect(out.ChangeInfo).toMatchObject({ Id: expect.stringMatching(/^\/change\/C[0-9A-Z]+$/), Status: 'PENDING' });
    expect(out.ChangeInfo?.SubmittedAt).toEqual(new Date(T0));
    expect(await vpcsOf(twin, SSM)).toEqual([SPOKE_VPC, HUB_VPC].sort());
    const byVpc = await r53As(twin, SPOKE).send(new ListHostedZonesByVPCCommand({ VPCId: SPOKE_VPC, VPCRegion: R }));
    expect(byVpc.HostedZoneSummaries).toEqual([{ HostedZoneId: SSM, Name: SSM_NAME, Owner: { OwningAccount: HUB } }]);
    const left = await r53As(twin, HUB).send(new ListVPCAssociationAuthorizationsCommand({ HostedZoneId: SSM }));
    expect(left.VPCs).toEqual([]);
  });

  it('blocks future associations once the authorization is deleted', async () => {
    const twin = newTwin();
    await authorize(twin, SSM, SPOKE_VPC);
    await r53As(twin, HUB).send(
      new DeleteVPCAssociationAuthorizationCommand({ HostedZoneId: SSM, VPC: ref(SPOKE_VPC) }),
    );

    await expect(associate(twin, SPOKE, SSM, SPOKE_VPC)).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  });

  it('answers NotAuthorizedException (HTTP 401) to a VPC owner without an authorization', async () => {
    const twin = newTwin();
    const error = await associate(twin, SPOKE, SSM, SPOKE_VPC).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Route53ServiceException);
    expect(error).toMatchObject({ name: 'NotAuthorizedException', $metadata: { httpStatusCode: 401 } });
    expect(await vpcsOf(twin, SSM)).toEqual([HUB_VPC]);
  });

  it("does not let the zone owner associate another account's VPC, even with an authorization", async () => {
    const twin = newTwin();
    await authorize(twin, SSM, SPOKE_VPC);

    await expect(associate(twin, HUB, SSM, SPOKE_VPC)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: expect.stringContaining(`arn:aws:ec2:${R}:${HUB}:vpc/${SPOKE_VPC}`),
    });
  });

  it('answers InvalidVPCId for a VPC that does not exist in that region', async () => {
    const twin = newTwin();
    await expect(associate(twin, HUB, SSM, 'vpc-0deadbeef0000000')).rejects.toMatchObject({ name: 'InvalidVPCId' });
    await expect(
      r53As(twin, HUB).send(
        new AssociateVPCWithHostedZoneCommand({ HostedZoneId: SSM, VPC: { VPCId: HUB_VPC_2, VPCRegion: 'eu-west-1' } }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidVPCId' });
  });

  it('lets only the zone owner authorize, and keeps one authorization per VPC', async () => {
    const twin = newTwin();
    await expect(
      r53As(twin, SPOKE).send(new CreateVPCAssociationAuthorizationCommand({ HostedZoneId: SSM, VPC: ref(SPOKE_VPC) })),
    ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

    const first = await authorize(twin, SSM, SPOKE_VPC);
    await authorize(twin, SSM, SPOKE_VPC);

    expect(first).toMatchObject({ HostedZoneId: SSM, VPC: { VPCId: SPOKE_VPC, VPCRegion: R } });
    const list = await r53As(twin, HUB).send(new ListVPCAssociationAuthorizationsCommand({ HostedZoneId: SSM }));
    expect(list).toMatchObject({ HostedZoneId: SSM, VPCs: [{ VPCId: SPOKE_VPC, VPCRegion: R }] });
  });

  it(`answers TooManyVPCAssociationAuthorizations past ${MAX_AUTHORIZATIONS_PER_ZONE} authorizations`, async () => {
    // 101 calls in a frozen instant would empty the account's token bucket (50) first.
    const twin = newTwin(world(), { throttling: false });
    for (let i = 0; i < MAX_AUTHORIZATIONS_PER_ZONE; i += 1) {
      await authorize(twin, SSM, `vpc-0b${i.toString(16).padStart(15, '0')}`);
    }

    await expect(authorize(twin, SSM, SPOKE_VPC)).rejects.toMatchObject({
      name: 'TooManyVPCAssociationAuthorizations',
    });
  });

  it('answers VPCAssociationAuthorizationNotFound for an authorization that does not exist', async () => {
    const twin = newTwin();
    await expect(
      r53As(twin, HUB).send(new DeleteVPCAssociationAuthorizationCommand({ HostedZoneId: SSM, VPC: ref(SPOKE_VPC) })),
    ).rejects.toMatchObject({ name: 'VPCAssociationAuthorizationNotFound', $metadata: { httpStatusCode: 404 } });
  });
});

describe('Twin Route 53: association errors', () => {
  it('answers ConflictingDomainExists when the VPC is associated with another zone of the same name', async () => {
    const twin = newTwin();
    await authorize(twin, SSM, SPOKE_VPC);
    await associate(twin, SPOKE, SSM, SPOKE_VPC);
    settle();
    await r53As(twin, OTHER).send(
      new CreateVPCAssociationAuthorizationCommand({ HostedZoneId: SSM_TWIN, VPC: ref(SPOKE_VPC) }),
    );

    await expect(associate(twin, SPOKE, SSM_TWIN, SPOKE_VPC)).rejects.toMatchObject({
      name: 'ConflictingDomainExists',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('answers ConflictingDomainExists, not success, when the VPC is already associated with the zone', async () => {
    const twin = newTwin();
    await authorize(twin, SSM, SPOKE_VPC);
    await associate(twin, SPOKE, SSM, SPOKE_VPC);
    settle();

    await expect(associate(twin, SPOKE, SSM, SPOKE_VPC)).rejects.toMatchObject({ name: 'ConflictingDomainExists' });
  });

  it('associates zones of different names with the same VPC', async () => {
    const twin = newTwin();
    await associate(twin, HUB, SSM, HUB_VPC_2);
    await associate(twin, HUB, STS, HUB_VPC_2);

    const byVpc = await r53As(twin, HUB).send(new ListHostedZonesByVPCCommand({ VPCId: HUB_VPC_2, VPCRegion: R }));
    expect(byVpc.HostedZoneSummaries?.map((z) => z.HostedZoneId).sort()).toEqual([SSM, STS]);
  });

  it('answers PriorRequestNotComplete while the previous change to the zone is PENDING, then accepts', async () => {
    const twin = newTwin();
    await authorize(twin, SSM, SPOKE_VPC);
    await authorize(twin, SSM, SPOKE_VPC_2);
    const first = await associate(twin, SPOKE, SSM, SPOKE_VPC);
    const changeId = first.ChangeInfo!.Id!;

    jest.setSystemTime(T0 + CHANGE_MS - 1);
    await expect(associate(twin, SPOKE, SSM, SPOKE_VPC_2)).rejects.toMatchObject({
      name: 'PriorRequestNotComplete',
      $metadata: { httpStatusCode: 400 },
    });
    const pending = await r53As(twin, SPOKE).send(new GetChangeCommand({ Id: changeId }));
    expect(pending.ChangeInfo?.Status).toBe('PENDING');

    jest.setSystemTime(T0 + CHANGE_MS);
    const insync = await r53As(twin, SPOKE).send(new GetChangeCommand({ Id: changeId }));
    expect(insync.ChangeInfo).toMatchObject({ Id: changeId, Status: 'INSYNC' });
    await expect(associate(twin, SPOKE, SSM, SPOKE_VPC_2)).resolves.toMatchObject({
      ChangeInfo: { Status: 'PENDING' },
    });
  });

  it('does not hold other zones busy while one zone has a pending change', async () => {
    const twin = newTwin();
    await associate(twin, HUB, SSM, HUB_VPC_2);

    await expect(associate(twin, HUB, STS, HUB_VPC_2)).resolves.toBeDefined();
  });

  it('answers LimitsExceeded once the zone has maxVpcs VPCs (small limit from the world)', async () => {
    const zones = defaultZones();
    zones[0] = { ...zones[0]!, maxVpcs: 2 } as (typeof zones)[number];
    const twin = newTwin(world(zones));
    await associate(twin, HUB, SSM, HUB_VPC_2);
    settle();
    await authorize(twin, SSM, SPOKE_VPC);

    await expect(associate(twin, SPOKE, SSM, SPOKE_VPC)).rejects.toMatchObject({ name: 'LimitsExceeded' });
    const limit = await r53As(twin, HUB).send(
      new GetHostedZoneLimitCommand({ HostedZoneId: SSM, Type: 'MAX_VPCS_ASSOCIATED_BY_ZONE' }),
    );
    expect(limit).toMatchObject({ Limit: { Type: 'MAX_VPCS_ASSOCIATED_BY_ZONE', Value: 2 }, Count: 2 });
  });

  it('associates 300 VPCs with a zone by default and answers LimitsExceeded to the 301st', async () => {
    const extra = Array.from({ length: 300 }, (_, i) => ({
      id: `vpc-0e${i.toString(16).padStart(15, '0')}`,
      ownerId: HUB,
      region: R,
      cidrBlocks: [`10.${Math.floor(i / 250)}.${i % 250}.0/24`],
    }));
    const twin = newTwin(world(defaultZones(), extra), { throttling: false, timings: { route53ChangeMs: 0 } });
    const hub = r53As(twin, HUB);

    for (const v of extra.slice(0, 299)) {
      await hub.send(new AssociateVPCWithHostedZoneCommand({ HostedZoneId: SSM, VPC: ref(v.id) }));
    }
    const limit = await hub.send(
      new GetHostedZoneLimitCommand({ HostedZoneId: SSM, Type: 'MAX_VPCS_ASSOCIATED_BY_ZONE' }),
    );

    expect(limit).toMatchObject({ Limit: { Value: 300 }, Count: 300 });
    await expect(
      hub.send(new AssociateVPCWithHostedZoneCommand({ HostedZoneId: SSM, VPC: ref(extra[299]!.id) })),
    ).rejects.toMatchObject({ name: 'LimitsExceeded' });
  });

  it('associates a VPC whose DNS attributes are off, where the zone then does not resolve', async () => {
    const twin = newTwin();
    await authorize(twin, SSM, SPOKE_VPC_NO_DNS);
    await authorize(twin, STS, SPOKE_VPC);

    await associate(twin, SPOKE, SSM, SPOKE_VPC_NO_DNS);
    await associate(twin, SPOKE, STS, SPOKE_VPC);

    expect(await vpcsOf(twin, SSM)).toContain(SPOKE_VPC_NO_DNS);
    expect(zoneResolvesInVpc(twin, SSM, SPOKE_VPC_NO_DNS, R)).toBe(false);
    expect(zoneResolvesInVpc(twin, STS, SPOKE_VPC, R)).toBe(true);
    expect(zoneResolvesInVpc(twin, SSM, SPOKE_VPC, R)).toBe(false);
  });

  it('surfaces Throttling (HTTP 400) in a storm of AssociateVPCWithHostedZone calls', async () => {
    const twin = newTwin(world(), { timings: { route53ChangeMs: 0 } });
    const hub = r53As(twin, HUB);

    const results = await Promise.allSettled(
      Array.from({ length: 25 }, () =>
        hub.send(new AssociateVPCWithHostedZoneCommand({ HostedZoneId: STS, VPC: ref(HUB_VPC_2) })),
      ),
    );

    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Route53ServiceException] : []));
    const throttled = errors.filter((e) => e.name === 'Throttling');
    // AssociateVPCWithHostedZone bucket: burst 20 (the clock is frozen, so nothing refills).
    expect(throttled).toHaveLength(5);
    expect(throttled[0]).toMatchObject({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('Twin Route 53: throttling buckets', () => {
  it('takes DisassociateVPCFromHostedZone calls from their own bucket as well as the account bucket', async () => {
    // The documented 10/5 per-operation bucket, given explicitly (the twin's defaults may not list it).
    const twin = newTwin(world(), {
      buckets: { 'route53:DisassociateVPCFromHostedZone': { burst: 10, refillPerSecond: 5 } },
    });
    const hub = r53As(twin, HUB);

    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        hub.send(new DisassociateVPCFromHostedZoneCommand({ HostedZoneId: SSM, VPC: ref(HUB_VPC_2) })),
      ),
    );

    const names = results.map((r) => (r.status === 'rejected' ? (r.reason as Error).name : 'ok'));
    expect(names.filter((n) => n === 'Throttling')).toHaveLength(2);
    expect(names.filter((n) => n === 'VPCAssociationNotFound')).toHaveLength(10);
    // Other operations still have tokens: only the account bucket is shared.
    await expect(hub.send(new GetHostedZoneCommand({ Id: SSM }))).resolves.toBeDefined();
  });
});

describe('Twin Route 53: disassociation', () => {
  async function spokeAssociated() {
    const twin = newTwin();
    await authorize(twin, SSM, SPOKE_VPC);
    await associate(twin, SPOKE, SSM, SPOKE_VPC);
    settle();
    return twin;
  }

  it('lets the VPC owner disassociate its VPC from the zone of another account', async () => {
    const twin = await spokeAssociated();
    await disassociate(twin, SPOKE, SSM, SPOKE_VPC);
    expect(await vpcsOf(twin, SSM)).toEqual([HUB_VPC]);
  });

  it("lets the zone owner disassociate another account's VPC", async () => {
    const twin = await spokeAssociated();
    const out = await disassociate(twin, HUB, SSM, SPOKE_VPC);
    expect(out.ChangeInfo?.Status).toBe('PENDING');
    expect(await vpcsOf(twin, SSM)).toEqual([HUB_VPC]);
  });

  it('refuses a third account that owns neither the zone nor the VPC', async () => {
    const twin = await spokeAssociated();
    await expect(disassociate(twin, OTHER, SSM, SPOKE_VPC)).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    expect(await vpcsOf(twin, SSM)).toEqual([HUB_VPC, SPOKE_VPC].sort());
  });

  it('answers LastVPCAssociation for the last VPC of a zone', async () => {
    const twin = newTwin();
    await expect(disassociate(twin, HUB, STS, HUB_VPC)).rejects.toMatchObject({
      name: 'LastVPCAssociation',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('answers VPCAssociationNotFound for a VPC that is not associated', async () => {
    const twin = newTwin();
    await expect(disassociate(twin, HUB, SSM, HUB_VPC_2)).rejects.toMatchObject({
      name: 'VPCAssociationNotFound',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('restores the snapshot after authorize, associate, disassociate and deauthorize', async () => {
    const twin = newTwin();
    const before = twin.snapshot();

    await authorize(twin, SSM, SPOKE_VPC);
    await associate(twin, SPOKE, SSM, SPOKE_VPC);
    settle();
    await disassociate(twin, SPOKE, SSM, SPOKE_VPC);
    await r53As(twin, HUB).send(
      new DeleteVPCAssociationAuthorizationCommand({ HostedZoneId: SSM, VPC: ref(SPOKE_VPC) }),
    );

    expect(twin.snapshot()).toEqual(before);
  });
});

describe('Twin Route 53: hosted zones', () => {
  it('answers GetHostedZone with the /hostedzone/ id and the VPCs, and accepts a prefixed id from the SDK', async () => {
    const twin = newTwin();
    const out = await r53As(twin, HUB).send(new GetHostedZoneCommand({ Id: `/hostedzone/${SSM}` }));

    expect(out.HostedZone).toMatchObject({ Id: `/hostedzone/${SSM}`, Name: SSM_NAME, Config: { PrivateZone: true } });
    expect(out.VPCs).toEqual([{ VPCId: HUB_VPC, VPCRegion: R }]);
  });

  it('denies GetHostedZone to another account and answers NoSuchHostedZone for an unknown id', async () => {
    const twin = newTwin();
    await expect(r53As(twin, SPOKE).send(new GetHostedZoneCommand({ Id: SSM }))).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      r53As(twin, HUB).send(new GetHostedZoneCommand({ Id: 'Z0NOPE0000000000000000' })),
    ).rejects.toMatchObject({ name: 'NoSuchHostedZone', $metadata: { httpStatusCode: 404 } });
  });

  it('creates a private zone for its own VPC, with a lowercase dotted name and a pending change', async () => {
    const twin = newTwin();
    const out = await r53As(twin, SPOKE).send(
      new CreateHostedZoneCommand({ Name: 'App.Internal', CallerReference: 'ref-1', VPC: ref(SPOKE_VPC) }),
    );

    expect(out.HostedZone).toMatchObject({
      Id: expect.stringMatching(/^\/hostedzone\/Z[0-9A-Z]+$/),
      Name: 'app.internal.',
    });
    expect(out.Location).toBe(
      `https://route53.amazonaws.com/2013-04-01/hostedzone/${out.HostedZone!.Id!.split('/')[2]}`,
    );
    expect(out.ChangeInfo?.Status).toBe('PENDING');
    expect(out.VPC).toEqual({ VPCId: SPOKE_VPC, VPCRegion: R });
    const list = await r53As(twin, SPOKE).send(new ListHostedZonesCommand({}));
    expect(list.HostedZones?.map((z) => z.Name)).toEqual(['app.internal.']);
  });

  it('answers HostedZoneAlreadyExists to a reused CallerReference, even for the same request', async () => {
    const twin = newTwin();
    const request = { Name: 'app.internal', CallerReference: 'ref-1', VPC: ref(SPOKE_VPC) };
    await r53As(twin, SPOKE).send(new CreateHostedZoneCommand(request));

    await expect(r53As(twin, SPOKE).send(new CreateHostedZoneCommand(request))).rejects.toMatchObject({
      name: 'HostedZoneAlreadyExists',
      $metadata: { httpStatusCode: 409 },
    });
  });

  it("refuses to create a zone for another account's VPC or a second zone of the same name on a VPC", async () => {
    const twin = newTwin();
    await expect(
      r53As(twin, SPOKE).send(
        new CreateHostedZoneCommand({ Name: 'a.internal', CallerReference: 'r1', VPC: ref(HUB_VPC) }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidVPCId' });
    await expect(
      r53As(twin, HUB).send(new CreateHostedZoneCommand({ Name: SSM_NAME, CallerReference: 'r2', VPC: ref(HUB_VPC) })),
    ).rejects.toMatchObject({ name: 'ConflictingDomainExists' });
  });

  it('deletes a zone for its owner only, after its pending change', async () => {
    const twin = newTwin();
    const created = await r53As(twin, SPOKE).send(
      new CreateHostedZoneCommand({ Name: 'app.internal', CallerReference: 'ref-1', VPC: ref(SPOKE_VPC) }),
    );
    const id = created.HostedZone!.Id!;

    await expect(r53As(twin, SPOKE).send(new DeleteHostedZoneCommand({ Id: id }))).rejects.toMatchObject({
      name: 'PriorRequestNotComplete',
    });
    settle();
    await expect(r53As(twin, HUB).send(new DeleteHostedZoneCommand({ Id: id }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    await r53As(twin, SPOKE).send(new DeleteHostedZoneCommand({ Id: id }));
    await expect(r53As(twin, SPOKE).send(new GetHostedZoneCommand({ Id: id }))).rejects.toMatchObject({
      name: 'NoSuchHostedZone',
    });
  });

  it('lists zones by VPC only for the VPC owner', async () => {
    const twin = newTwin();
    await expect(
      r53As(twin, SPOKE).send(new ListHostedZonesByVPCCommand({ VPCId: HUB_VPC, VPCRegion: R })),
    ).rejects.toMatchObject({ name: 'InvalidInput' });
  });

  it('pages ListHostedZonesByVPC with NextToken', async () => {
    const twin = newTwin();
    const hub = r53As(twin, HUB);

    const first = await hub.send(new ListHostedZonesByVPCCommand({ VPCId: HUB_VPC, VPCRegion: R, MaxItems: 1 }));
    const second = await hub.send(
      new ListHostedZonesByVPCCommand({ VPCId: HUB_VPC, VPCRegion: R, MaxItems: 1, NextToken: first.NextToken }),
    );

    expect(first.NextToken).toBeDefined();
    expect(
      [...(first.HostedZoneSummaries ?? []), ...(second.HostedZoneSummaries ?? [])].map((z) => z.HostedZoneId),
    ).toEqual([SSM, STS]);
    expect(second.NextToken).toBeUndefined();
  });

  it('names the bad zone of a world file', () => {
    const zones = [{ id: SSM, name: SSM_NAME, ownerId: HUB, vpcs: [{ vpcId: 'vpc-0dead00000000000', region: R }] }];
    expect(() => newTwin(world(zones))).toThrow(/route53\.zones\.0\.vpcs\.0/);
  });
});
