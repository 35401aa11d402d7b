import {
  associatedCidrsOf,
  canonicalCidr,
  cidrsOverlap,
  claimBucketOf,
  compareCidrs,
  destinationsFor,
  parseCidr,
  routeDestinationParam,
} from '#shared/cidr';

describe('Function: CIDR arithmetic of both families', () => {
  it('parses IPv4 and IPv6 blocks to their network, and refuses anything else', () => {
    expect(parseCidr('10.1.2.3/16')).toMatchObject({ family: 'ipv4', prefix: 16, start: 0x0a010000n });
    expect(parseCidr('2600:1f18:abc:de12::1/56')).toMatchObject({ family: 'ipv6', prefix: 56 });
    for (const bad of ['10.0.0.0/33', '10.0.0.256/16', '2600::/129', '::ffff:10.0.0.0/104', 'fe80::/10%eth0', '']) {
      expect(() => parseCidr(bad)).toThrow(/not an IPv4 or IPv6 CIDR/);
    }
  });

  it('writes blocks as AWS does: network address, lower case, IPv6 zeros compressed', () => {
    expect(canonicalCidr('10.1.2.3/16')).toBe('10.1.0.0/16');
    expect(canonicalCidr('2600:1F18:0ABC:DE12:0:0:0:1/56')).toBe('2600:1f18:abc:de00::/56');
  });

  it('finds overlaps within a family only', () => {
    expect(cidrsOverlap('2600:1f18::/56', '2600:1f18:0:10::/60')).toBe(true);
    expect(cidrsOverlap('2600:1f18::/56', '2600:1f18:0:100::/56')).toBe(false);
    expect(cidrsOverlap('10.0.0.0/8', '10.1.0.0/16')).toBe(true);
    // 0.0.0.0/0 and ::/0 cover all of their own family and none of the other.
    expect(cidrsOverlap('0.0.0.0/0', '::/0')).toBe(false);
  });

  it('orders IPv4 before IPv6, then by address, then the larger block first', () => {
    expect(['2600::/56', '10.2.0.0/16', '10.1.0.0/24', '10.1.0.0/16', '2400::/56'].sort(compareCidrs)).toEqual([
      '10.1.0.0/16',
      '10.1.0.0/24',
      '10.2.0.0/16',
      '2400::/56',
      '2600::/56',
    ]);
  });

  it('puts two VPC blocks that can overlap in one claim bucket (/16 for IPv4, /44 for IPv6)', () => {
    expect(claimBucketOf('10.1.128.0/17')).toBe('10.1');
    expect(claimBucketOf('2600:1f18:abc:de00::/56')).toBe('2600:1f18:ab0::/44');
    expect(claimBucketOf('2600:1f18:abc:de00::/56')).toBe(claimBucketOf('2600:1f18:ab0::/44'));
    expect(() => claimBucketOf('2600:1f18::/40')).toThrow(/larger than a \/44/);
    expect(() => claimBucketOf('10.0.0.0/8')).toThrow(/larger than a \/16/);
  });

  it('names the route destination parameter of each family', () => {
    expect(routeDestinationParam('10.0.0.0/16')).toEqual({ DestinationCidrBlock: '10.0.0.0/16' });
    expect(routeDestinationParam('2600::/56')).toEqual({ DestinationIpv6CidrBlock: '2600::/56' });
  });

  it('reads a VPC’s associated blocks of both families and routes only destinations of a family it has', () => {
    const vpc = {
      CidrBlock: '10.1.0.0/16',
      CidrBlockAssociationSet: [
        { CidrBlock: '10.1.0.0/16', CidrBlockState: { State: 'associated' } },
        { CidrBlock: '10.9.0.0/16', CidrBlockState: { State: 'disassociated' } },
      ],
      Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: '2600:1F18::/56', Ipv6CidrBlockState: { State: 'associating' } }],
    };
    expect(associatedCidrsOf(vpc)).toEqual(['10.1.0.0/16', '2600:1f18::/56']);
    expect(destinationsFor(['10.0.0.0/16', '2600:1f00::/56'], ['10.1.0.0/16'])).toEqual(['10.0.0.0/16']);
    expect(destinationsFor(['10.0.0.0/16', '2600:1f00::/56'], associatedCidrsOf(vpc))).toEqual([
      '10.0.0.0/16',
      '2600:1f00::/56',
    ]);
  });
});
