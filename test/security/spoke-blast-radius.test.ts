import { CreateRouteCommand, DeleteRouteCommand, DescribeRouteTablesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { LocalHub } from '#local/hub';
import { iamPolicies, localIamModel } from '#local/iam';
import { spokeSessionPolicy } from '#shared/aws';
import { type SpokeAccess, spokeRoleName } from '#shared/config';
import { twinPlugin } from '#twin/plugin';
import {
  LEDGER,
  lifecycleConfig,
  lifecycleHub,
  lifecycleWorld,
  PAYMENTS,
  settle,
  statusOf,
} from '../lifecycle/helpers';

/**
 * The spoke roles' blast radius, attacked through the twin's IAM evaluation of the synthesized policies: a hub
 * function (or whoever runs code as its role) tries to do more in a spoke account than its step needs. Each attack
 * must be refused as AWS refuses it and leave the spoke's routes exactly as they were.
 */

const SPOKE = '222222222222';
const REGION = 'us-east-1';

type RouteTable = { vpcId: string; routes: { destinationCidrBlock?: string; transitGatewayId?: string }[] };

function routesOf(hub: LocalHub, vpcId: string): string {
  const tables = (hub.twin.state.ec2 as { routeTables: Record<string, RouteTable> }).routeTables;
  return JSON.stringify(Object.entries(tables).filter(([, t]) => t.vpcId === vpcId));
}

function routeTableOf(hub: LocalHub, vpcId: string): string {
  const tables = (hub.twin.state.ec2 as { routeTables: Record<string, RouteTable> }).routeTables;
  const id = Object.entries(tables).find(([, t]) => t.vpcId === vpcId && t.routes.some((r) => r.transitGatewayId));
  if (!id) throw new Error(`no route table of ${vpcId} routes to the TGW`);
  return id[0];
}

function tgwRouteOf(hub: LocalHub, routeTableId: string): string {
  const tables = (hub.twin.state.ec2 as { routeTables: Record<string, RouteTable> }).routeTables;
  return tables[routeTableId]!.routes.find((r) => r.transitGatewayId)!.destinationCidrBlock!;
}

/** An STS client acting as the hub function `origin` (its role, as the twin's IAM model names it). */
function stsAs(hub: LocalHub, origin: string): STSClient {
  const config = hub.config;
  const creds = hub.twin.credentialsFor(`arn:aws:iam::${config.hub.accountId}:role/${config.prefix}-functions`);
  const sts = new STSClient({
    region: config.hub.region,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
  });
  sts.middlewareStack.use(twinPlugin(hub.twin));
  hub.twin.callOrigin = () => origin;
  return sts;
}

async function assume(
  hub: LocalHub,
  origin: string,
  access: SpokeAccess,
  options: { externalId?: string; policy?: string; account?: string } = {},
): Promise<EC2Client> {
  const { Credentials } = await stsAs(hub, origin).send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${options.account ?? SPOKE}:role/${spokeRoleName(hub.config, access)}`,
      RoleSessionName: 'attacker',
      ExternalId: options.externalId ?? hub.config.spokeRole.externalId,
      Policy: options.policy,
    }),
  );
  const credentials: AwsCredentialIdentity = {
    accessKeyId: Credentials!.AccessKeyId!,
    secretAccessKey: Credentials!.SecretAccessKey!,
    sessionToken: Credentials!.SessionToken,
  };
  const ec2 = new EC2Client({ region: REGION, credentials });
  ec2.middlewareStack.use(twinPlugin(hub.twin));
  return ec2;
}

/** An account outside the organization and not among the configured outside accounts. */
const STRANGER = '777777777777';
/** The partner account outside the organization that the configuration admits (`organization.externalAccounts`). */
const PARTNER = '555555555555';

async function connectedHub(policies = iamPolicies()): Promise<LocalHub> {
  const config = lifecycleConfig();
  expect(config.organization.externalAccounts).toEqual([PARTNER]);
  const functionsRole = `arn:aws:iam::${config.hub.accountId}:role/${config.prefix}-functions`;
  const world = lifecycleWorld();
  // The stranger created a role of the spoke role's name that trusts the hub exactly as a real spoke role does.
  const partnerRole = world.iam!.roles!.find((r) => r.arn.includes(`::${PARTNER}:`))!;
  world.iam!.roles!.push({ ...partnerRole, arn: `arn:aws:iam::${STRANGER}:role/${spokeRoleName(config, 'write')}` });
  const hub = await lifecycleHub({
    config,
    world,
    twinOptions: { iam: localIamModel(config, functionsRole, policies) },
  });
  await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true' });
  await hub.tagVpc(LEDGER, { 'spokelink:connect': 'true' });
  await settle(hub);
  expect([statusOf(hub, PAYMENTS).status, statusOf(hub, LEDGER).status]).toEqual(['connected', 'connected']);
  return hub;
}

describe('Spoke blast radius: attacks through the evaluated IAM policies', () => {
  let hub: LocalHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it('a read-only step (validate) cannot change a route, neither with the read-only role nor by taking the other', async () => {
    hub = await connectedHub();
    const table = routeTableOf(hub, PAYMENTS);
    const destination = tgwRouteOf(hub, table);
    const before = routesOf(hub, PAYMENTS);

    const read = await assume(hub, 'validate', 'read');
    // The session works for what the step needs...
    const { RouteTables = [] } = await read.send(new DescribeRouteTablesCommand({ RouteTableIds: [table] }));
    expect(RouteTables.map((t) => t.VpcId)).toEqual([PAYMENTS]);
    // ...and nothing more.
    await expect(
      read.send(new DeleteRouteCommand({ RouteTableId: table, DestinationCidrBlock: destination })),
    ).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(
      read.send(
        new CreateRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', TransitGatewayId: 'tgw-x' }),
      ),
    ).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    // The read-write role is not the read-only step's to take (its own policy and the role's trust both refuse).
    await expect(assume(hub, 'validate', 'write')).rejects.toThrow(
      /spokelink-fn-validate is not authorized to perform: sts:AssumeRole/,
    );
    expect(routesOf(hub, PAYMENTS)).toBe(before);
  });

  it("a session narrowed to VPC A cannot touch VPC B's route tables in the same account", async () => {
    hub = await connectedHub();
    const tableA = routeTableOf(hub, PAYMENTS);
    const tableB = routeTableOf(hub, LEDGER);
    const destination = tgwRouteOf(hub, tableB);
    const [beforeA, beforeB] = [routesOf(hub, PAYMENTS), routesOf(hub, LEDGER)];

    const sessionA = await assume(hub, 'routes', 'write', {
      policy: spokeSessionPolicy(hub.config, SPOKE, REGION, PAYMENTS),
    });
    await expect(
      sessionA.send(new DeleteRouteCommand({ RouteTableId: tableB, DestinationCidrBlock: destination })),
    ).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
      message: expect.stringContaining(
        'no session policy and identity-based policy together allow the ec2:DeleteRoute',
      ),
    });
    await expect(
      sessionA.send(
        new CreateRouteCommand({ RouteTableId: tableB, DestinationCidrBlock: '0.0.0.0/0', TransitGatewayId: 'tgw-x' }),
      ),
    ).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(routesOf(hub, LEDGER)).toBe(beforeB);

    // The control: the role itself may change B's routes (the session policy is what refused it), and the same
    // session may change A's, which is what the routes step needs.
    await expect(
      sessionA.send(new DeleteRouteCommand({ RouteTableId: tableA, DestinationCidrBlock: tgwRouteOf(hub, tableA) })),
    ).resolves.toBeDefined();
    expect(routesOf(hub, PAYMENTS)).not.toBe(beforeA);
  });

  it('a hub role outside the trust cannot assume either spoke role, even with AssumeRole in its own policy', async () => {
    // The attacker's own policy is as open as it gets: only the spoke roles' trusts stand in the way.
    const policies = iamPolicies(true);
    for (const variant of Object.values(policies.variants)) {
      variant.functions.intake!.Statement.push({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' });
    }
    hub = await connectedHub(policies);
    const before = routesOf(hub, PAYMENTS);
    const assumesBefore = hub.twin.calls.filter((c) => c.operation === 'AssumeRole' && !c.error).length;
    for (const access of ['write', 'read'] as const) {
      await expect(assume(hub, 'intake', access)).rejects.toMatchObject({
        name: 'AccessDenied',
        message: expect.stringMatching(
          /spokelink-fn-intake is not authorized to perform: sts:AssumeRole .*trust policy/,
        ),
      });
    }
    expect(hub.twin.calls.filter((c) => c.operation === 'AssumeRole' && !c.error).length).toBe(assumesBefore);
    expect(routesOf(hub, PAYMENTS)).toBe(before);
  });

  it("does not assume a role of the spoke role's name in an account outside the organization, unless configured", async () => {
    hub = await connectedHub();
    const assumesBefore = hub.twin.calls.filter((c) => c.operation === 'AssumeRole' && !c.error).length;
    // The role's trust would admit the hub; the hub's own policy (aws:ResourceOrgID) refuses to go there.
    await expect(assume(hub, 'routes', 'write', { account: STRANGER })).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringMatching(/spokelink-fn-routes is not authorized to perform: sts:AssumeRole/),
    });
    expect(hub.twin.calls.filter((c) => c.operation === 'AssumeRole' && !c.error).length).toBe(assumesBefore);
    // The configured outside account is still reached, by its exact role ARN.
    await expect(assume(hub, 'routes', 'write', { account: PARTNER })).resolves.toBeInstanceOf(EC2Client);
  });

  it('a step inside the trust cannot assume a spoke role with a wrong external id', async () => {
    hub = await connectedHub();
    const assumesBefore = hub.twin.calls.filter((c) => c.operation === 'AssumeRole' && !c.error).length;
    await expect(assume(hub, 'validate', 'read', { externalId: 'guessed' })).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    await expect(assume(hub, 'routes', 'write', { externalId: 'guessed' })).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    expect(hub.twin.calls.filter((c) => c.operation === 'AssumeRole' && !c.error).length).toBe(assumesBefore);
  });
});
