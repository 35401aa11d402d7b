import type { LocalHub } from '#local/hub';
import type { ConsumerRecord } from '#shared/registry/model';
import { ec2State } from '#twin/services/ec2/model';
import { resolvingZone } from '#twin/services/route53profiles';
import {
  advance,
  lifecycleConfig,
  lifecycleHub,
  networkDiff,
  PAYMENTS,
  REGION,
  registryOf,
  STS_NAME,
  settle,
  statusOf,
  ZONES,
} from '../lifecycle/helpers';

/**
 * Spoke placement end to end on the twin (real ASL and handlers, every call evaluated against the synthesized IAM
 * policies): a VPC asking for sts locally gets an interface endpoint of its own (private DNS, its own security group,
 * spokelink's tags, recorded by id) and no association with the hub's sts zone; offboarding deletes exactly what was
 * recorded and leaves nothing.
 */

const STS_POLICY = { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Resource: '*' }] };

const placementConfig = () =>
  lifecycleConfig((raw) => {
    const endpoints = raw.endpoints as Record<string, Record<string, unknown>>;
    endpoints.sts = {
      ...endpoints.sts,
      placement: 'either',
      serviceName: 'com.amazonaws.us-east-1.sts',
      endpointPolicy: STS_POLICY,
    };
  });

const endpointsIn = (hub: LocalHub, vpcId: string) =>
  Object.values(ec2State(hub.twin).endpoints).filter(
    (e) => e.vpcId === vpcId && e.timeline.at(-1)?.state !== 'deleted',
  );

const zonesWith = (hub: LocalHub, vpcId: string) =>
  Object.entries(hub.twin.stateOf<{ zones: Record<string, { vpcs: { vpcId: string }[] }> }>('route53').zones)
    .filter(([, z]) => z.vpcs.some((v) => v.vpcId === vpcId))
    .map(([id]) => id)
    .sort();

describe('Workflow: spoke placement (spokelink:local-services)', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('onboards with sts served by an endpoint in the VPC and the rest from the hub, then offboards leaving nothing', async () => {
    hub = await lifecycleHub({ config: placementConfig() });
    const before = hub.twin.snapshot();

    await hub.tagVpc(PAYMENTS, {
      'spokelink:connect': 'true',
      'spokelink:segment': 'prod',
      'spokelink:local-services': 'sts',
    });
    await settle(hub);

    expect(statusOf(hub, PAYMENTS)).toMatchObject({
      status: 'connected',
      detail: expect.stringContaining('services payments-api,secretsmanager,ssm,sts; in the VPC: sts (own endpoint);'),
    });
    const [endpoint, ...others] = endpointsIn(hub, PAYMENTS);
    expect(others).toEqual([]);
    expect(endpoint).toMatchObject({
      serviceName: 'com.amazonaws.us-east-1.sts',
      privateDnsEnabled: true,
      policyDocument: JSON.stringify(STS_POLICY),
      tags: expect.objectContaining({ 'spokelink:managed': 'true' }),
    });
    const group = ec2State(hub.twin).securityGroups[endpoint!.securityGroupIds[0]!]!;
    expect(group.vpcId).toBe(PAYMENTS);
    expect(group.tags['spokelink:managed']).toBe('true');
    expect(group.rules.filter((r) => !r.isEgress).map((r) => `${r.cidr}:${r.fromPort}`)).toEqual(['10.1.0.0/16:443']);
    // The hub's sts zone is not associated; the others are.
    expect(zonesWith(hub, PAYMENTS)).not.toContain(ZONES.sts);
    expect(zonesWith(hub, PAYMENTS)).toEqual(expect.arrayContaining([ZONES.ssm, ZONES.secrets]));
    expect(resolvingZone(hub.twin, STS_NAME, PAYMENTS, REGION)).toEqual({ zoneId: endpoint!.id, via: 'endpoint' });
    expect(resolvingZone(hub.twin, 'ssm.us-east-1.amazonaws.com', PAYMENTS, REGION)).toEqual({
      zoneId: ZONES.ssm,
      via: 'zone',
    });
    const record = (await registryOf(hub, PAYMENTS)).CURRENT as unknown as ConsumerRecord;
    expect(record.localServices).toEqual(['sts']);
    expect(record.spokeEndpoints).toEqual([
      { endpoint: 'sts', vpcEndpointId: endpoint!.id, securityGroupId: group.id },
    ]);
    // No hub security group rule for sts: the VPC does not use the hub's sts endpoint.
    expect(record.securityGroupRules.map((r) => r.endpoint)).not.toContain('sts');

    await hub.untagVpc(PAYMENTS, ['spokelink:connect', 'spokelink:segment', 'spokelink:local-services']);
    await settle(hub);
    await advance(hub, 5 * 60_000);

    expect(statusOf(hub, PAYMENTS).status).toBe('disconnected');
    expect(networkDiff(hub, before)).toEqual([]);
    expect(hub.executions().map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });
});
