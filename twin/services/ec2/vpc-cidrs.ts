import type { AssociateVpcCidrBlockRequest, DisassociateVpcCidrBlockRequest } from '@aws-sdk/client-ec2';
import { errors } from '../../errors';
import type { OperationHandler } from '../../types';
import {
  canonicalCidr,
  cidrContains,
  cidrOverlaps,
  ec2State,
  emitApiCall,
  err,
  owned,
  parseCidr,
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
    .flatMap((t) => t.routes.filter((r) => r.gatewayId !== 'local').map((r) => r.destinationCidrBlock));
}

export const vpcCidrOperations: Record<string, OperationHandler> = {
  AssociateVpcCidrBlock(ctx, input: AssociateVpcCidrBlockRequest) {
    const vpc = owned(ctx, 'vpcs', input.VpcId, 'VpcId');
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
      (v) => v.ownerId === ctx.caller.accountId && v.region === ctx.region && v.cidrAssociationIds.includes(id),
    );
    if (!vpc) {
      throw err(
        'InvalidVpcCidrBlockAssociationID.NotFound',
        `The vpc CIDR block association ID '${id}' does not exist`,
      );
    }
    const index = vpc.cidrAssociationIds.indexOf(id);
    const cidr = vpc.cidrBlocks[index]!;
    if (index === 0) {
      throw err(
        'OperationNotPermitted',
        `The vpc CIDR block with association ID ${id} may not be disassociated. It is the primary IPv4 CIDR block of the VPC`,
      );
    }
    // A block that still holds subnets cannot go ("Remove a CIDR block": delete its subnets first). AWS documents
    // no error code for it: twin's choice, DependencyViolation as for DeleteVpc.
    if (Object.values(s.subnets).some((x) => x.vpcId === vpc.id && cidrContains(cidr, x.cidrBlock))) {
      throw err('DependencyViolation', `The CIDR '${cidr}' of ${vpc.id} has subnets and cannot be disassociated.`);
    }
    vpc.cidrBlocks.splice(index, 1);
    vpc.cidrAssociationIds.splice(index, 1);
    for (const table of Object.values(s.routeTables)) {
      if (table.vpcId === vpc.id) {
        table.routes = table.routes.filter((r) => !(r.gatewayId === 'local' && r.destinationCidrBlock === cidr));
      }
    }
    const association = { AssociationId: id, CidrBlock: cidr, CidrBlockState: { State: 'disassociating' } };
    emitApiCall(
      ctx,
      'DisassociateVpcCidrBlock',
      { associationId: id },
      { DisassociateVpcCidrBlockResponse: { vpcId: vpc.id, cidrBlockAssociation: association } },
    );
    return { VpcId: vpc.id, CidrBlockAssociation: association };
  },
};
