import { DEFAULT_BUCKETS } from '../throttle';
import type { Twin } from '../twin';
import type { OperationInput, ServiceModule } from '../types';
import { endpointDnsNamesHeld, endpointDnsNamesOfVpc, endpointOperations, endpointSnapshot } from './ec2/endpoints';
import {
  createEc2State,
  type Ec2Settings,
  type Ec2State,
  ec2State,
  ruleSnapshot,
  sortedById,
  stateAt,
  tgwArn,
} from './ec2/model';
import { securityGroupOperations } from './ec2/security-groups';
import { tagOperations } from './ec2/tags';
import { tgwPeeringOperations } from './ec2/tgw-peering';
import { failAttachment, tgwSnapshot, transitGatewayOperations } from './ec2/transit-gateways';
import { vpcCidrOperations } from './ec2/vpc-cidrs';
import { routeTableOfSubnet, vpcOperations, vpcSummary } from './ec2/vpcs';
import { type Ec2World, ec2WorldSchema, seedEc2 } from './ec2/world';

export type { Ec2Settings };
/**
 * EC2 as spokelink uses it: VPCs, subnets, route tables, security groups, Transit Gateways with their attachments and
 * route tables, VPC endpoint services and tags. Resources are regional and owned by an account; asynchronous states
 * are computed from timestamps on the twin's clock. What is modeled and where it differs from AWS: docs/twin-ec2.md.
 */
export { type Ec2State, type Ec2World, ec2WorldSchema, endpointDnsNamesHeld, endpointDnsNamesOfVpc, failAttachment };

/**
 * Token bucket of an EC2 call (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html): operations
 * with their own bucket, then non-mutating calls (Describe/Get/Search; a Describe with neither ids, Filters nor
 * MaxResults is "unfiltered and unpaginated"), then every other (mutating) call.
 */
export function ec2BucketFor(operation: string, input: OperationInput): string {
  const own = `ec2:${operation}`;
  if (own in DEFAULT_BUCKETS) return own;
  if (/^(Describe|Get|Search)/.test(operation)) {
    const request = (input ?? {}) as Record<string, unknown>;
    const narrowed = Object.entries(request).some(
      ([key, value]) =>
        (key === 'Filters' && Array.isArray(value) && value.length > 0) ||
        (key === 'MaxResults' && value !== undefined) ||
        (/Ids?$/.test(key) && value !== undefined && (!Array.isArray(value) || value.length > 0)),
    );
    return operation.startsWith('Describe') && !narrowed ? 'ec2:describe-unfiltered' : 'ec2:describe';
  }
  return 'ec2:mutating';
}

/** The observable EC2 state at `now`: lazily computed states resolved, deleted attachments omitted. */
export function ec2Snapshot(s: Ec2State, now: number) {
  const vpcs = sortedById(Object.values(s.vpcs)).map((vpc) => ({
    id: vpc.id,
    ownerId: vpc.ownerId,
    region: vpc.region,
    cidrBlocks: vpc.cidrBlocks,
    ...((vpc.ipv6Blocks ?? []).length > 0 ? { ipv6CidrBlocks: vpc.ipv6Blocks!.map((b) => b.cidr) } : {}),
    enableDnsSupport: vpc.enableDnsSupport,
    enableDnsHostnames: vpc.enableDnsHostnames,
    tags: vpc.tags,
    subnets: sortedById(Object.values(s.subnets).filter((x) => x.vpcId === vpc.id)).map((x) => ({
      id: x.id,
      availabilityZone: x.availabilityZone,
      cidrBlock: x.cidrBlock,
      ...(x.ipv6CidrBlock ? { ipv6CidrBlock: x.ipv6CidrBlock } : {}),
      ...(x.ipv6Native ? { ipv6Native: true } : {}),
      routeTableId: routeTableOfSubnet(s, x)?.id ?? null,
      tags: x.tags,
    })),
    routeTables: sortedById(Object.values(s.routeTables).filter((t) => t.vpcId === vpc.id)).map((t) => ({
      id: t.id,
      main: t.main,
      subnetIds: t.associations.map((a) => a.subnetId).sort(),
      routes: t.routes.map((r) => ({ ...r })),
      tags: t.tags,
    })),
    securityGroups: sortedById(Object.values(s.securityGroups).filter((g) => g.vpcId === vpc.id)).map((g) => ({
      id: g.id,
      name: g.name,
      rules: sortedById(g.rules).map(ruleSnapshot),
      tags: g.tags,
    })),
  }));
  return { vpcs, ...tgwSnapshot(s, now), ...endpointSnapshot(s, now) };
}

export const ec2: ServiceModule<Ec2State, { ec2?: Ec2World }> = {
  name: 'ec2',
  createState: createEc2State,
  seed(twin, world) {
    seedEc2(twin, world.ec2);
  },
  operations: {
    ...vpcOperations,
    ...vpcCidrOperations,
    ...securityGroupOperations,
    ...tagOperations,
    ...transitGatewayOperations,
    ...tgwPeeringOperations,
    ...endpointOperations,
  },
  bucketFor: ec2BucketFor,
  snapshot: ec2Snapshot,
};

// ---- accessors for other twin modules ------------------------------------------------------------------------------

/** A VPC by id, whatever its owner (Route 53 checks an associated VPC's DNS attributes); undefined if none. */
export function findVpc(
  twin: Twin,
  vpcId: string,
):
  | {
      id: string;
      ownerId: string;
      region: string;
      cidrBlocks: string[];
      enableDnsSupport: boolean;
      enableDnsHostnames: boolean;
    }
  | undefined {
  const vpc = ec2State(twin).vpcs[vpcId];
  return vpc ? vpcSummary(vpc) : undefined;
}

/** A Transit Gateway by id, with its ARN (RAM shares it by ARN); undefined if none or deleted. */
export function findTransitGateway(
  twin: Twin,
  tgwId: string,
): { id: string; ownerId: string; region: string; arn: string } | undefined {
  const tgw = ec2State(twin).transitGateways[tgwId];
  if (!tgw || stateAt(tgw.timeline, twin.now()) === 'deleted') return undefined;
  return { id: tgw.id, ownerId: tgw.ownerId, region: tgw.region, arn: tgwArn(tgw) };
}

/**
 * Changes the EC2 model's undocumented timings and fault knobs (e.g. `{ attachmentFailureProbability: 0.05 }` makes
 * one attachment in twenty end `failed` instead of `available`). Returns the settings in force.
 */
export function configureEc2(twin: Twin, settings: Partial<Ec2Settings>): Ec2Settings {
  const s = ec2State(twin);
  s.settings = { ...s.settings, ...settings };
  return { ...s.settings };
}
