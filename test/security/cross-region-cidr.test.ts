import { AssociateVpcCidrBlockCommand } from '@aws-sdk/client-ec2';
import type { LocalHub } from '#local/hub';
import {
  appTeamEc2,
  claims,
  connectVpc,
  hubRoutesFor,
  lifecycleConfig,
  lifecycleHub,
  PAYMENTS,
  rulesAdmitting,
  SCRATCH,
  settle,
  statusOf,
} from '../lifecycle/helpers';

/**
 * Cross-region CIDR collisions (issue 21). CIDR claims are made in each region's own registry, with no cross-region
 * agreement: that is safe only because each region allocates from its own supernets, disjoint across regions. A
 * tenant of the us-east-1 hub uses a range of eu-west-1's supernet (as a new VPC, or added to its connected VPC) so
 * that the us-east-1 hub would claim and route addresses that eu-west-1 hands out on its own: refused, nothing routed,
 * nothing admitted, nothing claimed.
 */

const EU_RANGE = '10.31.0.0/16';

/**
 * The us-east-1 hub of a two-region deployment, allocated from 10.0.0.0/12; eu-west-1 allocates from 10.16.0.0/12
 * (10.31.0.0/16 is one of its ranges). The local runner runs one regional hub (the per-region function role names of
 * a multi-region configuration are not modeled locally), so this hub is configured with its own supernets only: what
 * it checks is exactly that every claim it makes lies in them.
 */
function twoRegionConfig() {
  return lifecycleConfig((raw) => {
    raw.version = 3;
    (raw.hub as Record<string, unknown>).supernets = ['10.0.0.0/12', '2600:1f00::/40'];
  });
}

describe('Security: a tenant uses another region’s supernet (cross-region CIDR collision)', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('rejects a VPC whose CIDR lies in another region’s supernet, claiming and routing nothing', async () => {
    hub = await lifecycleHub({ config: twoRegionConfig() });
    await hub.tagVpc(SCRATCH, { 'spokelink:connect': 'true' });
    await settle(hub);
    const { status, detail } = statusOf(hub, SCRATCH);
    expect(status).toBe('rejected');
    expect(detail).toContain(`CIDR ${EU_RANGE} is in none of the us-east-1 supernets (10.0.0.0/12)`);
    expect(hubRoutesFor(hub, EU_RANGE)).toEqual([]);
    expect(rulesAdmitting(hub, EU_RANGE)).toEqual([]);
    expect((await claims(hub))[SCRATCH]).toBeUndefined();
  });

  it('quarantines the range a connected VPC adds from another region’s supernet: never claimed nor routed', async () => {
    hub = await lifecycleHub({ config: twoRegionConfig() });
    await connectVpc(hub, PAYMENTS);
    await appTeamEc2(hub, PAYMENTS).send(new AssociateVpcCidrBlockCommand({ VpcId: PAYMENTS, CidrBlock: EU_RANGE }));
    await settle(hub);
    const { status, detail } = statusOf(hub, PAYMENTS);
    expect(status).toBe('quarantined');
    expect(detail).toContain(EU_RANGE);
    expect(hubRoutesFor(hub, EU_RANGE)).toEqual([]);
    expect(rulesAdmitting(hub, EU_RANGE)).toEqual([]);
    expect((await claims(hub))[PAYMENTS]).toEqual(['10.1.0.0/16']);
  });
});
