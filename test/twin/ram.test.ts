import {
  AcceptResourceShareInvitationCommand,
  AssociateResourceShareCommand,
  CreateResourceShareCommand,
  DeleteResourceShareCommand,
  DisassociateResourceShareCommand,
  EnableSharingWithAwsOrganizationCommand,
  GetResourceShareAssociationsCommand,
  GetResourceShareInvitationsCommand,
  GetResourceSharesCommand,
  ListResourcesCommand,
  RAMClient,
  RAMServiceException,
  RejectResourceShareInvitationCommand,
} from '@aws-sdk/client-ram';
import { twinPlugin } from '#twin/plugin';
import { DEFAULT_RAM_INVITATION_EXPIRY_MS, isResourceSharedWith } from '#twin/services/ram';
import type { Twin } from '#twin/twin';
import { createTwin, parseWorld } from '#twin/world';

const MGMT = '999999999999';
const HUB = '111111111111';
const SPOKE = '222222222222';
const OTHER_MEMBER = '333333333333';
const EXTERNAL = '555555555555';
const ORG = 'o-exampleorg1';
const OU = 'ou-ab12-wkld0001';
const ORG_ARN = `arn:aws:organizations::${MGMT}:organization/${ORG}`;
const OU_ARN = `arn:aws:organizations::${MGMT}:ou/${ORG}/${OU}`;
const role = (account: string) => `arn:aws:iam::${account}:role/admin`;
// A resource of the hub that needs no EC2 lookup (RAM checks these syntactically: owner account and region).
const SUBNET = `arn:aws:ec2:us-east-1:${HUB}:subnet/subnet-0a1b2c3d4e5f60718`;
const T0 = Date.parse('2026-11-27T10:00:00Z');
const VISIBILITY_MS = 30_000;

function world(options: { sharingEnabled?: boolean; shares?: unknown[]; invitationExpiryHours?: number } = {}) {
  return parseWorld({
    version: 1,
    organization: {
      id: ORG,
      managementAccountId: MGMT,
      organizationalUnits: [{ id: OU, name: 'workloads' }],
      accounts: [
        { id: HUB, name: 'network' },
        { id: SPOKE, name: 'app', parentId: OU },
        { id: OTHER_MEMBER, name: 'sandbox' },
      ],
    },
    iam: { principals: [MGMT, HUB, SPOKE, OTHER_MEMBER, EXTERNAL].map(role) },
    ram: {
      sharingWithOrganizationEnabled: options.sharingEnabled ?? true,
      shares: options.shares ?? [],
      invitationExpiryHours: options.invitationExpiryHours,
    },
  });
}

function newTwin(options: Parameters<typeof world>[0] = {}): Twin {
  return createTwin(world(options), { timings: { ramShareVisibilityMs: VISIBILITY_MS } });
}

function ramAs(twin: Twin, account: string): RAMClient {
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(role(account));
  const client = new RAMClient({ region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  client.middlewareStack.use(twinPlugin(twin));
  return client;
}

async function share(twin: Twin, principals: string[], extra: { allowExternalPrincipals?: boolean } = {}) {
  const out = await ramAs(twin, HUB).send(
    new CreateResourceShareCommand({ name: 'tgw', resourceArns: [SUBNET], principals, ...extra }),
  );
  return out.resourceShare!.resourceShareArn!;
}

async function principalAssociations(twin: Twin, shareArn: string) {
  const out = await ramAs(twin, HUB).send(
    new GetResourceShareAssociationsCommand({ associationType: 'PRINCIPAL', resourceShareArns: [shareArn] }),
  );
  return out.resourceShareAssociations ?? [];
}

async function invitationsOf(twin: Twin, account: string) {
  const out = await ramAs(twin, account).send(new GetResourceShareInvitationsCommand({}));
  return out.resourceShareInvitations ?? [];
}

beforeEach(() => {
  jest.useFakeTimers({
    now: T0,
    doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
  });
});
afterEach(() => jest.useRealTimers());

describe('Twin RAM: sharing inside the organization', () => {
  it('associates an in-org account at once, without an invitation, when sharing with the organization is on', async () => {
    const twin = newTwin();
    const shareArn = await share(twin, [SPOKE]);

    expect(await principalAssociations(twin, shareArn)).toEqual([
      expect.objectContaining({ associatedEntity: SPOKE, status: 'ASSOCIATED', external: false }),
    ]);
    expect(await invitationsOf(twin, SPOKE)).toEqual([]);
    const seen = await ramAs(twin, SPOKE).send(new GetResourceSharesCommand({ resourceOwner: 'OTHER-ACCOUNTS' }));
    expect(seen.resourceShares?.map((s) => s.resourceShareArn)).toEqual([shareArn]);
    const resources = await ramAs(twin, SPOKE).send(new ListResourcesCommand({ resourceOwner: 'OTHER-ACCOUNTS' }));
    expect(resources.resources).toEqual([
      expect.objectContaining({ arn: SUBNET, type: 'ec2:Subnet', resourceShareArn: shareArn, status: 'AVAILABLE' }),
    ]);
  });

  it('shares with an OU: accounts in it get the resource, accounts elsewhere in the organization do not', async () => {
    const twin = newTwin();
    await share(twin, [OU_ARN]);
    const later = T0 + VISIBILITY_MS;

    expect(isResourceSharedWith(twin, SUBNET, SPOKE, later)).toBe(true);
    expect(isResourceSharedWith(twin, SUBNET, OTHER_MEMBER, later)).toBe(false);
    expect(isResourceSharedWith(twin, SUBNET, EXTERNAL, later)).toBe(false);
  });

  it('shares with the whole organization, never with an account outside it', async () => {
    const twin = newTwin();
    await share(twin, [ORG_ARN]);
    const later = T0 + VISIBILITY_MS;

    expect(isResourceSharedWith(twin, SUBNET, OTHER_MEMBER, later)).toBe(true);
    expect(isResourceSharedWith(twin, SUBNET, EXTERNAL, later)).toBe(false);
  });

  it('invites even a member account when sharing with the organization is off, and refuses org principals', async () => {
    const twin = newTwin({ sharingEnabled: false });
    const shareArn = await share(twin, [SPOKE]);

    expect(await principalAssociations(twin, shareArn)).toEqual([
      expect.objectContaining({ associatedEntity: SPOKE, status: 'ASSOCIATING', external: false }),
    ]);
    expect(await invitationsOf(twin, SPOKE)).toEqual([expect.objectContaining({ status: 'PENDING' })]);
    await expect(share(twin, [ORG_ARN])).rejects.toMatchObject({
      name: 'OperationNotPermittedException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('finds the organization principal by its ARN: ASSOCIATED at once, not external, no member invited', async () => {
    const twin = newTwin();
    const shareArn = await share(twin, [ORG_ARN], { allowExternalPrincipals: false });

    const out = await ramAs(twin, HUB).send(
      new GetResourceShareAssociationsCommand({
        associationType: 'PRINCIPAL',
        principal: ORG_ARN,
        associationStatus: 'ASSOCIATED',
      }),
    );
    expect(out.resourceShareAssociations).toEqual([
      expect.objectContaining({ resourceShareArn: shareArn, associatedEntity: ORG_ARN, external: false }),
    ]);
    for (const member of [SPOKE, OTHER_MEMBER]) expect(await invitationsOf(twin, member)).toEqual([]);
  });

  it('refuses an organization ARN that names another management account, and creates nothing', async () => {
    const twin = newTwin();
    const wrongManagement = `arn:aws:organizations::${HUB}:organization/${ORG}`;

    await expect(share(twin, [wrongManagement])).rejects.toMatchObject({
      name: 'UnknownResourceException',
      message: `Organization ${ORG} could not be found.`,
    });
    await expect(share(twin, [`arn:aws:organizations::${HUB}:ou/${ORG}/${OU}`])).rejects.toMatchObject({
      name: 'UnknownResourceException',
    });
    const own = await ramAs(twin, HUB).send(new GetResourceSharesCommand({ resourceOwner: 'SELF' }));
    expect(own.resourceShares).toEqual([]);
  });

  it('lets only the management account enable sharing with the organization', async () => {
    const twin = newTwin({ sharingEnabled: false });
    await expect(ramAs(twin, HUB).send(new EnableSharingWithAwsOrganizationCommand({}))).rejects.toMatchObject({
      name: 'OperationNotPermittedException',
    });

    const out = await ramAs(twin, MGMT).send(new EnableSharingWithAwsOrganizationCommand({}));
    expect(out.returnValue).toBe(true);
    const shareArn = await share(twin, [SPOKE]);
    expect(await principalAssociations(twin, shareArn)).toEqual([expect.objectContaining({ status: 'ASSOCIATED' })]);
  });
});

describe('Twin RAM: principals outside the organization', () => {
  it('invites an external account; the share is usable only after the invitation is accepted', async () => {
    const twin = newTwin();
    const shareArn = await share(twin, [EXTERNAL]);

    expect(await principalAssociations(twin, shareArn)).toEqual([
      expect.objectContaining({ associatedEntity: EXTERNAL, status: 'ASSOCIATING', external: true }),
    ]);
    const [invitation] = await invitationsOf(twin, EXTERNAL);
    expect(invitation).toMatchObject({
      status: 'PENDING',
      senderAccountId: HUB,
      receiverAccountId: EXTERNAL,
      resourceShareArn: shareArn,
    });
    const before = await ramAs(twin, EXTERNAL).send(new GetResourceSharesCommand({ resourceOwner: 'OTHER-ACCOUNTS' }));
    expect(before.resourceShares).toEqual([]);
    expect(isResourceSharedWith(twin, SUBNET, EXTERNAL, T0 + 10 * VISIBILITY_MS)).toBe(false);

    jest.setSystemTime(T0 + 60_000);
    const accepted = await ramAs(twin, EXTERNAL).send(
      new AcceptResourceShareInvitationCommand({ resourceShareInvitationArn: invitation!.resourceShareInvitationArn }),
    );

    expect(accepted.resourceShareInvitation?.status).toBe('ACCEPTED');
    expect(await principalAssociations(twin, shareArn)).toEqual([expect.objectContaining({ status: 'ASSOCIATED' })]);
    // The propagation delay counts from the acceptance, not from the share.
    expect(isResourceSharedWith(twin, SUBNET, EXTERNAL, T0 + 60_000 + VISIBILITY_MS - 1)).toBe(false);
    expect(isResourceSharedWith(twin, SUBNET, EXTERNAL, T0 + 60_000 + VISIBILITY_MS)).toBe(true);
  });

  it('answers ResourceShareInvitationAlreadyAcceptedException to a second acceptance', async () => {
    const twin = newTwin();
    await share(twin, [EXTERNAL]);
    const [invitation] = await invitationsOf(twin, EXTERNAL);
    const accept = () =>
      ramAs(twin, EXTERNAL).send(
        new AcceptResourceShareInvitationCommand({
          resourceShareInvitationArn: invitation!.resourceShareInvitationArn,
        }),
      );
    await accept();

    await expect(accept()).rejects.toMatchObject({ name: 'ResourceShareInvitationAlreadyAcceptedException' });
  });

  it('marks the principal association FAILED after a rejection and refuses a later acceptance', async () => {
    const twin = newTwin();
    const shareArn = await share(twin, [EXTERNAL]);
    const [invitation] = await invitationsOf(twin, EXTERNAL);
    const arn = invitation!.resourceShareInvitationArn;

    const rejected = await ramAs(twin, EXTERNAL).send(
      new RejectResourceShareInvitationCommand({ resourceShareInvitationArn: arn }),
    );

    expect(rejected.resourceShareInvitation?.status).toBe('REJECTED');
    expect(await principalAssociations(twin, shareArn)).toEqual([expect.objectContaining({ status: 'FAILED' })]);
    await expect(
      ramAs(twin, EXTERNAL).send(new AcceptResourceShareInvitationCommand({ resourceShareInvitationArn: arn })),
    ).rejects.toMatchObject({ name: 'ResourceShareInvitationAlreadyRejectedException' });
  });

  it('expires an invitation left unanswered for 12 hours by default', async () => {
    const twin = newTwin();
    await share(twin, [EXTERNAL]);
    const [invitation] = await invitationsOf(twin, EXTERNAL);
    jest.setSystemTime(T0 + DEFAULT_RAM_INVITATION_EXPIRY_MS);

    await expect(
      ramAs(twin, EXTERNAL).send(
        new AcceptResourceShareInvitationCommand({
          resourceShareInvitationArn: invitation!.resourceShareInvitationArn,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceShareInvitationExpiredException' });
    expect(await invitationsOf(twin, EXTERNAL)).toEqual([expect.objectContaining({ status: 'EXPIRED' })]);
  });

  it('keeps an invitation open for the hours the world sets (seven days for the listed resource types)', async () => {
    const twin = newTwin({ invitationExpiryHours: 168 });
    await share(twin, [EXTERNAL]);
    const [invitation] = await invitationsOf(twin, EXTERNAL);
    jest.setSystemTime(T0 + 168 * 3600_000 - 1);

    const out = await ramAs(twin, EXTERNAL).send(
      new AcceptResourceShareInvitationCommand({ resourceShareInvitationArn: invitation!.resourceShareInvitationArn }),
    );

    expect(out.resourceShareInvitation?.status).toBe('ACCEPTED');
  });

  it('hides an invitation from every account but its receiver', async () => {
    const twin = newTwin();
    await share(twin, [EXTERNAL]);
    const [invitation] = await invitationsOf(twin, EXTERNAL);

    expect(await invitationsOf(twin, SPOKE)).toEqual([]);
    await expect(
      ramAs(twin, SPOKE).send(
        new AcceptResourceShareInvitationCommand({
          resourceShareInvitationArn: invitation!.resourceShareInvitationArn,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceShareInvitationArnNotFoundException' });
  });

  it('refuses an external principal when allowExternalPrincipals is false, and creates nothing', async () => {
    const twin = newTwin();
    const before = twin.snapshot();

    await expect(share(twin, [EXTERNAL], { allowExternalPrincipals: false })).rejects.toMatchObject({
      name: 'OperationNotPermittedException',
      message: expect.stringContaining('can only be shared within your AWS Organization'),
    });
    expect(twin.snapshot()).toEqual(before);
  });
});

describe('Twin RAM: visibility delay and ownership', () => {
  it('keeps a freshly shared resource invisible to the principal for ramShareVisibilityMs', async () => {
    const twin = newTwin();
    await share(twin, [SPOKE]);

    expect(isResourceSharedWith(twin, SUBNET, SPOKE, T0)).toBe(false);
    expect(isResourceSharedWith(twin, SUBNET, SPOKE, T0 + VISIBILITY_MS - 1)).toBe(false);
    expect(isResourceSharedWith(twin, SUBNET, SPOKE, T0 + VISIBILITY_MS)).toBe(true);
  });

  it('counts the delay from the later of the resource and principal associations', async () => {
    const twin = newTwin();
    const shareArn = await share(twin, [SPOKE]);
    const late = `arn:aws:ec2:us-east-1:${HUB}:subnet/subnet-0b000000000000002`;
    jest.setSystemTime(T0 + 100_000);

    await ramAs(twin, HUB).send(
      new AssociateResourceShareCommand({ resourceShareArn: shareArn, resourceArns: [late] }),
    );

    expect(isResourceSharedWith(twin, SUBNET, SPOKE, T0 + 100_000)).toBe(true);
    expect(isResourceSharedWith(twin, late, SPOKE, T0 + 100_000 + VISIBILITY_MS - 1)).toBe(false);
    expect(isResourceSharedWith(twin, late, SPOKE, T0 + 100_000 + VISIBILITY_MS)).toBe(true);
  });

  it('treats the owner of a resource as always allowed', () => {
    const twin = newTwin();
    expect(isResourceSharedWith(twin, SUBNET, HUB, T0)).toBe(true);
    expect(isResourceSharedWith(twin, SUBNET, SPOKE, T0 + 10 * VISIBILITY_MS)).toBe(false);
  });

  it("accepts a share of another account's resource but fails its association, as AWS does", async () => {
    const twin = newTwin();
    const spokeSubnet = `arn:aws:ec2:us-east-1:${SPOKE}:subnet/subnet-0c000000000000003`;

    const out = await ramAs(twin, HUB).send(
      new CreateResourceShareCommand({ name: 'not-mine', resourceArns: [spokeSubnet], principals: [OTHER_MEMBER] }),
    );

    const assoc = await ramAs(twin, HUB).send(
      new GetResourceShareAssociationsCommand({
        associationType: 'RESOURCE',
        resourceShareArns: [out.resourceShare!.resourceShareArn!],
      }),
    );
    expect(assoc.resourceShareAssociations).toEqual([
      expect.objectContaining({
        associatedEntity: spokeSubnet,
        status: 'FAILED',
        statusMessage: 'The specified resource could not be found in your AWS account.',
      }),
    ]);
    expect(isResourceSharedWith(twin, spokeSubnet, OTHER_MEMBER, T0 + 10 * VISIBILITY_MS)).toBe(false);
  });

  it("does not let a principal add to or read another account's share", async () => {
    const twin = newTwin();
    const shareArn = await share(twin, [SPOKE]);

    await expect(
      ramAs(twin, SPOKE).send(
        new AssociateResourceShareCommand({ resourceShareArn: shareArn, principals: [EXTERNAL] }),
      ),
    ).rejects.toMatchObject({ name: 'UnknownResourceException' });
    const assoc = await ramAs(twin, SPOKE).send(
      new GetResourceShareAssociationsCommand({ associationType: 'PRINCIPAL', resourceShareArns: [shareArn] }),
    );
    expect(assoc.resourceShareAssociations).toEqual([]);
  });

  it('stops sharing with a disassociated principal', async () => {
    const twin = newTwin();
    const shareArn = await share(twin, [SPOKE]);
    jest.setSystemTime(T0 + VISIBILITY_MS);

    const out = await ramAs(twin, HUB).send(
      new DisassociateResourceShareCommand({ resourceShareArn: shareArn, principals: [SPOKE] }),
    );

    expect(out.resourceShareAssociations).toEqual([
      expect.objectContaining({ associatedEntity: SPOKE, status: 'DISASSOCIATING' }),
    ]);
    expect(await principalAssociations(twin, shareArn)).toEqual([expect.objectContaining({ status: 'DISASSOCIATED' })]);
    expect(isResourceSharedWith(twin, SUBNET, SPOKE, T0 + 10 * VISIBILITY_MS)).toBe(false);
  });

  it('restores the snapshot after a share is created and deleted', async () => {
    const twin = newTwin();
    const before = twin.snapshot();
    const shareArn = await share(twin, [SPOKE, EXTERNAL]);
    expect(twin.snapshot()).not.toEqual(before);

    await ramAs(twin, HUB).send(new DeleteResourceShareCommand({ resourceShareArn: shareArn }));

    expect(twin.snapshot()).toEqual(before);
  });
});

describe('Twin RAM: request validation and idempotency', () => {
  it('returns the same share for a retried clientToken and refuses the token with other parameters', async () => {
    const twin = newTwin();
    const hub = ramAs(twin, HUB);
    const request = { name: 'tgw', resourceArns: [SUBNET], principals: [SPOKE], clientToken: 'token-1' };

    const first = await hub.send(new CreateResourceShareCommand(request));
    const retry = await hub.send(new CreateResourceShareCommand(request));

    expect(retry.resourceShare?.resourceShareArn).toBe(first.resourceShare?.resourceShareArn);
    const own = await hub.send(new GetResourceSharesCommand({ resourceOwner: 'SELF' }));
    expect(own.resourceShares).toHaveLength(1);
    await expect(
      hub.send(new CreateResourceShareCommand({ ...request, principals: [OTHER_MEMBER] })),
    ).rejects.toMatchObject({ name: 'IdempotentParameterMismatchException' });
  });

  it('rejects a malformed resource ARN and a malformed principal as AWS does', async () => {
    const twin = newTwin();
    const hub = ramAs(twin, HUB);

    const bad = await hub
      .send(new CreateResourceShareCommand({ name: 'x', resourceArns: ['tgw-0a1b2c3d4e5f60718'] }))
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RAMServiceException);
    expect(bad).toMatchObject({ name: 'MalformedArnException', $metadata: { httpStatusCode: 400 } });
    // https://github.com/aws/amazon-sagemaker-examples/pull/3047: an IAM root ARN is not an account principal.
    await expect(
      hub.send(new CreateResourceShareCommand({ name: 'x', principals: [`arn:aws:iam::${SPOKE}:root`] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('requires resourceOwner and refuses tag filters with OTHER-ACCOUNTS', async () => {
    const twin = newTwin();
    const spoke = ramAs(twin, SPOKE);

    await expect(spoke.send(new GetResourceSharesCommand({} as never))).rejects.toMatchObject({
      name: 'MissingRequiredParameterException',
    });
    await expect(
      spoke.send(
        new GetResourceSharesCommand({ resourceOwner: 'OTHER-ACCOUNTS', tagFilters: [{ tagKey: 'a', tagValues: [] }] }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('filters own shares by tag', async () => {
    const twin = newTwin();
    const hub = ramAs(twin, HUB);
    await hub.send(new CreateResourceShareCommand({ name: 'a', tags: [{ key: 'team', value: 'net' }] }));
    await hub.send(new CreateResourceShareCommand({ name: 'b', tags: [{ key: 'team', value: 'app' }] }));

    const out = await hub.send(
      new GetResourceSharesCommand({ resourceOwner: 'SELF', tagFilters: [{ tagKey: 'team', tagValues: ['net'] }] }),
    );

    expect(out.resourceShares?.map((s) => s.name)).toEqual(['a']);
  });

  it('pages results with nextToken', async () => {
    const twin = newTwin();
    const hub = ramAs(twin, HUB);
    for (const name of ['a', 'b', 'c']) await hub.send(new CreateResourceShareCommand({ name }));

    const first = await hub.send(new GetResourceSharesCommand({ resourceOwner: 'SELF', maxResults: 2 }));
    const second = await hub.send(
      new GetResourceSharesCommand({ resourceOwner: 'SELF', maxResults: 2, nextToken: first.nextToken }),
    );

    expect(first.resourceShares?.map((s) => s.name)).toEqual(['a', 'b']);
    expect(second.resourceShares?.map((s) => s.name)).toEqual(['c']);
    expect(second.nextToken).toBeUndefined();
  });
});

describe('Twin RAM: world seed', () => {
  it('seeds established shares that are visible at once, and pending invitations', async () => {
    const twin = newTwin({
      shares: [
        { name: 'hub-tgw', ownerId: HUB, resourceArns: [SUBNET], principals: [OU_ARN], pendingPrincipals: [EXTERNAL] },
      ],
    });

    expect(isResourceSharedWith(twin, SUBNET, SPOKE, T0)).toBe(true);
    expect(await invitationsOf(twin, EXTERNAL)).toEqual([expect.objectContaining({ status: 'PENDING' })]);
  });

  it('refuses to seed a share with the organization when sharing with the organization is off', () => {
    expect(() =>
      newTwin({
        sharingEnabled: false,
        shares: [{ name: 'org', ownerId: HUB, resourceArns: [SUBNET], principals: [ORG_ARN] }],
      }),
    ).toThrow(/ram\.shares\.0\.principals: OperationNotPermittedException: .*within your AWS Organization/);
  });

  it('names the bad share of a world file', () => {
    expect(() =>
      newTwin({
        shares: [{ name: 'x', ownerId: HUB, resourceArns: [`arn:aws:ec2:us-east-1:${SPOKE}:subnet/subnet-1`] }],
      }),
    ).toThrow(/ram\.shares\.0\.resourceArns/);
  });
});
