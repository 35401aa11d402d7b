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

function twoRegionConfig() {
  return lifecycleConfig((raw) => {
    raw.version = 3;
    (raw.hub as Record<string, unknown>).supernets = ['10.0.0.0/12', '2600:1f00::/40'];
    raw.regions = {
      'eu-west-1': {
        transitGatewayId: 'tgw-0e1b2c3d4e5f60719',
        vpcId: 'vpc-0f000000000000e01',
        supernets: ['10.16.0.0/12'],
        segments: { nonprod: { associationRouteTableId: 'tgw-rtb-0e000000000000012' } },
        defaultSegment: 'nonprod',
        destinations: [{ cidr: '10.32.0.0/16' }],
        endpoints: {},
      },
    };
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
