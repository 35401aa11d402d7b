import { normalize } from '../../bench/faults';

/** A twin snapshot reduced to what `normalize` reads: no VPC, no attachment, the RAM shares under their ARNs. */
function snapshotWithShares(shares: Record<string, { name: string; principals: string[] }>) {
  return { ec2: { vpcs: [], transitGatewayAttachments: [] }, ram: { shares } };
}

describe('Fault properties: state normalization', () => {
  it('compares two runs whose generated share ARNs sort the shares differently as equal', () => {
    const org = {
      name: 'spokelink-tgw-organization',
      principals: ['arn:aws:organizations::999999999999:organization/o-1'],
    };
    const partner = { name: 'spokelink-tgw', principals: ['555555555555'] };
    const arn = (id: string) => `arn:aws:ram:us-east-1:111111111111:resource-share/${id}`;
    const first = normalize(snapshotWithShares({ [arn('0aaa')]: org, [arn('0fff')]: partner }), []);
    const second = normalize(snapshotWithShares({ [arn('0aaa')]: partner, [arn('0fff')]: org }), []);
    expect(JSON.stringify(first)).toEqual(JSON.stringify(second));
  });

  it('still tells two runs apart when a share holds other principals', () => {
    const arn = 'arn:aws:ram:us-east-1:111111111111:resource-share/0aaa';
    const a = normalize(snapshotWithShares({ [arn]: { name: 'spokelink-tgw', principals: ['555555555555'] } }), []);
    const b = normalize(snapshotWithShares({ [arn]: { name: 'spokelink-tgw', principals: [] } }), []);
    expect(JSON.stringify(a)).not.toEqual(JSON.stringify(b));
  });
});
