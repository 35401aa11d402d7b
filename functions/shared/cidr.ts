/**
 * IPv4 CIDR arithmetic for the overlap checks (validation and the race-free claims in the registry).
 */

export interface Ipv4Block {
  /** Network address as an unsigned 32-bit number. */
  start: number;
  /** Last address of the block (inclusive). */
  end: number;
  prefix: number;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; throws on anything else. The address is masked to its network. */
export function parseCidr(cidr: string): Ipv4Block {
  const match = CIDR.exec(cidr.trim());
  if (!match) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  const address = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const size = 2 ** (32 - prefix);
  const start = Math.floor(address / size) * size;
  return { start, end: start + size - 1, prefix };
}

/** True when the two CIDRs share at least one address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.start <= y.end && y.start <= x.end;
}

/** Orders CIDRs by network address, then by prefix length (the larger block first). */
export function compareCidrs(a: string, b: string): number {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.start - y.start || x.prefix - y.prefix;
}

/**
 * The claim bucket of a VPC CIDR: its enclosing /16 (`10.1`). VPC IPv4 blocks are /16 to /28
 * (CreateVpc: "The smallest VPC you can create uses a /28 netmask ..., and the largest uses a /16 netmask",
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html), so each lies inside exactly one /16 and two
 * VPC blocks can only overlap when they share that /16: checking one bucket per block is enough.
 */
export function claimBucketOf(cidr: string): string {
  const block = parseCidr(cidr);
  if (block.prefix < 16) throw new Error(`${cidr} is larger than a /16, which no VPC CIDR block can be`);
  return `${block.start >>> 24}.${(block.start >>> 16) & 0xff}`;
}
