import { DeleteVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import type { LocalHub } from '#local/hub';
import type { ConsumerRecord } from '#shared/registry/model';
import { ec2State } from '#twin/services/ec2/model';
import { resolvingZone } from '#twin/services/route53profiles';
import {
  advance,
  appTeamEc2,
  appTeamEndpoint,
  CONNECT_PROD,
  lifecycleHub,
  networkDiff,
  PAYMENTS,
  PAYMENTS_CIDR,
  REGION,
  registryOf,
  STS_NAME,
  settle,
  statusOf,
  ZONES,
  zonesAssociatedWith,
} from '../lifecycle/helpers';
import { expectCalledOnFullPath } from '../sdk-path';

/**
 * Moving sts between the hub and the spoke on a connected VPC (a change of `spokelink:local-services`), end to end on
 * the twin: the order of the calls (functions/zones/moves.ts), the name's resolution sampled before every AWS call on
 * the twin's clock (the window in which it does not resolve, docs/lifecycle.md "Moving a service"), nothing left
 * behind, and only recorded endpoint ids deleted.
 */

interface Sample {
  at: number;
  via: string;
}

/** Samples how PAYMENTS resolves sts before every AWS call from now on (a probe that never injects anything). */
function sampleResolution(hub: LocalHub): Sample[] {
  const samples: Sample[] = [];
  hub.twin.inject({
    when: (ctx) => {
      const answer = resolvingZone(hub.twin, STS_NAME, PAYMENTS, REGION);
      samples.push({ at: ctx.now, via: answer ? `${answer.via} ${answer.zoneId}` : 'none' });
      return false;
    },
  });
  return samples;
}

/** The milliseconds of twin time during which the samples say the name did not resolve. */
function unresolvedMs(samples: readonly Sample[], end: number): number {
  return samples.reduce((sum, s, i) => (s.via === 'none' ? sum + ((samples[i + 1]?.at ?? end) - s.at) : sum), 0);
}

/** Distinct consecutive answers: how resolution went. */
const path = (samples: readonly Sample[]) =>
  samples.map((s) => s.via).filter((via, i, all) => i === 0 || all[i - 1] !== via);

/** Index of the first twin call of `operation` made by spokelink's `origin` function at or after `from`. */
const callIndex = (hub: LocalHub, operation: string, from: number) =>
  hub.twin.calls.findIndex((c, i) => i >= from && c.operation === operation && !c.error);

const liveEndpoints = (hub: LocalHub) =>
  Object.values(ec2State(hub.twin).endpoints).filter(
    (e) => e.vpcId === PAYMENTS && !['deleting', 'deleted'].includes(e.timeline.at(-1)?.state ?? ''),
  );

describe('Workflow: moving a service between hub and spoke', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('moves sts hub -> spoke -> hub on a connected VPC in the safe order, then offboards leaving nothing', async () => {
    hub = await lifecycleHub({ sdkTransport: 'sdk' });
    const before = hub.twin.snapshot();
    await hub.tagVpc(PAYMENTS, CONNECT_PROD);
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect(resolvingZone(hub.twin, STS_NAME, PAYMENTS, REGION)).toEqual({ zoneId: ZONES.sts, via: 'zone' });

    // hub -> spoke
    const toSpoke = sampleResolution(hub);
    const mark = hub.twin.calls.length;
    await hub.tagVpc(PAYMENTS, { 'spokelink:local-services': 'sts' });
    await settle(hub);

    expect(statusOf(hub, PAYMENTS)).toMatchObject({
      status: 'connected',
      detail: expect.stringContaining('in the VPC: sts (own endpoint);'),
    });
    const [ours, ...others] = liveEndpoints(hub);
    expect(others).toEqual([]);
    expect(ours).toMatchObject({ serviceName: 'com.amazonaws.us-east-1.sts', privateDnsEnabled: true });
    expect(zonesAssociatedWith(hub, PAYMENTS)).not.toContain(ZONES.sts);
    // The order: the endpoint made without private DNS, the hub's zone disassociated, then private DNS on.
    const created = callIndex(hub, 'CreateVpcEndpoint', mark);
    const disassociated = callIndex(hub, 'DisassociateVPCFromHostedZone', mark);
    const enabled = callIndex(hub, 'ModifyVpcEndpoint', mark);
    expect(created).toBeGreaterThan(-1);
    expect(created < disassociated && disassociated < enabled).toBe(true);
    // Resolution went from the hub's zone to the endpoint; it did not resolve only between the disassociation and
    // ModifyVpcEndpoint, two calls of one invocation: 0 ms on the twin's clock (the twin's call latency is 0).
    expect(path(toSpoke)).toEqual([`zone ${ZONES.sts}`, 'none', `endpoint ${ours!.id}`]);
    expect(unresolvedMs(toSpoke, hub.clock.now())).toBe(0);
    const moved = (await registryOf(hub, PAYMENTS)).CURRENT as unknown as ConsumerRecord;
    expect(moved.localServices).toEqual(['sts']);
    expect(moved.zones.map((z) => z.endpoint)).not.toContain('sts');
    expect(moved.securityGroupRules.filter((r) => r.cidr === PAYMENTS_CIDR).map((r) => r.endpoint)).not.toContain(
      'sts',
    );

    // The tenant adds an sts endpoint of its own carrying spokelink's tag: the move back must not delete it.
    const forged = await appTeamEndpoint(hub, PAYMENTS, {
      serviceName: 'com.amazonaws.us-east-1.sts',
      subnetId: 'subnet-0a200000000000101',
      privateDns: false,
      tags: { 'spokelink:managed': 'true' },
    });

    // spoke -> hub
    const toHub = sampleResolution(hub);
    const back = hub.twin.calls.length;
    await hub.untagVpc(PAYMENTS, ['spokelink:local-services']);
    await settle(hub);
    await advance(hub, 5 * 60_000);

    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect(statusOf(hub, PAYMENTS).detail).not.toContain('in the VPC');
    expect(zonesAssociatedWith(hub, PAYMENTS)).toContain(ZONES.sts);
    // Private DNS off, the hub's zone associated, then spokelink's endpoint (only the recorded id) deleted.
    const released = callIndex(hub, 'ModifyVpcEndpoint', back);
    const associated = callIndex(hub, 'AssociateVPCWithHostedZone', back);
    const deleted = callIndex(hub, 'DeleteVpcEndpoints', back);
    expect(released < associated && associated < deleted).toBe(true);
    expect(liveEndpoints(hub).map((e) => e.id)).toEqual([forged]);
    // Likewise between ModifyVpcEndpoint (private DNS off) and the association: 0 ms on the twin's clock.
    expect(path(toHub)).toEqual([`endpoint ${ours!.id}`, 'none', `zone ${ZONES.sts}`]);
    expect(unresolvedMs(toHub, hub.clock.now())).toBe(0);
    const record = (await registryOf(hub, PAYMENTS)).CURRENT as unknown as ConsumerRecord;
    expect(record.localServices).toBeUndefined();
    expect(record.spokeEndpoints ?? []).toEqual([]);
    expect(record.securityGroupRules.filter((r) => r.cidr === PAYMENTS_CIDR).map((r) => r.endpoint)).toContain('sts');

    // Offboarding: nothing of spokelink's left; the tenant's own endpoint stays until the tenant deletes it.
    await hub.untagVpc(PAYMENTS, Object.keys(CONNECT_PROD));
    await settle(hub);
    await advance(hub, 5 * 60_000);
    expect(statusOf(hub, PAYMENTS).status).toBe('disconnected');
    expect(liveEndpoints(hub).map((e) => e.id)).toEqual([forged]);
    await appTeamEc2(hub, PAYMENTS).send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [forged] }));
    await advance(hub, 5 * 60_000);
    expect(networkDiff(hub, before)).toEqual([]);
    expect(hub.executions().every((e) => e.status === 'SUCCEEDED')).toBe(true);
    // Its endpoint and security group calls, through the full SDK path (test/infra/permissions-coverage.test.ts).
    expectCalledOnFullPath(hub, [
      'ec2:CreateSecurityGroup',
      'ec2:CreateVpcEndpoint',
      'ec2:DeleteSecurityGroup',
      'ec2:DeleteVpcEndpoints',
      'ec2:ModifyVpcEndpoint',
    ]);
  });
});
