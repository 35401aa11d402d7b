import { CreateVpcEndpointCommand, DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import type { LocalHub } from '#local/hub';
import { ec2State, stateAt } from '#twin/services/ec2/model';
import {
  appTeamEc2,
  LEDGER,
  lifecycleHub,
  PAYMENTS,
  registryOf,
  SERVICE,
  settle,
  statusOf,
} from '../lifecycle/helpers';
import { expectCalledOnFullPath } from '../sdk-path';

/**
 * Attacks on the hub's endpoint service (`payments-api`, prod only in the example configuration) by an app team that
 * controls its account's VPCs, tags and endpoints. PAYMENTS and LEDGER belong to the same account (222222222222): the
 * service's principal is account-wide, so the account can always create an endpoint in any of its VPCs; what
 * spokelink controls is which connections it accepts, and that it rejects them again.
 */

const SERVICE_NAME = `com.amazonaws.vpce.us-east-1.${SERVICE}`;
const PRINCIPAL = 'arn:aws:iam::222222222222:root';

const principals = (hub: LocalHub) =>
  ec2State(hub.twin).endpointServices[SERVICE]!.allowedPrincipals.map((p) => p.principal);

/** The provider-side state of an endpoint's connection, as the twin holds it. */
function connectionState(hub: LocalHub, endpointId: string): string {
  const endpoint = ec2State(hub.twin).endpoints[endpointId];
  if (!endpoint) throw new Error(`no endpoint ${endpointId}`);
  return stateAt(endpoint.timeline, hub.clock.now());
}

/** The endpoint's state as its owner (the app team) sees it. */
async function stateSeenByTeam(hub: LocalHub, vpcId: string, endpointId: string): Promise<string | undefined> {
  const seen = await appTeamEc2(hub, vpcId).send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }));
  return seen.VpcEndpoints?.[0]?.State;
}

/** The app team creates an interface endpoint to the payments service in one of its VPCs. */
async function createEndpoint(hub: LocalHub, vpcId: string): Promise<string> {
  const subnet = Object.values(ec2State(hub.twin).subnets).find((s) => s.vpcId === vpcId)!;
  const out = await appTeamEc2(hub, vpcId).send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: vpcId,
      ServiceName: SERVICE_NAME,
      SubnetIds: [subnet.id],
    }),
  );
  return out.VpcEndpoint!.VpcEndpointId!;
}

async function tag(hub: LocalHub, vpcId: string, tags: Record<string, string>, status: string): Promise<void> {
  await hub.tagVpc(vpcId, tags);
  await settle(hub);
  expect(statusOf(hub, vpcId).status).toBe(status);
}

/** The RegisterConsumer outputs of the VPC's executions, newest last. */
function registrations(hub: LocalHub, vpcId: string): Record<string, unknown>[] {
  return hub.sfn
    .executions()
    .filter((e) => e.name.includes(vpcId))
    .sort((a, b) => a.startDate - b.startDate)
    .flatMap((e) => [...e.attempts.values()].flat())
    .filter((a) => a.state === 'RegisterConsumer' && a.outcome === 'succeeded')
    .map((a) => a.output as Record<string, unknown>);
}

/** PAYMENTS connected (prod, `*`), an endpoint its team made in it, accepted by the next run (a services change). */
async function acceptedEndpointInPayments(hub: LocalHub): Promise<string> {
  await tag(hub, PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' }, 'connected');
  const endpoint = await createEndpoint(hub, PAYMENTS);
  await tag(hub, PAYMENTS, { 'spokelink:services': 'payments-api,ssm' }, 'connected');
  expect(connectionState(hub, endpoint)).not.toBe('pendingAcceptance');
  return endpoint;
}

describe('Security: endpoint service connections', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('leaves pending, and reports, an endpoint in an untagged VPC of an onboarded account', async () => {
    hub = await lifecycleHub();
    await tag(hub, PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' }, 'connected');
    expect(principals(hub)).toEqual([PRINCIPAL]);
    // The account is allowed: its team makes endpoints in the connected VPC and in LEDGER, which never asked.
    const ours = await createEndpoint(hub, PAYMENTS);
    const sneaky = await createEndpoint(hub, LEDGER);

    // A services change runs RegisterConsumer for PAYMENTS again: it accepts what is pending for the account.
    await tag(hub, PAYMENTS, { 'spokelink:services': 'payments-api,ssm' }, 'connected');

    expect(connectionState(hub, sneaky)).toBe('pendingAcceptance');
    expect(connectionState(hub, ours)).not.toBe('pendingAcceptance');
    const last = registrations(hub, PAYMENTS).at(-1)!;
    expect(last.connectionsAccepted).toEqual([ours]);
    expect(last.connectionsLeftPending).toEqual([
      { serviceId: SERVICE, vpcEndpointId: sneaky, reason: `its endpoint is not in ${PAYMENTS}` },
    ]);
    expect((await registryOf(hub, PAYMENTS)).CURRENT!.endpointConnections).toEqual([
      { serviceId: SERVICE, vpcEndpointId: ours },
    ]);
    expect((await registryOf(hub, LEDGER)).CURRENT).toBeUndefined();
  });

  it('keeps a nonprod VPC off a prod-only service, whatever it asks and wherever its account is allowed', async () => {
    hub = await lifecycleHub();
    await tag(hub, PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' }, 'connected');

    // Asking by name is refused, and changes nothing.
    const before = principals(hub);
    await tag(
      hub,
      LEDGER,
      { 'spokelink:connect': 'true', 'spokelink:segment': 'nonprod', 'spokelink:services': 'payments-api' },
      'rejected',
    );
    expect(statusOf(hub, LEDGER).detail).toMatch(/^service-not-allowed: service payments-api is not available/);
    expect(principals(hub)).toEqual(before);

    // `*` in nonprod selects what nonprod may use: no payments-api.
    await tag(hub, LEDGER, { 'spokelink:services': '*' }, 'connected');
    const record = (await registryOf(hub, LEDGER)).CURRENT!;
    expect(record.services).not.toContain('payments-api');
    expect(record.endpointServicePrincipals).toEqual([]);

    // The account-wide principal lets the team create an endpoint in the nonprod VPC: it is never accepted, neither
    // by the nonprod VPC's runs nor by the prod VPC's.
    const endpoint = await createEndpoint(hub, LEDGER);
    await tag(hub, LEDGER, { 'spokelink:services': 'ssm' }, 'connected');
    await tag(hub, PAYMENTS, { 'spokelink:services': 'payments-api,ssm' }, 'connected');
    expect(connectionState(hub, endpoint)).toBe('pendingAcceptance');
    expect(await stateSeenByTeam(hub, LEDGER, endpoint)).toBe('pendingAcceptance');
  });

  it('rejects the connection it accepted when the VPC is offboarded, and removes the principal', async () => {
    hub = await lifecycleHub();
    const endpoint = await acceptedEndpointInPayments(hub);

    await hub.untagVpc(PAYMENTS, ['spokelink:connect']);
    await settle(hub);

    expect(statusOf(hub, PAYMENTS).status).toBe('disconnected');
    expect(statusOf(hub, PAYMENTS).detail).toContain('1 endpoint connection(s) rejected');
    expect(connectionState(hub, endpoint)).toBe('rejected');
    expect(principals(hub)).toEqual([]);
    expect(await stateSeenByTeam(hub, PAYMENTS, endpoint)).toBe('rejected');
  });

  it('rejects the connection and removes the principal when a change drops the service', async () => {
    // The full SDK path: the connection's accept and reject (test/infra/permissions-coverage.test.ts).
    hub = await lifecycleHub({ sdkTransport: 'sdk' });
    const endpoint = await acceptedEndpointInPayments(hub);

    await tag(hub, PAYMENTS, { 'spokelink:services': 'ssm' }, 'connected');

    expect(connectionState(hub, endpoint)).toBe('rejected');
    expect(principals(hub)).toEqual([]);
    const record = (await registryOf(hub, PAYMENTS)).CURRENT!;
    expect(record.endpointConnections).toEqual([]);
    expect(record.endpointServicePrincipals).toEqual([]);
    expectCalledOnFullPath(hub, ['ec2:AcceptVpcEndpointConnections', 'ec2:RejectVpcEndpointConnections']);
  });
});
