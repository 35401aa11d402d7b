import type { AssociateVpcCidrBlockRequest, DisassociateVpcCidrBlockRequest } from '@aws-sdk/client-ec2';
import { errors } from '../../errors';
import type { Twin } from '../../twin';
import type { CallContext, OperationHandler } from '../../types';
import {
  canonicalCidr,
  canonicalIpv6Cidr,
  cidrContains,
  cidrOverlaps,
  type Ec2State,
  ec2State,
  emitApiCall,
  err,
  ipv6Subblock,
  owned,
  parseCidr,
  parseIpv6Cidr,
  quotas,
  requireParam,
  type Vpc,
} from './model';

/**
 * The IPv4 CIDR rules of a VPC, from the Amazon VPC User Guide, "VPC CIDR blocks"
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html):
 * - every IPv4 block is /16 to /28;
 * - a secondary block may not overlap a block of the VPC, nor be the same as or larger than the destination of a
 *   route in any of the VPC's route tables (other than its local routes);
 * - the ranges a secondary block may come from depend on the primary's ("IPv4 CIDR block association restrictions"):
 *   169.254.0.0/16 never; 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and 198.19.0.0/16 only when the primary is in the
 *   same range; publicly routable ranges and 100.64.0.0/10 always;
 * - at most 5 IPv4 blocks per VPC by default (Amazon VPC quotas, "IPv4 CIDR blocks per VPC", adjustable up to 50:
 *   https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).
 * Twin's choice (AWS lists no such range but never hands it out as a VPC range): 0.0.0.0/8, 127.0.0.0/8 and
 * 224.0.0.0/3 (multicast and reserved) are refused for any block, so the twin is never more forgiving than AWS.
 */

const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '198.19.0.0/16'] as const;
const NEVER = ['169.254.0.0/16', '0.0.0.0/8', '127.0.0.0/8', '224.0.0.0/3'] as const;

/** Why AWS would refuse `cidr` as the VPC's first block, or undefined. */
export function primaryCidrProblem(cidr: string): string | undefined {
  const prefix = parseCidr(cidr)?.prefix;
  if (prefix === undefined) return `${cidr} is not an IPv4 CIDR block`;
  if (prefix < 16 || prefix > 28) return `${cidr} is not /16 to /28`;
  const never = NEVER.find((r) => cidrOverlaps(r, cidr));
  if (never) return `${cidr} is in the restricted range ${never}`;
  return undefined;
}

/**
 * Why AWS would refuse `cidr` as a secondary block of a VPC whose blocks are `blocks` (primary first) and whose route
 * tables route `routeDestinations` (non-local), or undefined. `code` is the EC2 error code the twin answers.
 */
export function secondaryCidrProblem(
  blocks: readonly string[],
  cidr: string,
  routeDestinations: readonly string[],
  maxBlocks: number,
): { code: string; message: string } | undefined {
  const invalid = (message: string) => ({ code: 'InvalidVpc.Range', message });
  const basic = primaryCidrProblem(cidr);
  if (basic) return invalid(`The CIDR '${cidr}' is invalid: ${basic}.`);
  if (blocks.length >= maxBlocks) {
    // moto answers the same code and text (moto/ec2/exceptions.py CidrLimitExceeded).
    return {
      code: 'CidrLimitExceeded',
      message: `This network has met its maximum number of allowed CIDRs: ${maxBlocks}`,
    };
  }
  const overlapping = blocks.find((b) => cidrOverlaps(b, cidr));
  if (overlapping) return invalid(`The CIDR '${cidr}' conflicts with the VPC's CIDR ${overlapping}.`);
  const route = routeDestinations.find((d) => cidrContains(cidr, d));
  if (route) return invalid(`The CIDR '${cidr}' is the same as or larger than the route destination ${route}.`);
  const primaryRange = PRIVATE_RANGES.find((r) => cidrContains(r, blocks[0]!));
  const restricted = PRIVATE_RANGES.find((r) => r !== primaryRange && cidrOverlaps(r, cidr));
  if (restricted) {
    return invalid(
      `The CIDR '${cidr}' is restricted: a VPC whose primary CIDR is ${blocks[0]} cannot add a block from ${restricted}.`,
    );
  }
  return undefined;
}

/** Destinations of the VPC's non-local routes (a secondary block may not cover one). */
function routeDestinationsOf(vpc: Vpc, routeTables: ReturnType<typeof ec2State>['routeTables']): string[] {
  return Object.values(routeTables)
    .filter((t) => t.vpcId === vpc.id)
    .flatMap((t) => t.routes.filter((r) => r.gatewayId !== 'local').map((r) => r.destinationCidrBlock))
    .filter((d) => parseCidr(d) !== undefined);
}

/**
 * IPv6 blocks of a VPC, from the Amazon VPC User Guide, "IPv6 VPC CIDR blocks"
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html#vpc-sizing-ipv6) and AssociateVpcCidrBlock
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateVpcCidrBlock.html):
 * - an Amazon-provided block is a /56 (`AmazonProvidedIpv6CidrBlock`); AWS picks it;
 * - a block from a BYOIP pool (`Ipv6Pool` with or without `Ipv6CidrBlock`) or an IPAM pool (`Ipv6IpamPoolId` with
 *   `Ipv6CidrBlock` or `Ipv6NetmaskLength`) is /44 to /60 in steps of /4, inside the pool, and a pool never hands out
 *   the same addresses twice; pools are declared by the world (`ec2.ipv6Pools`: the twin models no pool API), and
 *   pools of different owners may overlap (two IPAMs' private ULA/GUA ranges);
 * - at most 5 IPv6 blocks per VPC (Amazon VPC quotas, "IPv6 CIDR blocks per VPC").
 * Twin's choice: Amazon's pool is AMAZON_IPV6_RANGE, handed out one /56 after another.
 */
export const AMAZON_IPV6_RANGE = '2600:1f00::/24';

/** The next free Amazon-provided /56 (none of any VPC of the twin). */
export function allocateIpv6Block(twin: Twin): string {
  const s = ec2State(twin);
  const taken = Object.values(s.vpcs).flatMap((v) => (v.ipv6Blocks ?? []).map((b) => b.cidr));
  for (;;) {
    const cidr = ipv6Subblock(AMAZON_IPV6_RANGE, 56, BigInt(s.amazonIpv6Allocated));
    s.amazonIpv6Allocated += 1;
    if (!taken.some((t) => cidrOverlaps(t, cidr))) return cidr;
  }
}

/** Why AWS would refuse `cidr` (canonical) as a block of `pool`, or undefined. */
export function poolBlockProblem(twin: Twin, poolId: string, cidr: string): string | undefined {
  const s = ec2State(twin);
  const pool = s.ipv6Pools[poolId]!;
  const prefix = parseIpv6Cidr(cidr)!.prefix;
  if (prefix < 44 || prefix > 60 || prefix % 4 !== 0) return `${cidr} is not /44 to /60 in steps of /4`;
  if (!pool.cidrs.some((c) => cidrContains(c, cidr))) return `${cidr} is not in pool ${pool.id}`;
  const used = Object.values(s.vpcs)
    .flatMap((v) => v.ipv6Blocks ?? [])
    .find((b) => b.pool === pool.id && cidrOverlaps(b.cidr, cidr));
  if (used) return `${cidr} overlaps ${used.cidr}, already allocated from pool ${pool.id}`;
  return undefined;
}

/** The block an IPv6 AssociateVpcCidrBlock asks for, and its pool (`amazon` or the pool id). */
function requestedIpv6Block(ctx: CallContext, input: AssociateVpcCidrBlockRequest): { cidr: string; pool: string } {
  const s = ec2State(ctx.twin);
  const poolId = input.Ipv6Pool ?? input.Ipv6IpamPoolId;
  if (input.AmazonProvidedIpv6CidrBlock === true) {
    if (poolId !== undefined || input.Ipv6CidrBlock !== undefined) {
      throw err(
        'InvalidParameterCombination',
        'AmazonProvidedIpv6CidrBlock cannot be combined with an IPv6 pool or block',
      );
    }
    return { cidr: allocateIpv6Block(ctx.twin), pool: 'amazon' };
  }
  if (poolId === undefined) throw errors.missingParameter('Ipv6Pool');
  const pool = s.ipv6Pools[poolId];
  // A pool of another account (not shared: RAM sharing of IPAM pools is not modeled) or region is not found.
  if (!pool || pool.ownerId !== ctx.caller.accountId || pool.region !== ctx.region) {
    throw err('InvalidIpv6Pool.NotFound', `The IPv6 pool '${poolId}' does not exist`);
  }
  let cidr: string;
  if (input.Ipv6CidrBlock !== undefined) {
    const canonical = canonicalIpv6Cidr(input.Ipv6CidrBlock);
    if (!canonical)
      throw errors.invalidParameter(`Value (${input.Ipv6CidrBlock}) for parameter ipv6CidrBlock is invalid.`);
    cidr = canonical;
  } else {
    // The first free block of the asked size (/56 unless Ipv6NetmaskLength says otherwise).
    const prefix = input.Ipv6NetmaskLength ?? 56;
    const free = pool.cidrs.flatMap((c) => {
      const outer = parseIpv6Cidr(c)!;
      if (prefix < outer.prefix) return [];
      const count = 1n << BigInt(Math.min(prefix - outer.prefix, 16));
      for (let n = 0n; n < count; n += 1n) {
        const candidate = ipv6Subblock(c, prefix, n);
        if (!poolBlockProblem(ctx.twin, pool.id, candidate)) return [candidate];
      }
      return [];
    });
    if (free.length === 0) throw err('InsufficientCidrBlocks', `Pool ${pool.id} has no free /${prefix}`);
    cidr = free[0]!;
  }
  const problem = poolBlockProblem(ctx.twin, pool.id, cidr);
  if (problem) throw err('InvalidVpc.Range', `The IPv6 CIDR '${cidr}' is invalid: ${problem}.`);
  return { cidr, pool: pool.id };
}

function associateIpv6(ctx: CallContext, vpc: Vpc, input: AssociateVpcCidrBlockRequest) {
  const s = ec2State(ctx.twin);
  const blocks = vpc.ipv6Blocks ?? [];
  if (blocks.length >= quotas(ctx.twin).ipv6CidrBlocksPerVpc) {
    throw err('CidrLimitExceeded', `This network has met its maximum number of allowed CIDRs: ${blocks.length}`);
  }
  const { cidr, pool } = requestedIpv6Block(ctx, input);
  const overlapping = blocks.find((b) => cidrOverlaps(b.cidr, cidr));
  if (overlapping)
    throw err('InvalidVpc.Range', `The CIDR '${cidr}' conflicts with the VPC's CIDR ${overlapping.cidr}.`);
  const associationId = ctx.twin.newId('vpc-cidr-assoc');
  vpc.ipv6Blocks = [...blocks, { cidr, associationId, pool }];
  for (const table of Object.values(s.routeTables)) {
    if (table.vpcId === vpc.id) {
      table.routes.push({ destinationCidrBlock: cidr, gatewayId: 'local', origin: 'CreateRouteTable' });
    }
  }
  const association = {
    AssociationId: associationId,
    Ipv6CidrBlock: cidr,
    Ipv6CidrBlockState: { State: 'associating' as const },
    Ipv6Pool: pool === 'amazon' ? 'Amazon' : pool,
    NetworkBorderGroup: vpc.region,
  };
  emitApiCall(
    ctx,
    'AssociateVpcCidrBlock',
    { vpcId: vpc.id, ...(pool === 'amazon' ? { amazonProvidedIpv6CidrBlock: true } : { ipv6Pool: pool }) },
    { AssociateVpcCidrBlockResponse: { vpcId: vpc.id, ipv6CidrBlockAssociation: association } },
  );
  return { VpcId: vpc.id, Ipv6CidrBlockAssociation: association };
}

function disassociateIpv6(ctx: CallContext, vpc: Vpc, id: string) {
  const s = ec2State(ctx.twin);
  const block = (vpc.ipv6Blocks ?? []).find((b) => b.associationId === id)!;
  requireNoSubnetsIn(s, vpc, block.cidr, 'ipv6');
  vpc.ipv6Blocks = (vpc.ipv6Blocks ?? []).filter((b) => b !== block);
  return finishDisassociation(ctx, vpc, id, block.cidr, 'ipv6');
}

/**
 * A block that still holds subnets cannot go ("Remove a CIDR block": delete its subnets first). AWS documents no
 * error code for it: twin's choice, DependencyViolation as for DeleteVpc.
 */
function requireNoSubnetsIn(s: Ec2State, vpc: Vpc, cidr: string, family: 'ipv4' | 'ipv6'): void {
  const inBlock = (subnetCidr: string | undefined) => !!subnetCidr && cidrContains(cidr, subnetCidr);
  const used = Object.values(s.subnets).some(
    (x) => x.vpcId === vpc.id && inBlock(family === 'ipv6' ? x.ipv6CidrBlock : x.cidrBlock),
  );
  if (used)
    throw err('DependencyViolation', `The CIDR '${cidr}' of ${vpc.id} has subnets and cannot be disassociated.`);
}

/**
 * The end of a disassociation (the block already left the VPC's record): the VPC's route tables lose their local
 * route to the block, and the answer (`disassociating`) is also emitted as the CloudTrail API call event.
 */
function finishDisassociation(ctx: CallContext, vpc: Vpc, id: string, cidr: string, family: 'ipv4' | 'ipv6') {
  for (const table of Object.values(ec2State(ctx.twin).routeTables)) {
    if (table.vpcId === vpc.id) {
      table.routes = table.routes.filter((r) => !(r.gatewayId === 'local' && r.destinationCidrBlock === cidr));
    }
  }
  const state = { State: 'disassociating' as const };
  const association =
    family === 'ipv6'
      ? { AssociationId: id, Ipv6CidrBlock: cidr, Ipv6CidrBlockState: state }
      : { AssociationId: id, CidrBlock: cidr, CidrBlockState: state };
  const key = family === 'ipv6' ? 'ipv6CidrBlockAssociation' : 'cidrBlockAssociation';
  emitApiCall(
    ctx,
    'DisassociateVpcCidrBlock',
    { associationId: id },
    { DisassociateVpcCidrBlockResponse: { vpcId: vpc.id, [key]: association } },
  );
  return family === 'ipv6'
    ? { VpcId: vpc.id, Ipv6CidrBlockAssociation: association }
    : { VpcId: vpc.id, CidrBlockAssociation: association };
}

export const vpcCidrOperations: Record<string, OperationHandler> = {
  AssociateVpcCidrBlock(ctx, input: AssociateVpcCidrBlockRequest) {
    const vpc = owned(ctx, 'vpcs', input.VpcId, 'VpcId');
    const ipv6 =
      input.AmazonProvidedIpv6CidrBlock === true ||
      input.Ipv6Pool !== undefined ||
      input.Ipv6IpamPoolId !== undefined ||
      input.Ipv6CidrBlock !== undefined ||
      input.Ipv6NetmaskLength !== undefined;
    if (ipv6 && input.CidrBlock !== undefined) {
      throw err('InvalidParameterCombination', 'An IPv4 and an IPv6 CIDR block cannot be associated in one request');
    }
    if (ipv6) return associateIpv6(ctx, vpc, input);
    const given = requireParam(input.CidrBlock, 'CidrBlock');
    const cidr = canonicalCidr(given);
    if (!cidr) throw errors.invalidParameter(`Value (${given}) for parameter cidrBlock is invalid.`);
    const s = ec2State(ctx.twin);
    const problem = secondaryCidrProblem(
      vpc.cidrBlocks,
      cidr,
      routeDestinationsOf(vpc, s.routeTables),
      quotas(ctx.twin).cidrBlocksPerVpc,
    );
    if (problem) throw err(problem.code, problem.message);
    const associationId = ctx.twin.newId('vpc-cidr-assoc');
    vpc.cidrBlocks.push(cidr);
    vpc.cidrAssociationIds.push(associationId);
    // Every route table of the VPC gets the local route of the new block.
    for (const table of Object.values(s.routeTables)) {
      if (table.vpcId === vpc.id) {
        table.routes.push({ destinationCidrBlock: cidr, gatewayId: 'local', origin: 'CreateRouteTable' });
      }
    }
    const association = { AssociationId: associationId, CidrBlock: cidr, CidrBlockState: { State: 'associating' } };
    emitApiCall(
      ctx,
      'AssociateVpcCidrBlock',
      { vpcId: vpc.id, cidrBlock: cidr },
      { AssociateVpcCidrBlockResponse: { vpcId: vpc.id, cidrBlockAssociation: association } },
    );
    return { VpcId: vpc.id, CidrBlockAssociation: association };
  },

  DisassociateVpcCidrBlock(ctx, input: DisassociateVpcCidrBlockRequest) {
    const id = requireParam(input.AssociationId, 'AssociationId');
    const s = ec2State(ctx.twin);
    const vpc = Object.values(s.vpcs).find(
      (v) =>
        v.ownerId === ctx.caller.accountId &&
        v.region === ctx.region &&
        (v.cidrAssociationIds.includes(id) || (v.ipv6Blocks ?? []).some((b) => b.associationId === id)),
    );
    if (!vpc) {
      throw err(
        'InvalidVpcCidrBlockAssociationID.NotFound',
        `The vpc CIDR block association ID '${id}' does not exist`,
      );
    }
    if (!vpc.cidrAssociationIds.includes(id)) return disassociateIpv6(ctx, vpc, id);
    const index = vpc.cidrAssociationIds.indexOf(id);
    const cidr = vpc.cidrBlocks[index]!;
    if (index === 0) {
      throw err(
        'OperationNotPermitted',
        `The vpc CIDR block with association ID ${id} may not be disassociated. It is the primary IPv4 CIDR block of the VPC`,
      );
    }
    requireNoSubnetsIn(s, vpc, cidr, 'ipv4');
    vpc.cidrBlocks.splice(index, 1);
    vpc.cidrAssociationIds.splice(index, 1);
    return finishDisassociation(ctx, vpc, id, cidr, 'ipv4');
  },
};
