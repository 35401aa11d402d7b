import {
  CreateTransitGatewayVpcAttachmentCommand,
  DescribeSubnetsCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeOrganizationCommand, ListParentsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetResourceShareAssociationsCommand, RAMClient } from '@aws-sdk/client-ram';
import {
  AssociateVPCWithHostedZoneCommand,
  CreateVPCAssociationAuthorizationCommand,
  GetHostedZoneCommand,
  ListHostedZonesByVPCCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, MetadataBearer, MiddlewareStack } from '@smithy/types';
import { TwinError } from '#twin/errors';
import { type TwinTransport, twinPlugin } from '#twin/plugin';
import type { Twin } from '#twin/twin';
import { createTwin } from '#twin/world';
import { bulkWorld } from '../../bench/worlds';

/**
 * The direct transport (`twinPlugin(twin, 'direct')`, the bench's simulations) hands the twin the commands' input
 * without serializing or signing. It must answer every call as the full SDK path does: the same outputs, the same
 * exceptions (class, message, metadata), the same caller and region in the twin's call log, the SDK's retries.
 */

const bulk = bulkWorld({ accounts: 1, vpcsPerAccount: 2 });
const { config, world } = bulk;
const HUB_ROLE = `arn:aws:iam::111111111111:role/${config.prefix}-functions`;
const spoke = bulk.spokes[0]!;
const SPOKE_ROLE = `arn:aws:iam::${spoke.accountId}:role/${config.spokeRole.name}`;

type Sendable = { send(command: unknown): Promise<unknown> };

/** HTTP requests the SDK built (its build step), per transport: the direct one builds none. */
const built: Record<TwinTransport, number> = { sdk: 0, direct: 0 };

function clients(twin: Twin, transport: TwinTransport, credentials: AwsCredentialIdentity) {
  const make = <C extends { middlewareStack: { use(p: unknown): void } }>(client: C): C & Sendable => {
    client.middlewareStack.use(twinPlugin(twin, transport));
    client.middlewareStack.use({
      applyToStack(stack: MiddlewareStack<object, MetadataBearer>) {
        stack.add(
          (next) => async (args) => {
            built[transport] += 1;
            return next(args);
          },
          { step: 'build', name: 'testCountBuilt' },
        );
      },
    });
    return client as C & Sendable;
  };
  const base = { region: 'us-east-1', credentials, maxAttempts: 3 };
  return {
    ec2: make(new EC2Client(base)),
    route53: make(new Route53Client(base)),
    ram: make(new RAMClient(base)),
    sts: make(new STSClient(base)),
    organizations: make(new OrganizationsClient(base)),
  };
}

/** Runs one sequence of calls (successes, errors, a retried call) and records every answer. */
async function script(transport: TwinTransport) {
  const twin = createTwin(world, { seed: 11 });
  // One instant for both runs (call times, session expirations): the twin's clock is otherwise the real one.
  twin.now = () => Date.UTC(2026, 2, 2, 9);
  const hub = clients(twin, transport, twin.credentialsFor(HUB_ROLE));
  const answers: unknown[] = [];
  // The SDK's back-off before a retry is random (its jitter): everything else of `$metadata` is compared.
  const withoutDelay = (metadata: unknown) => ({ ...(metadata as object), totalRetryDelay: 'jitter' });
  const call = async (client: Sendable, command: unknown) => {
    try {
      const output = (await client.send(command)) as Record<string, unknown>;
      answers.push({ output: { ...output, $metadata: withoutDelay(output.$metadata) } });
      return output;
    } catch (error) {
      const e = error as Error & { $metadata?: unknown; $fault?: unknown; Code?: unknown };
      answers.push({
        error: e.name,
        class: e.constructor.name,
        message: e.message,
        fault: e.$fault,
        code: e.Code,
        metadata: withoutDelay(e.$metadata),
      });
      return undefined;
    }
  };
  await call(hub.sts, new GetCallerIdentityCommand({}));
  const assumed = await call(
    hub.sts,
    new AssumeRoleCommand({ RoleArn: SPOKE_ROLE, RoleSessionName: 'spokelink-test', ExternalId: 'wrong' }),
  );
  expect(assumed).toBeUndefined();
  const session = (await call(
    hub.sts,
    new AssumeRoleCommand({
      RoleArn: SPOKE_ROLE,
      RoleSessionName: 'spokelink-test',
      ExternalId: config.spokeRole.externalId,
    }),
  )) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } };
  const spokeClients = clients(twin, transport, {
    accessKeyId: session.Credentials.AccessKeyId,
    secretAccessKey: session.Credentials.SecretAccessKey,
    sessionToken: session.Credentials.SessionToken,
  });
  await call(spokeClients.sts, new GetCallerIdentityCommand({}));
  await call(spokeClients.ec2, new DescribeVpcsCommand({ VpcIds: [spoke.vpcId] }));
  await call(spokeClients.ec2, new DescribeVpcsCommand({ VpcIds: ['vpc-0000000000000dead'] }));
  const subnets = (await call(
    spokeClients.ec2,
    new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [spoke.vpcId] }] }),
  )) as { Subnets: { SubnetId: string }[] };
  // A throttled first attempt: the SDK's retry strategy retries it (attempts 2 in $metadata on both paths).
  twin.inject({
    service: 'ec2',
    operation: 'CreateTransitGatewayVpcAttachment',
    times: 1,
    error: () => new TwinError('RequestLimitExceeded', 'Request limit exceeded.', 503),
  });
  const created = await call(
    spokeClients.ec2,
    new CreateTransitGatewayVpcAttachmentCommand({
      TransitGatewayId: config.hub.transitGatewayId,
      VpcId: spoke.vpcId,
      SubnetIds: subnets.Subnets.map((s) => s.SubnetId),
    }),
  );
  // Not shared with the spoke in this bare world (the hub stack's share is deployed by the local hub): an error
  // after the retry, on both paths.
  expect(created).toBeUndefined();
  expect(answers.at(-1)).toMatchObject({ error: 'InvalidTransitGatewayID.NotFound', metadata: { attempts: 2 } });
  await call(
    hub.ec2,
    new DescribeTransitGatewayAttachmentsCommand({ Filters: [{ Name: 'resource-id', Values: [spoke.vpcId] }] }),
  );
  const zoneId = world.route53.zones[0]!.id;
  // Route 53's id normalizer (a command middleware) strips `/hostedzone/` on both paths.
  await call(hub.route53, new GetHostedZoneCommand({ Id: `/hostedzone/${zoneId}` }));
  await call(hub.route53, new GetHostedZoneCommand({ Id: 'Z0000000NOSUCHZONE' }));
  const vpc = { VPCRegion: 'us-east-1' as const, VPCId: spoke.vpcId };
  await call(spokeClients.route53, new AssociateVPCWithHostedZoneCommand({ HostedZoneId: zoneId, VPC: vpc }));
  await call(hub.route53, new CreateVPCAssociationAuthorizationCommand({ HostedZoneId: zoneId, VPC: vpc }));
  await call(spokeClients.route53, new AssociateVPCWithHostedZoneCommand({ HostedZoneId: zoneId, VPC: vpc }));
  await call(spokeClients.route53, new ListHostedZonesByVPCCommand({ VPCId: spoke.vpcId, VPCRegion: 'us-east-1' }));
  await call(hub.ram, new GetResourceShareAssociationsCommand({ associationType: 'PRINCIPAL' }));
  await call(hub.organizations, new DescribeOrganizationCommand({}));
  await call(hub.organizations, new ListParentsCommand({ ChildId: spoke.accountId }));
  await call(spokeClients.organizations, new ListParentsCommand({ ChildId: '999999999999' }));
  return { answers, calls: twin.calls, state: twin.snapshot() };
}

describe('the direct transport answers as the full SDK path', () => {
  it('gives the same outputs, exceptions, retries, call log and state for calls of every twin service', async () => {
    const sdk = await script('sdk');
    const direct = await script('direct');
    // The full path built a request for every send; the direct one none (it took the short stack).
    expect(built.sdk).toBe(sdk.answers.length);
    expect(built.direct).toBe(0);
    expect(direct.answers).toEqual(sdk.answers);
    expect(direct.calls).toEqual(sdk.calls);
    expect(direct.state).toEqual(sdk.state);
    // The sample holds successes and errors of each service, and the retried call.
    const services = new Set(sdk.calls.map((c) => c.service));
    expect([...services].sort()).toEqual(['ec2', 'organizations', 'ram', 'route53', 'sts']);
    expect(sdk.calls.filter((c) => c.error).length).toBeGreaterThanOrEqual(4);
    expect(sdk.calls.filter((c) => c.operation === 'CreateTransitGatewayVpcAttachment').map((c) => c.error)).toEqual([
      'RequestLimitExceeded',
      'InvalidTransitGatewayID.NotFound',
    ]);
    expect(sdk.calls.filter((c) => c.operation === 'AssociateVPCWithHostedZone').map((c) => c.error)).toEqual([
      'NotAuthorizedException',
      undefined,
    ]);
  });

  it('leaves a client without the direct plugin on the SDK path', async () => {
    const twin = createTwin(world, { seed: 11 });
    const identity = twin.credentialsFor(HUB_ROLE);
    // Installs the direct send for the clients of this twin's plugin.
    clients(twin, 'direct', identity);
    const plain = new STSClient({
      region: 'us-east-1',
      credentials: identity,
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    await expect(plain.send(new GetCallerIdentityCommand({}))).rejects.toThrow(/ECONNREFUSED/);
    expect(twin.calls).toEqual([]);
  });
});
