import ipaddr from 'ipaddr.js';

/**
 * CIDR arithmetic of both IP families for the overlap checks (validation and the race-free claims in the registry),
 * the route and rule parameters and the ordering of CIDR lists. Parsing is ipaddr.js's; blocks are compared as
 * 128-bit (IPv6) or 32-bit (IPv4) numbers. Blocks of different families never overlap.
 */

export type IpFamily = 'ipv4' | 'ipv6';

export interface CidrBlock {
  family: IpFamily;
  /** Network address. */
  start: bigint;
  /** Last address of the block (inclusive). */
  end: bigint;
  prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Parses `a.b.c.d/n` or an IPv6 `x:x::/n`; throws on anything else (an IPv4-mapped or dotted IPv6 form included).
 * The address is masked to its network.
 */
export function parseCidr(cidr: string): CidrBlock {
  const text = cidr.trim();
  const bad = () => new Error(`not an IPv4 or IPv6 CIDR: ${JSON.stringify(cidr)}`);
  let family: IpFamily;
  let address: bigint;
  let prefix: number;
  const v4 = IPV4.exec(text);
  if (v4) {
    const octets = v4.slice(1, 5).map(Number);
    prefix = Number(v4[5]);
    if (octets.some((o) => o > 255) || prefix > 32) throw bad();
    family = 'ipv4';
    address = BigInt(((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0);
  } else {
    if (!text.includes(':') || text.includes('.') || !ipaddr.IPv6.isValidCIDR(text)) throw bad();
    const [ip, bits] = ipaddr.IPv6.parseCIDR(text);
    family = 'ipv6';
    prefix = bits;
    address = BigInt(`0x${Buffer.from(ip.toByteArray()).toString('hex')}`);
  }
  const size = 1n << BigInt((family === 'ipv4' ? 32 : 128) - prefix);
  const start = (address / size) * size;
  return { family, start, end: start + size - 1n, prefix };
}

/** The family of a CIDR (throws when it is neither). */
export function familyOf(cidr: string): IpFamily {
  return parseCidr(cidr).family;
}

export const isIpv6Cidr = (cidr: string): boolean => familyOf(cidr) === 'ipv6';

/** The canonical text of a block: network address, lower case, IPv6 zeros compressed (RFC 5952), as AWS shows it. */
export function canonicalCidr(cidr: string): string {
  const block = parseCidr(cidr);
  if (block.family === 'ipv4') {
    const n = Number(block.start);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${block.prefix}`;
  }
  const bytes = [...Buffer.from(block.start.toString(16).padStart(32, '0'), 'hex')];
  return `${ipaddr.fromByteArray(bytes).toString()}/${block.prefix}`;
}

/** True when the two CIDRs share at least one address (never across families). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.family === y.family && x.start <= y.end && y.start <= x.end;
}

/** True when every address of `inner` lies in `outer` (never across families). */
export function cidrContains(outer: string, inner: string): boolean {
  const x = parseCidr(outer);
  const y = parseCidr(inner);
  return x.family === y.family && x.start <= y.start && y.end <= x.end;
}

/** Orders CIDRs: IPv4 before IPv6, then by network address, then by prefix length (the larger block first). */
export function compareCidrs(a: string, b: string): number {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (x.family !== y.family) return x.family === 'ipv4' ? -1 : 1;
  return x.start < y.start ? -1 : x.start > y.start ? 1 : x.prefix - y.prefix;
}

/**
 * The claim bucket of a VPC CIDR. IPv4: its enclosing /16 (`10.1`). VPC IPv4 blocks are /16 to /28
 * (CreateVpc: "The smallest VPC you can create uses a /28 netmask ..., and the largest uses a /16 netmask",
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html), so each lies inside exactly one /16 and two
 * VPC blocks can only overlap when they share that /16: checking one bucket per block is enough. IPv6: its enclosing
 * /44 (`2600:1f18::/44`): VPC IPv6 blocks are /44 to /60 (an Amazon-provided one /56; from a BYOIP or IPAM pool /44 to
 * /60 in steps of /4, "IPv6 VPC CIDR blocks",
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html#vpc-sizing-ipv6), the same argument.
 */
export function claimBucketOf(cidr: string): string {
  const block = parseCidr(cidr);
  if (block.family === 'ipv4') {
    if (block.prefix < 16) throw new Error(`${cidr} is larger than a /16, which no VPC IPv4 CIDR block can be`);
    const n = Number(block.start);
    return `${n >>> 24}.${(n >>> 16) & 0xff}`;
  }
  if (block.prefix < 44) throw new Error(`${cidr} is larger than a /44, which no VPC IPv6 CIDR block can be`);
  return canonicalCidr(`${canonicalCidr(cidr).split('/')[0]}/44`);
}

/**
 * The destination parameter of an EC2 route (CreateRoute, DeleteRoute) for `cidr`: `DestinationIpv6CidrBlock` for an
 * IPv6 one (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html).
 */
export function routeDestinationParam(
  cidr: string,
): { DestinationCidrBlock: string } | { DestinationIpv6CidrBlock: string } {
  return isIpv6Cidr(cidr) ? { DestinationIpv6CidrBlock: cidr } : { DestinationCidrBlock: cidr };
}

/** The destination of an EC2 route as DescribeRouteTables shows it (either family). */
export function routeDestinationOf(route: {
  DestinationCidrBlock?: string;
  DestinationIpv6CidrBlock?: string;
}): string | undefined {
  return route.DestinationCidrBlock ?? route.DestinationIpv6CidrBlock;
}

/** The CIDR of a security group rule (either family). */
export function ruleCidrOf(rule: { CidrIpv4?: string; CidrIpv6?: string }): string | undefined {
  return rule.CidrIpv4 ?? rule.CidrIpv6;
}

/**
 * Whether a security group rule (DescribeSecurityGroupRules) lets TCP `port` in from `cidr` to `groupId`: the rule a
 * planned or recorded access is, whatever its description says.
 */
export const ruleAllows =
  (wanted: { groupId: string; port: number; cidr: string }) =>
  (rule: {
    GroupId?: string;
    IpProtocol?: string;
    FromPort?: number;
    ToPort?: number;
    CidrIpv4?: string;
    CidrIpv6?: string;
  }) =>
    rule.GroupId === wanted.groupId &&
    rule.IpProtocol === 'tcp' &&
    rule.FromPort === wanted.port &&
    rule.ToPort === wanted.port &&
    ruleCidrOf(rule) === wanted.cidr;

/**
 * A VPC's CIDR blocks that are (being) associated, IPv4 then IPv6, sorted (DescribeVpcs `CidrBlockAssociationSet` and
 * `Ipv6CidrBlockAssociationSet`; `CidrBlock` when the set is absent).
 */
export function associatedCidrsOf(vpc: {
  CidrBlock?: string;
  CidrBlockAssociationSet?: { CidrBlock?: string; CidrBlockState?: { State?: string } }[];
  Ipv6CidrBlockAssociationSet?: { Ipv6CidrBlock?: string; Ipv6CidrBlockState?: { State?: string } }[];
}): string[] {
  const live = (state: { State?: string } | undefined) => ['associated', 'associating'].includes(state?.State ?? '');
  const blocks = (vpc.CidrBlockAssociationSet ?? [])
    .filter((a) => a.CidrBlock && live(a.CidrBlockState))
    .map((a) => a.CidrBlock!);
  if (blocks.length === 0 && vpc.CidrBlock) blocks.push(vpc.CidrBlock);
  for (const a of vpc.Ipv6CidrBlockAssociationSet ?? []) {
    if (a.Ipv6CidrBlock && live(a.Ipv6CidrBlockState)) blocks.push(canonicalCidr(a.Ipv6CidrBlock));
  }
  return [...new Set(blocks)].sort(compareCidrs);
}

/**
 * The hub destinations a VPC with `cidrs` gets spoke routes to: those of a family the VPC has (an IPv4-only VPC has no
 * IPv6 source to route, and no IPv6 attachment to route it through).
 */
export function destinationsFor(destinations: readonly string[], cidrs: readonly string[]): string[] {
  const families = new Set(cidrs.map(familyOf));
  return destinations.filter((d) => families.has(familyOf(d)));
}
