import { CreateTransitGatewayVpcAttachmentCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateResourceShareCommand, GetResourceShareAssociationsCommand, RAMClient } from '@aws-sdk/client-ram';
import { twinPlugin } from '#twin/plugin';
import type { Twin } from '#twin/twin';
import { createTwin, parseWorld } from '#twin/world';

const MGMT = '999999999999';
const HUB = '111111111111';
const SPOKE = '222222222222';
const R = 'us-east-1';
const TGW = 'tgw-0a1b2c3d4e5f60718';
const TGW_ARN = `arn:aws:ec2:${R}:${HUB}:transit-gateway/${TGW}`;
const EXTERNAL = '555555555555';
const ORG_ARN = `arn:aws:organizations::${MGMT}:organization/o-exampleorg1`;
const SPOKE_VPC = 'vpc-0a000000000000001';
const SPOKE_SUBNET = 'subnet-0a000000000000001';
const EXTERNAL_VPC = 'vpc-0e000000000000001';
const EXTERNAL_SUBNET = 'subnet-0e000000000000001';
const T0 = Date.parse('2026-11-27T10:00:00Z');
const VISIBILITY_MS = 30_000;
const role = (account: string) => `arn:aws:iam::${account}:role/admin`;

function newTwin(): Twin {
  const world = parseWorld({
    version: 1,
    organization: {
      id: 'o-exampleorg1',
      managementAccountId: MGMT,
      accounts: [
        { id: HUB, name: 'network' },
        { id: SPOKE, name: 'app' },
      ],
    },
    iam: { principals: [HUB, SPOKE, EXTERNAL].map(role) },
    ec2: {
      vpcs: [
        {
          id: SPOKE_VPC,
          ownerId: SPOKE,
          region: R,
          cidrBlocks: ['10.1.0.0/16'],
          subnets: [{ id: SPOKE_SUBNET, availabilityZone: 'us-east-1a', cidrBlock: '10.1.0.0/24' }],
        },
        {
          id: EXTERNAL_VPC,
          ownerId: EXTERNAL,
          region: R,
          cidrBlocks: ['10.5.0.0/16'],
          subnets: [{ id: EXTERNAL_SUBNET, availabilityZone: 'us-east-1a', cidrBlock: '10.5.0.0/24' }],
        },
      ],
      transitGateways: [{ id: TGW, ownerId: HUB, region: R }],
    },
    ram: { sharingWithOrganizationEnabled: true },
  });
  return createTwin(world, { timings: { ramShareVisibilityMs: VISIBILITY_MS } });
}

function clientAs<C extends RAMClient | EC2Client>(twin: Twin, account: string, Client: new (config: object) => C): C {
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(role(account));
  const client = new Client({ region: R, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  client.middlewareStack.use(twinPlugin(twin));
  return client;
}

async function resourceStatus(twin: Twin, resourceArns: string[]) {
  const ram = clientAs(twin, HUB, RAMClient);
  const { resourceShare } = await ram.send(
    new CreateResourceShareCommand({ name: 'hub-tgw', resourceArns, principals: [SPOKE] }),
  );
  const out = await ram.send(
    new GetResourceShareAssociationsCommand({
      associationType: 'RESOURCE',
      resourceShareArns: [resourceShare!.resourceShareArn!],
    }),
  );
  return out.resourceShareAssociations?.map((a) => [a.associatedEntity, a.status]);
}

beforeEach(() => {
  jest.useFakeTimers({
    now: T0,
    doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
  });
});
afterEach(() => jest.useRealTimers());

describe('Twin RAM: sharing a transit gateway', () => {
  it('associates a TGW the owner has, and fails the association of a TGW that does not exist or is elsewhere', async () => {
    const twin = newTwin();
    const missing = `arn:aws:ec2:${R}:${HUB}:transit-gateway/tgw-0ffffffffffffffff`;
    const otherRegion = `arn:aws:ec2:eu-west-1:${HUB}:transit-gateway/${TGW}`;

    expect(await resourceStatus(twin, [TGW_ARN, missing, otherRegion])).toEqual([
      [TGW_ARN, 'ASSOCIATED'],
      [missing, 'FAILED'],
      [otherRegion, 'FAILED'],
    ]);
  });

  it('lets the spoke attach its VPC only once the share has propagated (InvalidTransitGatewayID.NotFound before)', async () => {
    const twin = newTwin();
    await clientAs(twin, HUB, RAMClient).send(
      new CreateResourceShareCommand({ name: 'hub-tgw', resourceArns: [TGW_ARN], principals: [SPOKE] }),
    );
    const attach = () =>
      clientAs(twin, SPOKE, EC2Client).send(
        new CreateTransitGatewayVpcAttachmentCommand({
          TransitGatewayId: TGW,
          VpcId: SPOKE_VPC,
          SubnetIds: [SPOKE_SUBNET],
        }),
      );

    jest.setSystemTime(T0 + VISIBILITY_MS - 1);
    await expect(attach()).rejects.toMatchObject({ name: 'InvalidTransitGatewayID.NotFound' });

    jest.setSystemTime(T0 + VISIBILITY_MS);
    const out = await attach();
    expect(out.TransitGatewayVpcAttachment).toMatchObject({ TransitGatewayId: TGW, VpcId: SPOKE_VPC });
  });

  it('lets every member account attach to a TGW shared with the organization after the delay, never an outside account', async () => {
    const twin = newTwin();
    await clientAs(twin, HUB, RAMClient).send(
      new CreateResourceShareCommand({
        name: 'hub-tgw-organization',
        resourceArns: [TGW_ARN],
        principals: [ORG_ARN],
        allowExternalPrincipals: false,
      }),
    );
    const attach = (account: string, VpcId: string, subnet: string) =>
      clientAs(twin, account, EC2Client).send(
        new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: TGW, VpcId, SubnetIds: [subnet] }),
      );

    // The organization principal is no kinder than an account principal: the same propagation delay.
    jest.setSystemTime(T0 + VISIBILITY_MS - 1);
    await expect(attach(SPOKE, SPOKE_VPC, SPOKE_SUBNET)).rejects.toMatchObject({
      name: 'InvalidTransitGatewayID.NotFound',
    });

    jest.setSystemTime(T0 + VISIBILITY_MS);
    const out = await attach(SPOKE, SPOKE_VPC, SPOKE_SUBNET);
    expect(out.TransitGatewayVpcAttachment).toMatchObject({ TransitGatewayId: TGW, VpcId: SPOKE_VPC });
    jest.setSystemTime(T0 + 24 * 3600_000);
    await expect(attach(EXTERNAL, EXTERNAL_VPC, EXTERNAL_SUBNET)).rejects.toMatchObject({
      name: 'InvalidTransitGatewayID.NotFound',
    });
  });
});
