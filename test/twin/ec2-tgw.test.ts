import {
  AcceptTransitGatewayVpcAttachmentCommand,
  AssociateTransitGatewayRouteTableCommand,
  CreateRouteCommand,
  CreateTagsCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayRouteCommand,
  CreateTransitGatewayRouteTableCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  DeleteTransitGatewayRouteCommand,
  DeleteTransitGatewayVpcAttachmentCommand,
  DeleteVpcCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeTransitGatewaysCommand,
  DescribeTransitGatewayVpcAttachmentsCommand,
  DisableTransitGatewayRouteTablePropagationCommand,
  DisassociateTransitGatewayRouteTableCommand,
  EC2Client,
  EnableTransitGatewayRouteTablePropagationCommand,
  GetTransitGatewayAttachmentPropagationsCommand,
  GetTransitGatewayRouteTableAssociationsCommand,
  GetTransitGatewayRouteTablePropagationsCommand,
  RejectTransitGatewayVpcAttachmentCommand,
  SearchTransitGatewayRoutesCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-ec2';
import {
  CreateResourceShareCommand,
  RAMClient,
  type ServiceInputTypes as RamInput,
  type ServiceOutputTypes as RamOutput,
} from '@aws-sdk/client-ram';
import type { Pluggable } from '@smithy/types';
import { twinPlugin } from '#twin/plugin';
import { configureEc2, failAttachment, findTransitGateway } from '#twin/services/ec2';
import { quotas } from '#twin/services/ec2/model';
import type { Twin } from '#twin/twin';
import type { TagChangeEvent } from '#twin/types';
import { createTwin, parseWorld } from '#twin/world';

const HUB = '111111111111';
const SPOKE = '222222222222';
const OTHER = '333333333333';
const role = (account: string) => `arn:aws:iam::${account}:role/spokelink`;
const TGW = 'tgw-0a1b2c3d4e5f60718';
const TGW_ARN = `arn:aws:ec2:us-east-1:${HUB}:transit-gateway/${TGW}`;
const PROD = 'tgw-rtb-0a000000000000001';
const NONPROD = 'tgw-rtb-0b000000000000002';
const SHARED = 'tgw-rtb-0c000000000000003';
const SPOKE_VPC = 'vpc-0b000000000000002';
const SPOKE2_VPC = 'vpc-0b000000000000003';
const OTHER_VPC = 'vpc-0c000000000000004';
const HUB_VPC = 'vpc-0f000000000000001';
const SA = 'subnet-0b00000000000000a';
const SB = 'subnet-0b00000000000000b';
const SA2 = 'subnet-0b00000000000000c';
const PENDING_MS = 90_000;
const DELETING_MS = 60_000;
const SHARE_DELAY_MS = 30_000;
const START = Date.parse('2026-03-01T00:00:00Z');

function world() {
  const vpc = (id: string, ownerId: string, cidr: string, subnets: [string, string, string][]) => ({
    id,
    ownerId,
    cidrBlocks: [cidr],
    subnets: subnets.map(([sid, zone, c]) => ({ id: sid, availabilityZone: zone, cidrBlock: c })),
  });
  return parseWorld({
    version: 1,
    organization: {
      id: 'o-exampleorg1',
      managementAccountId: '999999999999',
      accounts: [
        { id: HUB, name: 'network' },
        { id: SPOKE, name: 'app' },
        { id: OTHER, name: 'other' },
      ],
    },
    iam: { principals: [role(HUB), role(SPOKE), role(OTHER)] },
    ec2: {
      vpcs: [
        vpc(HUB_VPC, HUB, '10.0.0.0/16', [['subnet-0f00000000000000a', 'us-east-1a', '10.0.1.0/24']]),
        vpc(SPOKE_VPC, SPOKE, '10.1.0.0/16', [
          [SA, 'us-east-1a', '10.1.1.0/24'],
          [SB, 'us-east-1b', '10.1.2.0/24'],
          [SA2, 'us-east-1a', '10.1.3.0/24'],
        ]),
        // Same CIDR as SPOKE_VPC: its propagated route must lose.
        vpc(SPOKE2_VPC, SPOKE, '10.1.0.0/16', [['subnet-0b00000000000000d', 'us-east-1a', '10.1.1.0/24']]),
        vpc(OTHER_VPC, OTHER, '10.3.0.0/16', [['subnet-0c00000000000000a', 'us-east-1a', '10.3.1.0/24']]),
      ],
      transitGateways: [
        {
          id: TGW,
          ownerId: HUB,
          options: {
            autoAcceptSharedAttachments: 'disable',
            defaultRouteTableAssociation: 'disable',
            defaultRouteTablePropagation: 'disable',
          },
          routeTables: [{ id: PROD }, { id: NONPROD }, { id: SHARED }],
        },
      ],
    },
    ram: {
      sharingWithOrganizationEnabled: true,
      shares: [{ name: 'spokelink-tgw', ownerId: HUB, resourceArns: [TGW_ARN], principals: [SPOKE] }],
    },
  });
}

function ec2As(twin: Twin, account: string) {
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(role(account));
  const client = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  client.middlewareStack.use(twinPlugin(twin) as Pluggable<ServiceInputTypes, ServiceOutputTypes>);
  return client;
}

function setup() {
  jest.useFakeTimers({
    now: START,
    doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
  });
  const twin = createTwin(world(), {
    timings: {
      attachmentPendingMs: PENDING_MS,
      attachmentDeletingMs: DELETING_MS,
      ramShareVisibilityMs: SHARE_DELAY_MS,
    },
  });
  return { twin, hub: ec2As(twin, HUB), spoke: ec2As(twin, SPOKE), other: ec2As(twin, OTHER) };
}

const advance = (ms: number) => jest.setSystemTime(Date.now() + ms);

async function attach(client: EC2Client, vpcId = SPOKE_VPC, subnetIds = [SA, SB], tgwId = TGW) {
  const out = await client.send(
    new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgwId, VpcId: vpcId, SubnetIds: subnetIds }),
  );
  return out.TransitGatewayVpcAttachment!;
}

async function stateOf(client: EC2Client, id: string) {
  const out = await client.send(new DescribeTransitGatewayVpcAttachmentsCommand({ TransitGatewayAttachmentIds: [id] }));
  return out.TransitGatewayVpcAttachments?.[0]?.State;
}

/** A spoke attachment accepted by the hub and available. */
async function availableAttachment(hub: EC2Client, spoke: EC2Client, vpcId = SPOKE_VPC, subnets = [SA, SB]) {
  const att = await attach(spoke, vpcId, subnets);
  await hub.send(
    new AcceptTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: att.TransitGatewayAttachmentId }),
  );
  advance(PENDING_MS);
  return att.TransitGatewayAttachmentId!;
}

afterEach(() => jest.useRealTimers());

describe('Twin EC2: TGW attachment state machine', () => {
  it('moves a spoke attachment pendingAcceptance -> accept -> pending -> available on the clock', async () => {
    const { hub, spoke } = setup();
    const att = await attach(spoke);
    expect(att).toMatchObject({
      TransitGatewayId: TGW,
      VpcId: SPOKE_VPC,
      VpcOwnerId: SPOKE,
      State: 'pendingAcceptance',
      SubnetIds: [SA, SB],
    });
    expect(att.CreationTime).toEqual(new Date(START));
    const id = att.TransitGatewayAttachmentId!;
    advance(3_600_000);
    expect(await stateOf(hub, id)).toBe('pendingAcceptance');
    const accepted = await hub.send(new AcceptTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id }));
    expect(accepted.TransitGatewayVpcAttachment?.State).toBe('pending');
    advance(PENDING_MS - 1);
    expect(await stateOf(spoke, id)).toBe('pending');
    advance(1);
    expect(await stateOf(spoke, id)).toBe('available');
    expect(await stateOf(hub, id)).toBe('available');
  });

  it('answers IncorrectState to an accept, association or propagation that comes too early', async () => {
    const { hub, spoke } = setup();
    const id = (await attach(spoke)).TransitGatewayAttachmentId!;
    await expect(
      hub.send(
        new AssociateTransitGatewayRouteTableCommand({
          TransitGatewayRouteTableId: PROD,
          TransitGatewayAttachmentId: id,
        }),
      ),
    ).rejects.toMatchObject({ name: 'IncorrectState' });
    await hub.send(new AcceptTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id }));
    await expect(
      hub.send(new AcceptTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id })),
    ).rejects.toMatchObject({ name: 'IncorrectState' });
    await expect(
      hub.send(
        new EnableTransitGatewayRouteTablePropagationCommand({
          TransitGatewayRouteTableId: SHARED,
          TransitGatewayAttachmentId: id,
        }),
      ),
    ).rejects.toMatchObject({ name: 'IncorrectState' });
  });

  it('makes a same-account attachment pending then available without acceptance', async () => {
    const { hub } = setup();
    const att = await attach(hub, HUB_VPC, ['subnet-0f00000000000000a']);
    expect(att.State).toBe('pending');
    advance(PENDING_MS);
    expect(await stateOf(hub, att.TransitGatewayAttachmentId!)).toBe('available');
  });

  it('rejects an attachment waiting for acceptance', async () => {
    const { hub, spoke } = setup();
    const id = (await attach(spoke)).TransitGatewayAttachmentId!;
    await hub.send(new RejectTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id }));
    advance(10_000);
    expect(await stateOf(spoke, id)).toBe('rejected');
  });

  it('deletes an attachment: deleting, then deleted, still describable but gone from the snapshot', async () => {
    const { twin, hub, spoke } = setup();
    const id = await availableAttachment(hub, spoke);
    await hub.send(
      new AssociateTransitGatewayRouteTableCommand({
        TransitGatewayRouteTableId: PROD,
        TransitGatewayAttachmentId: id,
      }),
    );
    await hub.send(
      new EnableTransitGatewayRouteTablePropagationCommand({
        TransitGatewayRouteTableId: SHARED,
        TransitGatewayAttachmentId: id,
      }),
    );
    advance(10_000);
    const deleted = await spoke.send(new DeleteTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id }));
    expect(deleted.TransitGatewayVpcAttachment?.State).toBe('deleting');
    await expect(spoke.send(new DeleteVpcCommand({ VpcId: SPOKE_VPC }))).rejects.toMatchObject({
      name: 'DependencyViolation',
    });
    advance(DELETING_MS);
    expect(await stateOf(spoke, id)).toBe('deleted');
    const assoc = await hub.send(
      new GetTransitGatewayRouteTableAssociationsCommand({ TransitGatewayRouteTableId: PROD }),
    );
    expect(assoc.Associations).toEqual([]);
    const routes = await hub.send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: SHARED,
        Filters: [{ Name: 'type', Values: ['propagated'] }],
      }),
    );
    expect(routes.Routes).toEqual([]);
    const snapshot = twin.snapshot().ec2 as { transitGatewayAttachments: unknown[] };
    expect(snapshot.transitGatewayAttachments).toEqual([]);
    // A deleted attachment no longer counts as a duplicate.
    expect((await attach(spoke)).State).toBe('pendingAcceptance');
  });

  it('reaches failed through the fault hook and the failure probability', async () => {
    const { twin, hub, spoke } = setup();
    const id = await availableAttachment(hub, spoke);
    failAttachment(twin, id);
    expect(await stateOf(spoke, id)).toBe('failed');
    expect(() => failAttachment(twin, 'tgw-attach-00000000000000000')).toThrow(/no TGW attachment/);
    configureEc2(twin, { attachmentFailureProbability: 1 });
    const own = await attach(hub, HUB_VPC, ['subnet-0f00000000000000a']);
    advance(PENDING_MS);
    expect(await stateOf(hub, own.TransitGatewayAttachmentId!)).toBe('failed');
  });
});

describe('Twin EC2: TGW attachment rules', () => {
  it('answers DuplicateTransitGatewayAttachment for a second attachment of the same VPC', async () => {
    const { spoke } = setup();
    await attach(spoke);
    await expect(attach(spoke, SPOKE_VPC, [SA])).rejects.toMatchObject({ name: 'DuplicateTransitGatewayAttachment' });
  });

  it("tells each VPC's attachments apart as they are made (the per-VPC index of attachments)", async () => {
    const { spoke } = setup();
    await attach(spoke, SPOKE2_VPC, ['subnet-0b00000000000000d']);
    // Another VPC attaches: not a duplicate of the first.
    await attach(spoke);
    for (const [vpc, subnets] of [
      [SPOKE_VPC, [SA]],
      [SPOKE2_VPC, ['subnet-0b00000000000000d']],
    ] as const) {
      await expect(attach(spoke, vpc, [...subnets])).rejects.toMatchObject({
        name: 'DuplicateTransitGatewayAttachment',
      });
      await expect(spoke.send(new DeleteVpcCommand({ VpcId: vpc }))).rejects.toMatchObject({
        name: 'DependencyViolation',
      });
    }
  });

  it('answers DuplicateSubnetsInSameZone for two subnets in one zone', async () => {
    const { spoke } = setup();
    await expect(attach(spoke, SPOKE_VPC, [SA, SA2])).rejects.toMatchObject({ name: 'DuplicateSubnetsInSameZone' });
  });

  it('allows at most 5 TGW attachments per VPC', async () => {
    const { spoke } = setup();
    for (let i = 0; i < 5; i += 1) {
      const { TransitGateway } = await spoke.send(new CreateTransitGatewayCommand({}));
      advance(PENDING_MS);
      await attach(spoke, SPOKE_VPC, [SA], TransitGateway!.TransitGatewayId);
    }
    await expect(attach(spoke)).rejects.toMatchObject({ name: 'TransitGatewayAttachmentLimitExceeded' });
  });

  it('counts non-deleted attachments against the per-TGW quota', async () => {
    const { twin, hub, spoke } = setup();
    quotas(twin).attachmentsPerTransitGateway = 1;
    const { TransitGatewayAttachmentId } = await attach(hub, HUB_VPC, ['subnet-0f00000000000000a']);
    await expect(attach(spoke)).rejects.toMatchObject({ name: 'TransitGatewayAttachmentLimitExceeded' });
    // Deleting still counts; deleted does not.
    advance(PENDING_MS);
    await hub.send(new DeleteTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId }));
    await expect(attach(spoke)).rejects.toMatchObject({ name: 'TransitGatewayAttachmentLimitExceeded' });
    advance(DELETING_MS);
    await expect(attach(spoke)).resolves.toMatchObject({ TransitGatewayAttachmentId: expect.any(String) });
  });

  it('does not let the hub attach a spoke VPC, nor a spoke accept its own attachment', async () => {
    const { hub, spoke } = setup();
    await expect(attach(hub, SPOKE_VPC, [SA])).rejects.toMatchObject({ name: 'InvalidVpcID.NotFound' });
    const id = (await attach(spoke)).TransitGatewayAttachmentId!;
    await expect(
      spoke.send(new AcceptTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id })),
    ).rejects.toMatchObject({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } });
  });

  it('does not let a spoke manage the hub TGW route tables', async () => {
    const { hub, spoke } = setup();
    const id = await availableAttachment(hub, spoke);
    await expect(
      spoke.send(
        new AssociateTransitGatewayRouteTableCommand({
          TransitGatewayRouteTableId: PROD,
          TransitGatewayAttachmentId: id,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRouteTableID.NotFound' });
    await expect(
      spoke.send(new CreateTransitGatewayRouteTableCommand({ TransitGatewayId: TGW })),
    ).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
    });
  });

  it('hides a TGW from an account it is not shared with, and shows it after a RAM share past the delay', async () => {
    const { twin, other } = setup();
    await expect(attach(other, OTHER_VPC, ['subnet-0c00000000000000a'])).rejects.toMatchObject({
      name: 'InvalidTransitGatewayID.NotFound',
    });
    expect((await other.send(new DescribeTransitGatewaysCommand({}))).TransitGateways).toEqual([]);
    const { accessKeyId, secretAccessKey } = twin.credentialsFor(role(HUB));
    const ram = new RAMClient({ region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    ram.middlewareStack.use(twinPlugin(twin) as Pluggable<RamInput, RamOutput>);
    await ram.send(new CreateResourceShareCommand({ name: 'to-other', resourceArns: [TGW_ARN], principals: [OTHER] }));
    await expect(attach(other, OTHER_VPC, ['subnet-0c00000000000000a'])).rejects.toMatchObject({
      name: 'InvalidTransitGatewayID.NotFound',
    });
    advance(SHARE_DELAY_MS);
    const att = await attach(other, OTHER_VPC, ['subnet-0c00000000000000a']);
    expect(att.State).toBe('pendingAcceptance');
    const seen = await other.send(new DescribeTransitGatewaysCommand({ TransitGatewayIds: [TGW] }));
    expect(seen.TransitGateways?.[0]).toMatchObject({ OwnerId: HUB, TransitGatewayArn: TGW_ARN, Tags: [] });
    expect(findTransitGateway(twin, TGW)).toEqual({ id: TGW, ownerId: HUB, region: 'us-east-1', arn: TGW_ARN });
  });

  it('shows an attachment to both owners with its association, and to nobody else', async () => {
    const { hub, spoke, other } = setup();
    const id = await availableAttachment(hub, spoke);
    await hub.send(
      new AssociateTransitGatewayRouteTableCommand({
        TransitGatewayRouteTableId: PROD,
        TransitGatewayAttachmentId: id,
      }),
    );
    const hubView = await hub.send(
      new DescribeTransitGatewayAttachmentsCommand({ Filters: [{ Name: 'resource-owner-id', Values: [SPOKE] }] }),
    );
    expect(hubView.TransitGatewayAttachments).toEqual([
      expect.objectContaining({
        TransitGatewayAttachmentId: id,
        ResourceId: SPOKE_VPC,
        ResourceType: 'vpc',
        State: 'available',
        Association: { TransitGatewayRouteTableId: PROD, State: 'associating' },
      }),
    ]);
    advance(5_000);
    const spokeView = await spoke.send(
      new DescribeTransitGatewayAttachmentsCommand({ Filters: [{ Name: 'vpc-id', Values: [SPOKE_VPC] }] }),
    );
    expect(spokeView.TransitGatewayAttachments?.[0]?.Association).toEqual({
      TransitGatewayRouteTableId: PROD,
      State: 'associated',
    });
    await expect(
      other.send(new DescribeTransitGatewayVpcAttachmentsCommand({ TransitGatewayAttachmentIds: [id] })),
    ).rejects.toMatchObject({ name: 'InvalidTransitGatewayAttachmentID.NotFound' });
  });
});

describe('Twin EC2: TGW route tables, associations and propagations', () => {
  it('answers Resource.AlreadyAssociated when the attachment is associated with any table', async () => {
    const { hub, spoke } = setup();
    const id = await availableAttachment(hub, spoke);
    const out = await hub.send(
      new AssociateTransitGatewayRouteTableCommand({
        TransitGatewayRouteTableId: PROD,
        TransitGatewayAttachmentId: id,
      }),
    );
    expect(out.Association).toMatchObject({ TransitGatewayRouteTableId: PROD, State: 'associating' });
    await expect(
      hub.send(
        new AssociateTransitGatewayRouteTableCommand({
          TransitGatewayRouteTableId: NONPROD,
          TransitGatewayAttachmentId: id,
        }),
      ),
    ).rejects.toMatchObject({ name: 'Resource.AlreadyAssociated' });
    advance(5_000);
    await hub.send(
      new DisassociateTransitGatewayRouteTableCommand({
        TransitGatewayRouteTableId: PROD,
        TransitGatewayAttachmentId: id,
      }),
    );
    advance(5_000);
    await hub.send(
      new AssociateTransitGatewayRouteTableCommand({
        TransitGatewayRouteTableId: NONPROD,
        TransitGatewayAttachmentId: id,
      }),
    );
    advance(5_000);
    const assoc = await hub.send(
      new GetTransitGatewayRouteTableAssociationsCommand({ TransitGatewayRouteTableId: NONPROD }),
    );
    expect(assoc.Associations).toEqual([
      { TransitGatewayAttachmentId: id, ResourceId: SPOKE_VPC, ResourceType: 'vpc', State: 'associated' },
    ]);
  });

  it('answers TransitGatewayRouteTablePropagation.Duplicate and propagates to many tables', async () => {
    const { hub, spoke } = setup();
    const id = await availableAttachment(hub, spoke);
    for (const table of [SHARED, PROD]) {
      await hub.send(
        new EnableTransitGatewayRouteTablePropagationCommand({
          TransitGatewayRouteTableId: table,
          TransitGatewayAttachmentId: id,
        }),
      );
    }
    await expect(
      hub.send(
        new EnableTransitGatewayRouteTablePropagationCommand({
          TransitGatewayRouteTableId: SHARED,
          TransitGatewayAttachmentId: id,
        }),
      ),
    ).rejects.toMatchObject({ name: 'TransitGatewayRouteTablePropagation.Duplicate' });
    advance(5_000);
    const props = await hub.send(
      new GetTransitGatewayAttachmentPropagationsCommand({ TransitGatewayAttachmentId: id }),
    );
    expect(props.TransitGatewayAttachmentPropagations).toEqual([
      { TransitGatewayRouteTableId: PROD, State: 'enabled' },
      { TransitGatewayRouteTableId: SHARED, State: 'enabled' },
    ]);
    await hub.send(
      new DisableTransitGatewayRouteTablePropagationCommand({
        TransitGatewayRouteTableId: PROD,
        TransitGatewayAttachmentId: id,
      }),
    );
    advance(5_000);
    const left = await hub.send(
      new GetTransitGatewayRouteTablePropagationsCommand({ TransitGatewayRouteTableId: PROD }),
    );
    expect(left.TransitGatewayRouteTablePropagations).toEqual([]);
  });

  it('propagates each VPC CIDR once: the later attachment with an overlapping CIDR loses', async () => {
    const { hub, spoke } = setup();
    const first = await availableAttachment(hub, spoke);
    const second = await availableAttachment(hub, spoke, SPOKE2_VPC, ['subnet-0b00000000000000d']);
    const hubAtt = await attach(hub, HUB_VPC, ['subnet-0f00000000000000a']);
    advance(PENDING_MS);
    for (const id of [first, second, hubAtt.TransitGatewayAttachmentId!]) {
      await hub.send(
        new EnableTransitGatewayRouteTablePropagationCommand({
          TransitGatewayRouteTableId: SHARED,
          TransitGatewayAttachmentId: id,
        }),
      );
    }
    advance(5_000);
    const out = await hub.send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: SHARED,
        Filters: [{ Name: 'state', Values: ['active'] }],
      }),
    );
    expect(
      out.Routes?.map((r) => [r.DestinationCidrBlock, r.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId]),
    ).toEqual([
      ['10.1.0.0/16', first],
      ['10.0.0.0/16', hubAtt.TransitGatewayAttachmentId],
    ]);
    const exact = await hub.send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: SHARED,
        Filters: [{ Name: 'route-search.exact-match', Values: ['10.0.0.0/16'] }],
      }),
    );
    expect(exact.Routes).toHaveLength(1);
  });

  it('gives a static route precedence over the propagated one of its destination, and a blackhole once its attachment is deleted', async () => {
    const { hub, spoke } = setup();
    const first = await availableAttachment(hub, spoke);
    const second = await availableAttachment(hub, spoke, SPOKE2_VPC, ['subnet-0b00000000000000d']);
    // SPOKE2_VPC has the same CIDR as SPOKE_VPC; it propagates first, then a static route sends the CIDR to `first`.
    await hub.send(
      new EnableTransitGatewayRouteTablePropagationCommand({
        TransitGatewayRouteTableId: SHARED,
        TransitGatewayAttachmentId: second,
      }),
    );
    advance(5_000);
    const created = await hub.send(
      new CreateTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: SHARED,
        DestinationCidrBlock: '10.1.0.0/16',
        TransitGatewayAttachmentId: first,
      }),
    );
    expect(created.Route).toMatchObject({ Type: 'static', State: 'active' });
    const search = (filters: { Name: string; Values: string[] }[]) =>
      hub.send(new SearchTransitGatewayRoutesCommand({ TransitGatewayRouteTableId: SHARED, Filters: filters }));
    const active = await search([{ Name: 'route-search.exact-match', Values: ['10.1.0.0/16'] }]);
    expect(
      active.Routes?.map((r) => [r.Type, r.State, r.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId]),
    ).toEqual([['static', 'active', first]]);
    await expect(
      hub.send(
        new CreateTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: SHARED,
          DestinationCidrBlock: '10.1.0.0/16',
          TransitGatewayAttachmentId: second,
        }),
      ),
    ).rejects.toMatchObject({ name: 'RouteAlreadyExists' });
    // Only the TGW owner manages its route tables.
    await expect(
      spoke.send(
        new CreateTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: SHARED,
          DestinationCidrBlock: '10.9.0.0/16',
          TransitGatewayAttachmentId: first,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRouteTableID.NotFound' });

    await hub.send(new DeleteTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: first }));
    const blackhole = await search([{ Name: 'type', Values: ['static'] }]);
    expect(blackhole.Routes?.map((r) => [r.DestinationCidrBlock, r.State])).toEqual([['10.1.0.0/16', 'blackhole']]);

    await hub.send(
      new DeleteTransitGatewayRouteCommand({ TransitGatewayRouteTableId: SHARED, DestinationCidrBlock: '10.1.0.0/16' }),
    );
    await expect(
      hub.send(
        new DeleteTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: SHARED,
          DestinationCidrBlock: '10.1.0.0/16',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRoute.NotFound' });
    // The propagated route of the other attachment is the route again.
    const back = await search([{ Name: 'state', Values: ['active'] }]);
    expect(back.Routes?.map((r) => [r.Type, r.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId])).toEqual([
      ['propagated', second],
    ]);
  });

  it('refuses a static route to an attachment that is not available, and counts static routes in the route quota', async () => {
    const { twin, hub, spoke } = setup();
    const pending = (await attach(spoke)).TransitGatewayAttachmentId!;
    advance(1_000);
    await expect(
      hub.send(
        new CreateTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: SHARED,
          DestinationCidrBlock: '10.1.0.0/16',
          TransitGatewayAttachmentId: pending,
        }),
      ),
    ).rejects.toMatchObject({ name: 'IncorrectState' });
    quotas(twin).routesPerTransitGateway = 1;
    await hub.send(
      new CreateTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: SHARED,
        DestinationCidrBlock: '10.8.0.0/16',
        Blackhole: true,
      }),
    );
    await expect(
      hub.send(
        new CreateTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: PROD,
          DestinationCidrBlock: '10.9.0.0/16',
          Blackhole: true,
        }),
      ),
    ).rejects.toMatchObject({ name: 'RouteLimitExceeded' });
  });

  it("finds a search's static routes by attachment and exact match in table order, through creates and deletes", async () => {
    const { hub, spoke } = setup();
    const first = await availableAttachment(hub, spoke);
    const second = await availableAttachment(hub, spoke, SPOKE2_VPC, ['subnet-0b00000000000000d']);
    const route = (cidr: string, attachmentId: string) =>
      hub.send(
        new CreateTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: SHARED,
          DestinationCidrBlock: cidr,
          TransitGatewayAttachmentId: attachmentId,
        }),
      );
    const search = async (filters: { Name: string; Values: string[] }[]) =>
      (
        await hub.send(new SearchTransitGatewayRoutesCommand({ TransitGatewayRouteTableId: SHARED, Filters: filters }))
      ).Routes?.map((r) => `${r.DestinationCidrBlock} ${r.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId}`);
    const byAttachment = (...ids: string[]) => [{ Name: 'attachment.transit-gateway-attachment-id', Values: ids }];
    await route('10.1.0.0/24', first);
    // Searched once, so that the index exists before the writes below (it is built on first use, then extended).
    expect(await search(byAttachment(first))).toEqual([`10.1.0.0/24 ${first}`]);
    await route('10.2.0.0/24', second);
    await route('10.1.1.0/24', first);
    await route('10.2.1.0/24', second);
    expect(await search(byAttachment(first))).toEqual([`10.1.0.0/24 ${first}`, `10.1.1.0/24 ${first}`]);
    expect(await search(byAttachment(second, first))).toEqual([
      `10.1.0.0/24 ${first}`,
      `10.2.0.0/24 ${second}`,
      `10.1.1.0/24 ${first}`,
      `10.2.1.0/24 ${second}`,
    ]);
    expect(
      await search([
        ...byAttachment(first),
        { Name: 'route-search.exact-match', Values: ['10.2.0.0/24', '10.1.1.0/24'] },
      ]),
    ).toEqual([`10.1.1.0/24 ${first}`]);
    // A delete replaces the table's list: the index follows, and the CIDR can be routed again.
    await hub.send(
      new DeleteTransitGatewayRouteCommand({ TransitGatewayRouteTableId: SHARED, DestinationCidrBlock: '10.1.0.0/24' }),
    );
    expect(await search(byAttachment(first))).toEqual([`10.1.1.0/24 ${first}`]);
    await expect(route('10.1.1.0/24', second)).rejects.toMatchObject({ name: 'RouteAlreadyExists' });
    await expect(route('10.1.0.0/24', second)).resolves.toMatchObject({
      Route: { DestinationCidrBlock: '10.1.0.0/24' },
    });
    expect(await search([{ Name: 'route-search.exact-match', Values: ['10.1.0.0/24'] }])).toEqual([
      `10.1.0.0/24 ${second}`,
    ]);
  });

  it('refuses the 21st route table of a TGW', async () => {
    const { hub } = setup();
    for (let i = 0; i < 17; i += 1)
      await hub.send(new CreateTransitGatewayRouteTableCommand({ TransitGatewayId: TGW }));
    await expect(hub.send(new CreateTransitGatewayRouteTableCommand({ TransitGatewayId: TGW }))).rejects.toMatchObject({
      name: 'TransitGatewayRouteTableLimitExceeded',
    });
  });

  it('creates a TGW with AWS defaults: auto-accept off, a default route table associated and propagated', async () => {
    const { hub } = setup();
    const { TransitGateway } = await hub.send(new CreateTransitGatewayCommand({ Description: 'x' }));
    expect(TransitGateway?.State).toBe('pending');
    expect(TransitGateway?.Options).toMatchObject({
      AutoAcceptSharedAttachments: 'disable',
      DefaultRouteTableAssociation: 'enable',
      DefaultRouteTablePropagation: 'enable',
    });
    const defaultTable = TransitGateway!.Options!.AssociationDefaultRouteTableId!;
    expect(TransitGateway?.Options?.PropagationDefaultRouteTableId).toBe(defaultTable);
    advance(PENDING_MS);
    const att = await attach(hub, HUB_VPC, ['subnet-0f00000000000000a'], TransitGateway!.TransitGatewayId);
    advance(PENDING_MS);
    const assoc = await hub.send(
      new GetTransitGatewayRouteTableAssociationsCommand({ TransitGatewayRouteTableId: defaultTable }),
    );
    expect(assoc.Associations?.map((a) => [a.TransitGatewayAttachmentId, a.State])).toEqual([
      [att.TransitGatewayAttachmentId, 'associated'],
    ]);
    const routes = await hub.send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: defaultTable,
        Filters: [{ Name: 'type', Values: ['propagated'] }],
      }),
    );
    expect(routes.Routes?.map((r) => r.DestinationCidrBlock)).toEqual(['10.0.0.0/16']);
  });
});

describe('Twin EC2: TGW tags', () => {
  it('emits a transit-gateway tag event to the owner, and hides the TGW from a spoke tagging it', async () => {
    const { twin, hub, spoke } = setup();
    await hub.send(new CreateTagsCommand({ Resources: [TGW], Tags: [{ Key: 'Name', Value: 'hub' }] }));
    const events = twin.events.filter((e): e is TagChangeEvent => e.source === 'aws.tag');
    expect(events.map((e) => [e.resources[0], e.detail['resource-type'], e.detail.tags])).toEqual([
      [TGW_ARN, 'transit-gateway', { Name: 'hub' }],
    ]);
    await expect(
      spoke.send(new CreateTagsCommand({ Resources: [TGW], Tags: [{ Key: 'Name', Value: 'mine' }] })),
    ).rejects.toMatchObject({ name: 'InvalidTransitGatewayID.NotFound' });
  });
});

describe('Twin EC2: VPC routes to the TGW', () => {
  it('adds a route to the TGW once the VPC attachment is available, and never overwrites it', async () => {
    const { hub, spoke } = setup();
    const { RouteTables } = await spoke.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [SPOKE_VPC] }] }),
    );
    const rtb = RouteTables![0]!.RouteTableId!;
    const route = new CreateRouteCommand({
      RouteTableId: rtb,
      DestinationCidrBlock: '10.0.0.0/16',
      TransitGatewayId: TGW,
    });
    const att = await attach(spoke);
    await expect(spoke.send(route)).rejects.toMatchObject({ name: 'InvalidTransitGatewayID.NotFound' });
    await hub.send(
      new AcceptTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: att.TransitGatewayAttachmentId }),
    );
    advance(PENDING_MS);
    await spoke.send(route);
    await expect(spoke.send(route)).rejects.toMatchObject({ name: 'RouteAlreadyExists' });
    const out = await spoke.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }));
    expect(out.RouteTables?.[0]?.Routes).toContainEqual({
      DestinationCidrBlock: '10.0.0.0/16',
      TransitGatewayId: TGW,
      Origin: 'CreateRoute',
      State: 'active',
    });
  });
});
