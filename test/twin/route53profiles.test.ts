import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AssociateResourceShareCommand, CreateResourceShareCommand, RAMClient } from '@aws-sdk/client-ram';
import {
  AssociateVPCWithHostedZoneCommand,
  CreateVPCAssociationAuthorizationCommand,
  DisassociateVPCFromHostedZoneCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { twinPlugin } from '#twin/plugin';
import { resolvingZone } from '#twin/services/route53profiles';
import type { Twin } from '#twin/twin';
import { createTwin, parseWorld } from '#twin/world';
import {
  AssociateProfileCommand,
  AssociateResourceToProfileCommand,
  ConflictException,
  CreateProfileCommand,
  DeleteProfileCommand,
  DisassociateProfileCommand,
  DisassociateResourceFromProfileCommand,
  GetProfileAssociationCommand,
  GetProfileCommand,
  LimitExceededException,
  ListProfileAssociationsCommand,
  ListProfilesCommand,
  paginateListProfileResourceAssociations,
  ResourceExistsException,
  ResourceNotFoundException,
  Route53ProfilesClient,
  Route53ProfilesServiceException,
  ThrottlingException,
} from '../../sdk/client-route53profiles';

const HUB = '111111111111';
const SPOKE = '222222222222';
const OUTSIDER = '333333333333';
const R = 'us-east-1';
const role = (account: string) => `arn:aws:iam::${account}:role/admin`;
const HUB_VPC = 'vpc-0f000000000000001';
const SPOKE_VPC = 'vpc-0a000000000000001';
const SPOKE_VPC_2 = 'vpc-0a000000000000002';
const OUTSIDER_VPC = 'vpc-0c000000000000001';
const SSM = 'Z0SSM00000000000000001';
const STS = 'Z0STS00000000000000001';
/** The spoke's own zone of the SSM name (a VPC's local endpoint zone). */
const SPOKE_SSM = 'Z0SSM00000000000000009';
const zoneArn = (id: string) => `arn:aws:route53:::hostedzone/${id}`;
const T0 = Date.parse('2026-11-27T10:00:00Z');
const ASSOC_MS = 30_000;
const RAM_MS = 5_000;

function newTwin(): Twin {
  const vpc = (id: string, ownerId: string, cidr: string) => ({ id, ownerId, region: R, cidrBlocks: [cidr] });
  const world = parseWorld({
    version: 1,
    organization: {
      id: 'o-example1234',
      managementAccountId: HUB,
      accounts: [
        { id: HUB, name: 'network' },
        { id: SPOKE, name: 'app' },
      ],
    },
    iam: { principals: [HUB, SPOKE, OUTSIDER].map(role) },
    ec2: {
      vpcs: [
        vpc(HUB_VPC, HUB, '10.0.0.0/16'),
        vpc(SPOKE_VPC, SPOKE, '10.1.0.0/16'),
        vpc(SPOKE_VPC_2, SPOKE, '10.2.0.0/16'),
        vpc(OUTSIDER_VPC, OUTSIDER, '10.3.0.0/16'),
      ],
    },
    route53: {
      zones: [
        { id: SSM, name: 'ssm.us-east-1.amazonaws.com', ownerId: HUB, vpcs: [{ vpcId: HUB_VPC, region: R }] },
        { id: STS, name: 'sts.us-east-1.amazonaws.com', ownerId: HUB, vpcs: [{ vpcId: HUB_VPC, region: R }] },
        {
          id: SPOKE_SSM,
          name: 'ssm.us-east-1.amazonaws.com',
          ownerId: SPOKE,
          vpcs: [{ vpcId: SPOKE_VPC_2, region: R }],
        },
      ],
    },
    ram: { sharingWithOrganizationEnabled: true },
  });
  return createTwin(world, {
    timings: { profileAssociationMs: ASSOC_MS, profileResourceAssociationMs: 1_000, ramShareVisibilityMs: RAM_MS },
  });
}

type Credentials = { accessKeyId: string; secretAccessKey: string };

function as<C>(
  twin: Twin,
  account: string,
  Client: new (config: { region: string; credentials: Credentials; maxAttempts: number }) => C,
): C {
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(role(account));
  const client = new Client({ region: R, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  (client as unknown as { middlewareStack: { use(p: unknown): void } }).middlewareStack.use(twinPlugin(twin));
  return client;
}

const profiles = (twin: Twin, account: string) => as(twin, account, Route53ProfilesClient);
const advance = (ms: number) => jest.setSystemTime(Date.now() + ms);

/** A hub Profile holding the SSM and STS zones, shared with the organization and visible to its members. */
async function sharedProfile(twin: Twin): Promise<string> {
  const hub = profiles(twin, HUB);
  const { Profile } = await hub.send(new CreateProfileCommand({ Name: 'hub', ClientToken: 't-1' }));
  for (const zone of [SSM, STS]) {
    await hub.send(
      new AssociateResourceToProfileCommand({ Name: zone, ProfileId: Profile!.Id, ResourceArn: zoneArn(zone) }),
    );
  }
  await as(twin, HUB, RAMClient).send(
    new CreateResourceShareCommand({
      name: 'hub-profile',
      resourceArns: [Profile!.Arn!],
      principals: [`arn:aws:organizations::${HUB}:organization/o-example1234`],
    }),
  );
  advance(RAM_MS);
  return Profile!.Id!;
}

beforeEach(() => {
  jest.useFakeTimers({
    now: T0,
    doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
  });
});
afterEach(() => jest.useRealTimers());

describe('Twin Route 53 Profiles: profiles and their zones', () => {
  it('creates a Profile idempotently per client token, up to 5 per account and region (LimitExceededException)', async () => {
    const twin = newTwin();
    const hub = profiles(twin, HUB);
    const first = await hub.send(new CreateProfileCommand({ Name: 'a', ClientToken: 'same' }));
    const again = await hub.send(new CreateProfileCommand({ Name: 'a', ClientToken: 'same' }));
    expect(again.Profile?.Id).toBe(first.Profile?.Id);
    expect(first.Profile).toMatchObject({
      Arn: `arn:aws:route53profiles:${R}:${HUB}:profile/${first.Profile?.Id}`,
      OwnerId: HUB,
      Status: 'COMPLETE',
      ShareStatus: 'NOT_SHARED',
    });
    expect(first.Profile?.Id).toMatch(/^rp-[0-9a-f]{17}$/);
    for (const n of [2, 3, 4, 5]) await hub.send(new CreateProfileCommand({ Name: `p${n}`, ClientToken: `t${n}` }));
    await expect(hub.send(new CreateProfileCommand({ Name: 'p6', ClientToken: 't6' }))).rejects.toBeInstanceOf(
      LimitExceededException,
    );
    expect((await hub.send(new ListProfilesCommand({}))).ProfileSummaries).toHaveLength(5);
  });

  it('holds the owner’s private zones once each (ResourceExistsException), not another account’s', async () => {
    const twin = newTwin();
    const hub = profiles(twin, HUB);
    const { Profile } = await hub.send(new CreateProfileCommand({ Name: 'hub' }));
    const out = await hub.send(
      new AssociateResourceToProfileCommand({ Name: 'ssm', ProfileId: Profile!.Id, ResourceArn: zoneArn(SSM) }),
    );
    expect(out.ProfileResourceAssociation).toMatchObject({
      Status: 'CREATING',
      ResourceType: 'AWS::Route53::HostedZone',
    });
    await expect(
      hub.send(
        new AssociateResourceToProfileCommand({ Name: 'ssm', ProfileId: Profile!.Id, ResourceArn: zoneArn(SSM) }),
      ),
    ).rejects.toBeInstanceOf(ResourceExistsException);
    await expect(
      hub.send(
        new AssociateResourceToProfileCommand({ Name: 'x', ProfileId: Profile!.Id, ResourceArn: zoneArn(SPOKE_SSM) }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    advance(1_000);
    const pages = paginateListProfileResourceAssociations({ client: hub }, { ProfileId: Profile!.Id });
    const held = [];
    for await (const page of pages) held.push(...(page.ProfileResourceAssociations ?? []));
    expect(held.map((r) => [r.ResourceArn, r.Status])).toEqual([[zoneArn(SSM), 'COMPLETE']]);
    await hub.send(new DisassociateResourceFromProfileCommand({ ProfileId: Profile!.Id, ResourceArn: zoneArn(SSM) }));
    advance(1_000);
    const after = await hub.send(new GetProfileCommand({ ProfileId: Profile!.Id }));
    expect(after.Profile?.Status).toBe('COMPLETE');
  });
});

describe('Twin Route 53 Profiles: VPC associations across accounts', () => {
  it('lets a member account associate the Profile shared with the organization: CREATING, then COMPLETE', async () => {
    const twin = newTwin();
    const id = await sharedProfile(twin);
    const spoke = profiles(twin, SPOKE);
    expect((await spoke.send(new GetProfileCommand({ ProfileId: id }))).Profile?.ShareStatus).toBe('SHARED_WITH_ME');
    expect((await profiles(twin, HUB).send(new GetProfileCommand({ ProfileId: id }))).Profile?.ShareStatus).toBe(
      'SHARED_BY_ME',
    );
    const { ProfileAssociation } = await spoke.send(
      new AssociateProfileCommand({ Name: 'spokelink', ProfileId: id, ResourceId: SPOKE_VPC }),
    );
    expect(ProfileAssociation).toMatchObject({ Status: 'CREATING', ResourceId: SPOKE_VPC, OwnerId: SPOKE });
    expect(resolvingZone(twin, 'ssm.us-east-1.amazonaws.com', SPOKE_VPC, R)).toBeUndefined();
    advance(ASSOC_MS - 1);
    const get = () => spoke.send(new GetProfileAssociationCommand({ ProfileAssociationId: ProfileAssociation!.Id }));
    expect((await get()).ProfileAssociation?.Status).toBe('CREATING');
    advance(1);
    expect((await get()).ProfileAssociation?.Status).toBe('COMPLETE');
    expect(resolvingZone(twin, 'ssm.us-east-1.amazonaws.com', SPOKE_VPC, R)).toEqual({ zoneId: SSM, via: 'profile' });
    expect(resolvingZone(twin, 'api.sts.us-east-1.amazonaws.com', SPOKE_VPC, R)).toEqual({
      zoneId: STS,
      via: 'profile',
    });

    // The owner cannot see its consumers' associations; the VPC owner can.
    await expect(
      profiles(twin, HUB).send(new GetProfileAssociationCommand({ ProfileAssociationId: ProfileAssociation!.Id })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(
      (await profiles(twin, HUB).send(new ListProfileAssociationsCommand({ ProfileId: id }))).ProfileAssociations,
    ).toEqual([]);
    expect((await spoke.send(new ListProfileAssociationsCommand({}))).ProfileAssociations).toHaveLength(1);

    // The Profile cannot be deleted while a VPC uses it.
    await expect(profiles(twin, HUB).send(new DeleteProfileCommand({ ProfileId: id }))).rejects.toBeInstanceOf(
      ConflictException,
    );

    await spoke.send(new DisassociateProfileCommand({ ProfileId: id, ResourceId: SPOKE_VPC }));
    expect((await get()).ProfileAssociation?.Status).toBe('DELETING');
    advance(ASSOC_MS);
    await expect(get()).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(resolvingZone(twin, 'ssm.us-east-1.amazonaws.com', SPOKE_VPC, R)).toBeUndefined();
    await profiles(twin, HUB).send(new DeleteProfileCommand({ ProfileId: id }));
  });

  it('allows one Profile per VPC: the same one again is ResourceExistsException, another ConflictException', async () => {
    const twin = newTwin();
    const id = await sharedProfile(twin);
    const spoke = profiles(twin, SPOKE);
    const { Profile: own } = await spoke.send(new CreateProfileCommand({ Name: 'team' }));
    await spoke.send(new AssociateProfileCommand({ Name: 'team', ProfileId: own!.Id, ResourceId: SPOKE_VPC }));
    await expect(
      spoke.send(new AssociateProfileCommand({ Name: 'team', ProfileId: own!.Id, ResourceId: SPOKE_VPC })),
    ).rejects.toBeInstanceOf(ResourceExistsException);
    const error = await spoke
      .send(new AssociateProfileCommand({ Name: 'spokelink', ProfileId: id, ResourceId: SPOKE_VPC }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictException);
    expect((error as Error).message).toContain(own!.Id!);
  });

  it('refuses what the caller may not do: another account’s VPC, an unshared Profile, an outsider', async () => {
    const twin = newTwin();
    const id = await sharedProfile(twin);
    // The hub cannot associate a spoke's VPC with its own Profile: only the VPC owner associates.
    await expect(
      profiles(twin, HUB).send(new AssociateProfileCommand({ Name: 'x', ProfileId: id, ResourceId: SPOKE_VPC })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    // Outside the organization the Profile is not shared: it does not exist for the account.
    await expect(
      profiles(twin, OUTSIDER).send(
        new AssociateProfileCommand({ Name: 'x', ProfileId: id, ResourceId: OUTSIDER_VPC }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    // A spoke cannot add zones to the hub's Profile it was shared.
    await expect(
      profiles(twin, SPOKE).send(
        new AssociateResourceToProfileCommand({ Name: 'x', ProfileId: id, ResourceArn: zoneArn(SPOKE_SSM) }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('shares with an outside account once its RAM invitation is accepted, not before the share is visible', async () => {
    const twin = newTwin();
    const hub = profiles(twin, HUB);
    const { Profile } = await hub.send(new CreateProfileCommand({ Name: 'hub' }));
    const ram = as(twin, HUB, RAMClient);
    const { resourceShare } = await ram.send(
      new CreateResourceShareCommand({ name: 'p', resourceArns: [Profile!.Arn!], principals: [SPOKE] }),
    );
    expect(resourceShare?.resourceShareArn).toBeDefined();
    // Right after sharing, the Profile is not visible yet (the RAM propagation the twin models for every share).
    await expect(profiles(twin, SPOKE).send(new GetProfileCommand({ ProfileId: Profile!.Id }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    // A Profile of another account cannot be shared by the hub.
    const { Profile: foreign } = await profiles(twin, OUTSIDER).send(new CreateProfileCommand({ Name: 'theirs' }));
    const out = await ram.send(
      new AssociateResourceShareCommand({
        resourceShareArn: resourceShare!.resourceShareArn!,
        resourceArns: [foreign!.Arn!],
      }),
    );
    expect(out.resourceShareAssociations?.[0]?.status).not.toBe('ASSOCIATED');
  });

  it('enforces 1,000 VPCs per Profile (adjustable quota) with LimitExceededException', async () => {
    const twin = newTwin();
    const id = await sharedProfile(twin);
    (twin.state.route53profiles as { quotas: { vpcsPerProfile: number } }).quotas.vpcsPerProfile = 1;
    const spoke = profiles(twin, SPOKE);
    await spoke.send(new AssociateProfileCommand({ Name: 'a', ProfileId: id, ResourceId: SPOKE_VPC }));
    await expect(
      spoke.send(new AssociateProfileCommand({ Name: 'b', ProfileId: id, ResourceId: SPOKE_VPC_2 })),
    ).rejects.toBeInstanceOf(LimitExceededException);
  });

  it('frees a VPC and its Profile once a disassociation is over, and lists an account its own associations only', async () => {
    const twin = newTwin();
    const id = await sharedProfile(twin);
    const spoke = profiles(twin, SPOKE);
    const hub = profiles(twin, HUB);
    const listed = async (client: Route53ProfilesClient, filter: { ResourceId?: string } = {}) =>
      (await client.send(new ListProfileAssociationsCommand(filter))).ProfileAssociations?.map((a) => [
        a.ResourceId,
        a.Status,
      ]);
    // Read first, so that the index exists before the writes below (it is built on first use).
    expect(await listed(spoke)).toEqual([]);
    await spoke.send(new AssociateProfileCommand({ Name: 'a', ProfileId: id, ResourceId: SPOKE_VPC }));
    await spoke.send(new AssociateProfileCommand({ Name: 'b', ProfileId: id, ResourceId: SPOKE_VPC_2 }));
    expect(await listed(spoke)).toEqual([
      [SPOKE_VPC, 'CREATING'],
      [SPOKE_VPC_2, 'CREATING'],
    ]);
    expect(await listed(spoke, { ResourceId: SPOKE_VPC_2 })).toEqual([[SPOKE_VPC_2, 'CREATING']]);
    // The Profile's owner does not see its consumers' associations.
    expect(await listed(hub)).toEqual([]);
    advance(ASSOC_MS);
    await spoke.send(new DisassociateProfileCommand({ ProfileId: id, ResourceId: SPOKE_VPC }));
    expect(await listed(spoke)).toEqual([
      [SPOKE_VPC, 'DELETING'],
      [SPOKE_VPC_2, 'COMPLETE'],
    ]);
    // DELETING still holds the VPC (ConflictException) and counts against the Profile (DeleteProfile refused).
    await expect(
      spoke.send(new AssociateProfileCommand({ Name: 'a', ProfileId: id, ResourceId: SPOKE_VPC })),
    ).rejects.toBeInstanceOf(ConflictException);
    // Disassociating again while DELETING keeps the deletion's end.
    advance(ASSOC_MS / 2);
    await spoke.send(new DisassociateProfileCommand({ ProfileId: id, ResourceId: SPOKE_VPC }));
    advance(ASSOC_MS / 2);
    expect(await listed(spoke)).toEqual([[SPOKE_VPC_2, 'COMPLETE']]);
    // Gone: the VPC can be associated again, and the Profile counts one VPC (the quota of 2 admits exactly one more).
    (twin.state.route53profiles as { quotas: { vpcsPerProfile: number } }).quotas.vpcsPerProfile = 2;
    await spoke.send(new AssociateProfileCommand({ Name: 'a', ProfileId: id, ResourceId: SPOKE_VPC }));
    expect(await listed(spoke, { ResourceId: SPOKE_VPC })).toEqual([[SPOKE_VPC, 'CREATING']]);
    advance(ASSOC_MS);
    for (const vpc of [SPOKE_VPC, SPOKE_VPC_2]) {
      await spoke.send(new DisassociateProfileCommand({ ProfileId: id, ResourceId: vpc }));
    }
    await expect(hub.send(new DeleteProfileCommand({ ProfileId: id }))).rejects.toBeInstanceOf(ConflictException);
    advance(ASSOC_MS);
    await expect(hub.send(new DeleteProfileCommand({ ProfileId: id }))).resolves.toMatchObject({
      Profile: { Status: 'DELETED' },
    });
  });

  it('keeps its association index up: nothing writes or deletes an association but its helpers', () => {
    const source = readFileSync(join(__dirname, '..', '..', 'twin', 'services', 'route53profiles.ts'), 'utf8');
    const direct = /(\.associations\[[^\]]+\]\s*=[^=])|delete\s+[\w.()]+\.associations\[/;
    const writes = source.split('\n').filter((line) => direct.test(line));
    // addVpcAssociation and removeVpcAssociation, nothing else.
    expect(writes.map((line) => line.trim())).toEqual(['s.associations[a.id] = a;', 'delete s.associations[id];']);
    expect(direct.test('    s.associations[record.id] = record;')).toBe(true);
  });

  it('throttles an account past its bucket with ThrottlingException', async () => {
    const twin = newTwin();
    const hub = profiles(twin, HUB);
    const calls = Array.from({ length: 11 }, () =>
      hub.send(new ListProfilesCommand({})).then(
        () => 'ok',
        (e) => e,
      ),
    );
    const results = await Promise.all(calls);
    expect(results.filter((r) => r instanceof ThrottlingException)).toHaveLength(1);
  });
});

describe('Twin Route 53 Profiles: resolution', () => {
  it('answers with the directly associated zone over the Profile’s zone of the same name (migration order)', async () => {
    const twin = newTwin();
    const id = await sharedProfile(twin);
    const spoke = profiles(twin, SPOKE);
    const spokeR53 = as(twin, SPOKE, Route53Client);
    // zones mode: the hub's SSM zone directly associated with the spoke VPC (authorized by the hub first).
    await as(twin, HUB, Route53Client).send(
      new CreateVPCAssociationAuthorizationCommand({ HostedZoneId: SSM, VPC: { VPCId: SPOKE_VPC, VPCRegion: R } }),
    );
    await spokeR53.send(
      new AssociateVPCWithHostedZoneCommand({ HostedZoneId: SSM, VPC: { VPCId: SPOKE_VPC, VPCRegion: R } }),
    );
    expect(resolvingZone(twin, 'ssm.us-east-1.amazonaws.com', SPOKE_VPC, R)).toEqual({ zoneId: SSM, via: 'zone' });
    // Profile first: the name keeps resolving (through the direct association) while the Profile is CREATING.
    await spoke.send(new AssociateProfileCommand({ Name: 'spokelink', ProfileId: id, ResourceId: SPOKE_VPC }));
    expect(resolvingZone(twin, 'ssm.us-east-1.amazonaws.com', SPOKE_VPC, R)).toEqual({ zoneId: SSM, via: 'zone' });
    advance(ASSOC_MS);
    expect(resolvingZone(twin, 'ssm.us-east-1.amazonaws.com', SPOKE_VPC, R)).toEqual({ zoneId: SSM, via: 'zone' });
    // Then the direct association goes (once Route 53's change is through): the Profile answers.
    advance(twin.timings.route53ChangeMs);
    await spokeR53.send(
      new DisassociateVPCFromHostedZoneCommand({ HostedZoneId: SSM, VPC: { VPCId: SPOKE_VPC, VPCRegion: R } }),
    );
    expect(resolvingZone(twin, 'ssm.us-east-1.amazonaws.com', SPOKE_VPC, R)).toEqual({ zoneId: SSM, via: 'profile' });
  });

  it('lets a VPC’s own zone of a name shadow the Profile’s zone of that name', async () => {
    const twin = newTwin();
    const id = await sharedProfile(twin);
    const spoke = profiles(twin, SPOKE);
    await spoke.send(new AssociateProfileCommand({ Name: 'spokelink', ProfileId: id, ResourceId: SPOKE_VPC_2 }));
    advance(ASSOC_MS);
    expect(resolvingZone(twin, 'ssm.us-east-1.amazonaws.com', SPOKE_VPC_2, R)).toEqual({
      zoneId: SPOKE_SSM,
      via: 'zone',
    });
    expect(resolvingZone(twin, 'sts.us-east-1.amazonaws.com', SPOKE_VPC_2, R)).toEqual({ zoneId: STS, via: 'profile' });
  });
});

describe('Route53ProfilesClient over HTTP (restJson1, SigV4)', () => {
  let server: Server;
  const seen: { method?: string; url?: string; auth?: string; body: string }[] = [];
  beforeAll(async () => {
    jest.useRealTimers();
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: String(req.headers.authorization), body });
        if (req.url?.startsWith('/profileassociation/Profileid/')) {
          res.writeHead(409, { 'content-type': 'application/json', 'x-amzn-errortype': 'ConflictException:http://x' });
          res.end(JSON.stringify({ Message: 'busy' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ ProfileAssociation: { Id: 'rpassoc-1', Status: 'CREATING', CreationTime: 1764237600 } }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the API reference’s method, path and body, signed for route53profiles, and maps modeled errors', async () => {
    jest.useRealTimers();
    const port = (server.address() as AddressInfo).port;
    const client = new Route53ProfilesClient({
      region: R,
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    const out = await client.send(new AssociateProfileCommand({ Name: 'n', ProfileId: 'rp-1', ResourceId: SPOKE_VPC }));
    expect(out.ProfileAssociation?.CreationTime).toEqual(new Date(1764237600 * 1000));
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/profileassociation' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ Name: 'n', ProfileId: 'rp-1', ResourceId: SPOKE_VPC });
    expect(seen[0]!.auth).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/route53profiles\/aws4_request/);
    const error = await client
      .send(new DisassociateProfileCommand({ ProfileId: 'rp-1', ResourceId: SPOKE_VPC }))
      .catch((e: unknown) => e);
    expect(seen[1]).toMatchObject({
      method: 'DELETE',
      url: `/profileassociation/Profileid/rp-1/resourceid/${SPOKE_VPC}`,
    });
    expect(error).toBeInstanceOf(ConflictException);
    expect(error).toBeInstanceOf(Route53ProfilesServiceException);
    expect((error as Error).message).toBe('busy');
    client.destroy();
  });
});
