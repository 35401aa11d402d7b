import * as z from 'zod';
import type { Twin } from '../../twin';
import {
  addAttachment,
  attachmentsOfVpc,
  canonicalCidr,
  canonicalIpv6Cidr,
  cidrContains,
  cidrOverlaps,
  ec2State,
  putResource,
  type Route,
  type SecurityGroupRule,
  type TgwLink,
  type Transition,
} from './model';
import { poolBlockProblem, primaryCidrProblem, secondaryCidrProblem } from './vpc-cidrs';

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit account id');
const region = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region name such as us-east-1')
  .default('us-east-1');
const cidr = z.string().refine((v) => canonicalCidr(v) === v, 'must be an IPv4 CIDR with host bits cleared');
const ipv6Cidr = z
  .string()
  .refine(
    (v) => canonicalIpv6Cidr(v) === v,
    'must be an IPv6 CIDR with host bits cleared, lower case, zeros compressed',
  );
const anyCidr = z.union([cidr, ipv6Cidr], 'must be an IPv4 or IPv6 CIDR in canonical form');
const tags = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .refine((t) => Object.keys(t).length <= 50, 'at most 50 tags')
  .default({});
const enableFlag = z.enum(['enable', 'disable']);

const routeSchema = z
  .strictObject({
    destinationCidrBlock: cidr.optional(),
    destinationIpv6CidrBlock: ipv6Cidr.optional(),
    gatewayId: z
      .string()
      .regex(/^(igw|vgw)-[0-9a-f]+$/, 'must be an igw-/vgw- id')
      .optional(),
    transitGatewayId: z
      .string()
      .regex(/^tgw-[0-9a-f]+$/)
      .optional(),
    natGatewayId: z
      .string()
      .regex(/^nat-[0-9a-f]+$/)
      .optional(),
    vpcPeeringConnectionId: z
      .string()
      .regex(/^pcx-[0-9a-f]+$/)
      .optional(),
  })
  .refine(
    (r) => [r.gatewayId, r.transitGatewayId, r.natGatewayId, r.vpcPeeringConnectionId].filter(Boolean).length === 1,
    'a route needs exactly one target (gatewayId, transitGatewayId, natGatewayId or vpcPeeringConnectionId)',
  )
  .refine(
    (r) => (r.destinationCidrBlock === undefined) !== (r.destinationIpv6CidrBlock === undefined),
    'a route needs exactly one of destinationCidrBlock and destinationIpv6CidrBlock',
  );

const ingressSchema = z
  .strictObject({
    /** The rule's id (default: generated), for worlds that reproduce an existing deployment. */
    id: z
      .string()
      .regex(/^sgr-[0-9a-f]{8,17}$/, 'must look like sgr-0123456789abcdef0')
      .optional(),
    protocol: z.enum(['tcp', 'udp', 'icmp', '-1']),
    fromPort: z.number().int().min(-1).max(65535).default(-1),
    toPort: z.number().int().min(-1).max(65535).default(-1),
    cidr: anyCidr,
    description: z.string().max(255).optional(),
  })
  .refine((r) => r.protocol === '-1' || r.protocol === 'icmp' || r.fromPort <= r.toPort, 'fromPort must be <= toPort');

/**
 * Adjustable quotas a world can raise above AWS's defaults (twin/services/ec2/model.ts DEFAULT_QUOTAS), applied to
 * every account of the world, up to the highest value AWS grants
 * (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html): inbound (or outbound) rules per security
 * group 60, up to 1,000 (times the security groups per network interface, at most 1,000); routes per route table 50,
 * up to 1,000; IPv4 CIDR blocks per VPC 5, up to 50; routes per TGW (all its tables) 10,000. The attachment quotas of a transit gateway are not adjustable and have no setting.
 */
const quotasSchema = z
  .strictObject({
    rulesPerSecurityGroup: z
      .number()
      .int()
      .min(60, 'cannot be below the default 60')
      .max(1000, 'AWS allows at most 1,000'),
    routesPerRouteTable: z
      .number()
      .int()
      .min(50, 'cannot be below the default 50')
      .max(1000, 'AWS allows at most 1,000'),
    cidrBlocksPerVpc: z.number().int().min(5, 'cannot be below the default 5').max(50, 'AWS allows at most 50'),
    /** Interface endpoints per VPC (default 50; AWS publishes no maximum: the twin's bound). */
    interfaceEndpointsPerVpc: z.number().int().min(50, 'cannot be below the default 50').max(1000),
    /**
     * Combined routes of a TGW's route tables: 10,000, adjustable
     * (https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html, "Routing").
     */
    routesPerTransitGateway: z.number().int().min(10_000, 'cannot be below the default 10,000'),
  })
  .partial();

/** World file section `ec2` (validated by twin/world.ts; cross-references are checked when seeding). */
export const ec2WorldSchema = z
  .strictObject({
    quotas: quotasSchema.default({}),
    vpcs: z
      .array(
        z.strictObject({
          id: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must look like vpc-0123456789abcdef0'),
          ownerId: accountId,
          region,
          cidrBlocks: z.array(cidr).min(1, 'a VPC needs at least one CIDR'),
          /** IPv6 blocks: Amazon-provided /56s (no `pool`), or from a pool of `ec2.ipv6Pools` owned by the VPC's owner. */
          ipv6CidrBlocks: z
            .array(z.strictObject({ cidrBlock: ipv6Cidr, pool: z.string().optional() }))
            .max(5, 'at most 5 IPv6 CIDR blocks per VPC')
            .default([]),
          enableDnsSupport: z.boolean().default(true),
          enableDnsHostnames: z.boolean().default(true),
          tags,
          subnets: z
            .array(
              z
                .strictObject({
                  id: z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must look like subnet-0123456789abcdef0'),
                  availabilityZone: z
                    .string()
                    .regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'must be a zone such as us-east-1a'),
                  cidrBlock: cidr.optional(),
                  ipv6CidrBlock: ipv6Cidr.optional(),
                  /** IPv6-only: no `cidrBlock`, an `ipv6CidrBlock`. */
                  ipv6Native: z.boolean().default(false),
                  tags,
                })
                .refine(
                  (x) =>
                    x.ipv6Native
                      ? x.cidrBlock === undefined && x.ipv6CidrBlock !== undefined
                      : x.cidrBlock !== undefined,
                  'a subnet needs a cidrBlock, or ipv6Native with an ipv6CidrBlock and no cidrBlock',
                ),
            )
            .default([]),
          routeTables: z
            .array(
              z.strictObject({
                id: z.string().regex(/^rtb-[0-9a-f]{8,17}$/, 'must look like rtb-0123456789abcdef0'),
                main: z.boolean().optional(),
                subnetIds: z.array(z.string()).default([]),
                routes: z.array(routeSchema).default([]),
                tags,
              }),
            )
            .default([]),
          securityGroups: z
            .array(
              z.strictObject({
                id: z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must look like sg-0123456789abcdef0'),
                name: z.string().min(1).max(255),
                description: z.string().max(255).default(''),
                ingress: z.array(ingressSchema).default([]),
                tags,
              }),
            )
            .default([]),
        }),
      )
      .default([]),
    transitGateways: z
      .array(
        z.strictObject({
          id: z.string().regex(/^tgw-[0-9a-f]{8,17}$/, 'must look like tgw-0123456789abcdef0'),
          ownerId: accountId,
          region,
          description: z.string().optional(),
          options: z
            .strictObject({
              autoAcceptSharedAttachments: enableFlag.default('disable'),
              defaultRouteTableAssociation: enableFlag.default('enable'),
              defaultRouteTablePropagation: enableFlag.default('enable'),
            })
            .default({
              autoAcceptSharedAttachments: 'disable',
              defaultRouteTableAssociation: 'enable',
              defaultRouteTablePropagation: 'enable',
            }),
          routeTables: z
            .array(
              z.strictObject({
                id: z.string().regex(/^tgw-rtb-[0-9a-f]{8,17}$/, 'must look like tgw-rtb-0123456789abcdef0'),
                default: z.boolean().optional(),
                tags,
              }),
            )
            .max(20, 'at most 20 route tables per transit gateway')
            .default([]),
          tags,
        }),
      )
      .default([]),
    transitGatewayAttachments: z
      .array(
        z.strictObject({
          id: z.string().regex(/^tgw-attach-[0-9a-f]{8,17}$/, 'must look like tgw-attach-0123456789abcdef0'),
          transitGatewayId: z.string(),
          vpcId: z.string(),
          subnetIds: z.array(z.string()).min(1),
          ipv6Support: enableFlag.default('disable'),
          state: z.enum(['pendingAcceptance', 'pending', 'available', 'failed', 'rejected']).default('available'),
          /** TGW route table the attachment is associated with (available attachments only). */
          associationRouteTableId: z.string().optional(),
          propagationRouteTableIds: z.array(z.string()).default([]),
          tags,
        }),
      )
      .default([]),
    endpointServices: z
      .array(
        z.strictObject({
          id: z.string().regex(/^vpce-svc-[0-9a-f]{8,17}$/, 'must look like vpce-svc-0123456789abcdef0'),
          ownerId: accountId,
          region,
          serviceName: z.string().min(1),
          acceptanceRequired: z.boolean().default(true),
          allowedPrincipals: z
            .array(z.string().regex(/^arn:aws:iam::\d{12}:(root|role\/.+|user\/.+)$/, 'must be a principal ARN'))
            .default([]),
          availabilityZones: z.array(z.string()).default([]),
          supportedIpAddressTypes: z
            .array(z.enum(['ipv4', 'ipv6']))
            .min(1)
            .default(['ipv4']),
          /** SupportedRegions besides the service's own region (cross-region consumers). */
          supportedRegions: z.array(region).default([]),
          tags,
        }),
      )
      .default([]),
    /**
     * BYOIP (`ipv6pool-ec2-...`) and IPAM (`ipam-pool-...`) IPv6 pools, each owned by one account (the twin models no
     * pool API). Pools of different owners may overlap, as two IPAMs' private ranges can.
     */
    ipv6Pools: z
      .array(
        z.strictObject({
          id: z
            .string()
            .regex(
              /^(ipv6pool-ec2-|ipam-pool-)[0-9a-f]{8,17}$/,
              'must look like ipv6pool-ec2-0123456789abcdef0 or ipam-pool-0123456789abcdef0',
            ),
          ownerId: accountId,
          region,
          cidrs: z.array(ipv6Cidr).min(1),
        }),
      )
      .default([]),
  })
  .default({
    quotas: {},
    vpcs: [],
    transitGateways: [],
    transitGatewayAttachments: [],
    endpointServices: [],
    ipv6Pools: [],
  });
export type Ec2World = z.infer<typeof ec2WorldSchema>;

/** A world that names something that does not exist or does not fit (thrown by `seed`). */
export class Ec2WorldReferenceError extends Error {
  override name = 'Ec2WorldReferenceError';
}

function fail(message: string): never {
  throw new Ec2WorldReferenceError(`world ec2: ${message}`);
}

/**
 * Adds the world's EC2 resources. Every VPC gets a main route table (a `local` route per CIDR) and a `default`
 * security group when the world omits them. Throws Ec2WorldReferenceError naming the first bad reference.
 */
export function seedEc2(twin: Twin, world: Ec2World | undefined): void {
  if (!world) return;
  const s = ec2State(twin);
  Object.assign(s.quotas, world.quotas);
  const now = twin.now();
  const seen = new Set<string>();
  const unique = (id: string, where: string) => {
    if (seen.has(id)) fail(`${where}: id ${id} is used twice`);
    seen.add(id);
  };
  const base = (id: string, ownerId: string, region: string, t: Record<string, string>) => ({
    id,
    ownerId,
    region,
    tags: { ...t },
    createdAt: now,
    visibleAt: 0,
  });

  for (const pool of world.ipv6Pools) {
    unique(pool.id, `IPv6 pool ${pool.id}`);
    s.ipv6Pools[pool.id] = { id: pool.id, ownerId: pool.ownerId, region: pool.region, cidrs: [...pool.cidrs] };
  }

  for (const vpc of world.vpcs) {
    const where = `vpc ${vpc.id}`;
    unique(vpc.id, where);
    // The blocks AWS would accept, in order: the primary, then each secondary (./vpc-cidrs.ts cites the rules).
    vpc.cidrBlocks.forEach((c, i) => {
      const problem =
        i === 0
          ? primaryCidrProblem(c)
          : secondaryCidrProblem(vpc.cidrBlocks.slice(0, i), c, [], s.quotas.cidrBlocksPerVpc)?.message;
      if (problem) fail(`${where}: CIDR ${c}: ${problem}`);
    });
    putResource(s, 'vpcs', {
      ...base(vpc.id, vpc.ownerId, vpc.region, vpc.tags),
      cidrBlocks: [...vpc.cidrBlocks],
      cidrAssociationIds: vpc.cidrBlocks.map(() => twin.newId('vpc-cidr-assoc')),
      enableDnsSupport: vpc.enableDnsSupport,
      enableDnsHostnames: vpc.enableDnsHostnames,
    });
    // IPv6 blocks as AWS would have handed them out (./vpc-cidrs.ts cites the rules).
    const ipv6Blocks: { cidr: string; associationId: string; pool: string }[] = [];
    for (const block of vpc.ipv6CidrBlocks) {
      const c = block.cidrBlock;
      if (block.pool === undefined) {
        if (!c.endsWith('/56')) fail(`${where}: Amazon-provided IPv6 block ${c} is not a /56`);
        const taken = Object.values(s.vpcs).find((v) => (v.ipv6Blocks ?? []).some((b) => cidrOverlaps(b.cidr, c)));
        if (taken) fail(`${where}: Amazon-provided IPv6 block ${c} is already ${taken.id}'s`);
      } else {
        const pool = s.ipv6Pools[block.pool];
        if (!pool || pool.ownerId !== vpc.ownerId || pool.region !== vpc.region) {
          fail(`${where}: IPv6 pool ${block.pool} is not a pool of account ${vpc.ownerId} in ${vpc.region}`);
        }
        const problem = poolBlockProblem(twin, pool.id, c);
        if (problem) fail(`${where}: IPv6 block ${c}: ${problem}`);
      }
      if (ipv6Blocks.some((b) => cidrOverlaps(b.cidr, c)))
        fail(`${where}: IPv6 block ${c} overlaps another of its blocks`);
      ipv6Blocks.push({ cidr: c, associationId: twin.newId('vpc-cidr-assoc'), pool: block.pool ?? 'amazon' });
      s.vpcs[vpc.id]!.ipv6Blocks = [...ipv6Blocks];
    }
    for (const subnet of vpc.subnets) {
      unique(subnet.id, where);
      if (!subnet.availabilityZone.startsWith(vpc.region)) {
        fail(`${where}: subnet ${subnet.id} is in zone ${subnet.availabilityZone}, outside region ${vpc.region}`);
      }
      const blocks = [
        ...(subnet.cidrBlock ? [{ c: subnet.cidrBlock, of: vpc.cidrBlocks }] : []),
        ...(subnet.ipv6CidrBlock ? [{ c: subnet.ipv6CidrBlock, of: ipv6Blocks.map((b) => b.cidr) }] : []),
      ];
      for (const { c, of } of blocks) {
        if (!of.some((v) => cidrContains(v, c)))
          fail(`${where}: subnet ${subnet.id} CIDR ${c} is outside the VPC's CIDRs`);
        for (const other of vpc.subnets) {
          const mine = [other.cidrBlock, other.ipv6CidrBlock].filter((x): x is string => x !== undefined);
          if (other !== subnet && other.id < subnet.id && mine.some((m) => cidrOverlaps(m, c))) {
            fail(`${where}: subnet ${subnet.id} CIDR ${c} overlaps subnet ${other.id}`);
          }
        }
      }
      if (subnet.ipv6CidrBlock) {
        const prefix = Number(subnet.ipv6CidrBlock.split('/')[1]);
        if (prefix < 44 || prefix > 64 || prefix % 4 !== 0) {
          fail(`${where}: subnet ${subnet.id} IPv6 CIDR ${subnet.ipv6CidrBlock} is not /44 to /64 in steps of /4`);
        }
      }
      putResource(s, 'subnets', {
        ...base(subnet.id, vpc.ownerId, vpc.region, subnet.tags),
        vpcId: vpc.id,
        availabilityZone: subnet.availabilityZone,
        ...(subnet.cidrBlock ? { cidrBlock: subnet.cidrBlock } : {}),
        ...(subnet.ipv6CidrBlock
          ? { ipv6CidrBlock: subnet.ipv6CidrBlock, ipv6AssociationId: twin.newId('subnet-cidr-assoc') }
          : {}),
        ...(subnet.ipv6Native ? { ipv6Native: true } : {}),
      });
    }
    const mains = vpc.routeTables.filter((t) => t.main);
    if (mains.length > 1) fail(`${where}: more than one main route table`);
    const associated = new Set<string>();
    const tables = [...vpc.routeTables];
    if (mains.length === 0) tables.unshift({ id: twin.newId('rtb'), main: true, subnetIds: [], routes: [], tags: {} });
    for (const table of tables) {
      unique(table.id, where);
      const routes: Route[] = [...vpc.cidrBlocks, ...ipv6Blocks.map((b) => b.cidr)].map((c) => ({
        destinationCidrBlock: c,
        gatewayId: 'local',
        origin: 'CreateRouteTable',
      }));
      for (const { destinationCidrBlock, destinationIpv6CidrBlock, ...target } of table.routes) {
        const destination = (destinationCidrBlock ?? destinationIpv6CidrBlock)!;
        if (routes.some((r) => r.destinationCidrBlock === destination)) {
          fail(`${where}: route table ${table.id} has two routes to ${destination}`);
        }
        routes.push({ destinationCidrBlock: destination, ...target, origin: 'CreateRoute' });
      }
      if (routes.length > s.quotas.routesPerRouteTable) {
        fail(
          `${where}: route table ${table.id} has ${routes.length} routes, over the quota of ${s.quotas.routesPerRouteTable}`,
        );
      }
      for (const subnetId of table.subnetIds) {
        if (s.subnets[subnetId]?.vpcId !== vpc.id) {
          fail(`${where}: route table ${table.id} names subnet ${subnetId}, which is not a subnet of this VPC`);
        }
        if (associated.has(subnetId)) fail(`${where}: subnet ${subnetId} is associated with two route tables`);
        associated.add(subnetId);
      }
      putResource(s, 'routeTables', {
        ...base(table.id, vpc.ownerId, vpc.region, table.tags),
        vpcId: vpc.id,
        main: table.main === true,
        mainAssociationId: table.main ? twin.newId('rtbassoc') : undefined,
        associations: table.subnetIds.map((subnetId) => ({ id: twin.newId('rtbassoc'), subnetId })),
        routes,
      });
    }
    const groups = [...vpc.securityGroups];
    if (!groups.some((g) => g.name === 'default')) {
      groups.unshift({
        id: twin.newId('sg'),
        name: 'default',
        description: 'default VPC security group',
        ingress: [],
        tags: {},
      });
    }
    for (const group of groups) {
      unique(group.id, where);
      if (groups.filter((g) => g.name === group.name).length > 1) {
        fail(`${where}: two security groups are named ${group.name}`);
      }
      // Counted separately for IPv4 and IPv6 (./security-groups.ts).
      const v6 = group.ingress.filter((r) => r.cidr.includes(':')).length;
      if (Math.max(v6, group.ingress.length - v6) > s.quotas.rulesPerSecurityGroup) {
        fail(
          `${where}: security group ${group.id} has ${group.ingress.length} inbound rules, over the quota of ${s.quotas.rulesPerSecurityGroup}`,
        );
      }
      for (const rule of group.ingress) if (rule.id !== undefined) unique(rule.id, where);
      const rules: SecurityGroupRule[] = group.ingress.map((r) => ({
        id: r.id ?? twin.newId('sgr'),
        isEgress: false,
        protocol: r.protocol,
        fromPort: r.protocol === '-1' ? -1 : r.fromPort,
        toPort: r.protocol === '-1' ? -1 : r.toPort,
        cidr: r.cidr,
        description: r.description,
      }));
      rules.push({
        id: twin.newId('sgr'),
        isEgress: true,
        protocol: '-1',
        fromPort: -1,
        toPort: -1,
        cidr: '0.0.0.0/0',
      });
      putResource(s, 'securityGroups', {
        ...base(group.id, vpc.ownerId, vpc.region, group.tags),
        vpcId: vpc.id,
        name: group.name,
        description: group.description,
        isDefault: group.name === 'default',
        rules,
      });
    }
  }
  // Routes to a TGW must name a TGW of the world.
  const tgwIds = new Set(world.transitGateways.map((t) => t.id));
  for (const table of Object.values(s.routeTables)) {
    for (const route of table.routes) {
      if (route.transitGatewayId && !tgwIds.has(route.transitGatewayId)) {
        fail(
          `route table ${table.id}: route ${route.destinationCidrBlock} names unknown TGW ${route.transitGatewayId}`,
        );
      }
    }
  }

  for (const tgw of world.transitGateways) {
    const where = `transit gateway ${tgw.id}`;
    unique(tgw.id, where);
    const defaults = tgw.routeTables.filter((t) => t.default);
    if (defaults.length > 1) fail(`${where}: more than one default route table`);
    const tables = [...tgw.routeTables];
    const wantsDefault =
      tgw.options.defaultRouteTableAssociation === 'enable' || tgw.options.defaultRouteTablePropagation === 'enable';
    if (defaults.length === 0 && wantsDefault) tables.unshift({ id: twin.newId('tgw-rtb'), default: true, tags: {} });
    const defaultId = tables.find((t) => t.default)?.id;
    putResource(s, 'transitGateways', {
      ...base(tgw.id, tgw.ownerId, tgw.region, tgw.tags),
      description: tgw.description,
      amazonSideAsn: 64512,
      autoAcceptSharedAttachments: tgw.options.autoAcceptSharedAttachments,
      defaultRouteTableAssociation: tgw.options.defaultRouteTableAssociation,
      defaultRouteTablePropagation: tgw.options.defaultRouteTablePropagation,
      associationDefaultRouteTableId: tgw.options.defaultRouteTableAssociation === 'enable' ? defaultId : undefined,
      propagationDefaultRouteTableId: tgw.options.defaultRouteTablePropagation === 'enable' ? defaultId : undefined,
      timeline: [{ at: 0, state: 'available' }],
    });
    for (const table of tables) {
      unique(table.id, where);
      putResource(s, 'tgwRouteTables', {
        ...base(table.id, tgw.ownerId, tgw.region, table.tags),
        transitGatewayId: tgw.id,
        isDefault: table.default === true,
        associations: [],
        propagations: [],
        staticRoutes: [],
      });
    }
  }

  for (const att of world.transitGatewayAttachments) {
    const where = `attachment ${att.id}`;
    unique(att.id, where);
    const tgw = s.transitGateways[att.transitGatewayId] ?? fail(`${where}: unknown TGW ${att.transitGatewayId}`);
    const vpc = s.vpcs[att.vpcId] ?? fail(`${where}: unknown VPC ${att.vpcId}`);
    if (vpc.region !== tgw.region) fail(`${where}: VPC ${vpc.id} and TGW ${tgw.id} are in different regions`);
    const zones = new Set<string>();
    for (const subnetId of att.subnetIds) {
      const subnet = s.subnets[subnetId];
      if (subnet?.vpcId !== vpc.id) fail(`${where}: subnet ${subnetId} is not a subnet of ${vpc.id}`);
      if (zones.has(subnet.availabilityZone)) fail(`${where}: two subnets in zone ${subnet.availabilityZone}`);
      zones.add(subnet.availabilityZone);
      // As CreateTransitGatewayVpcAttachment checks (./transit-gateways.ts, attachmentIpv6Support).
      if (!subnet.cidrBlock) fail(`${where}: subnet ${subnetId} is IPv6-only and cannot host an attachment`);
      if (att.ipv6Support === 'enable' && !subnet.ipv6CidrBlock) {
        fail(`${where}: IPv6 support needs an IPv6 CIDR in subnet ${subnetId}`);
      }
    }
    const others = attachmentsOfVpc(s, vpc.id);
    if (others.some((a) => a.transitGatewayId === tgw.id))
      fail(`${where}: VPC ${vpc.id} is attached to ${tgw.id} twice`);
    if (others.length >= 5) fail(`${where}: VPC ${vpc.id} has more than 5 TGW attachments`);
    const timeline: Transition[] = [{ at: 0, state: att.state }];
    addAttachment(s, {
      ...base(att.id, vpc.ownerId, vpc.region, att.tags),
      transitGatewayId: tgw.id,
      vpcId: vpc.id,
      vpcOwnerId: vpc.ownerId,
      subnetIds: [...att.subnetIds],
      ipv6Support: att.ipv6Support,
      timeline,
    });
    const link = (): TgwLink => ({ attachmentId: att.id, createdAt: 0, readyAt: 0 });
    const table = (id: string) => {
      const t = s.tgwRouteTables[id];
      if (t?.transitGatewayId !== tgw.id) fail(`${where}: ${id} is not a route table of ${tgw.id}`);
      if (att.state !== 'available') fail(`${where}: only an available attachment can be associated or propagate`);
      return t;
    };
    if (att.associationRouteTableId) table(att.associationRouteTableId).associations.push(link());
    for (const id of att.propagationRouteTableIds) table(id).propagations.push(link());
  }

  for (const svc of world.endpointServices) {
    unique(svc.id, `endpoint service ${svc.id}`);
    putResource(s, 'endpointServices', {
      ...base(svc.id, svc.ownerId, svc.region, svc.tags),
      serviceName: svc.serviceName,
      acceptanceRequired: svc.acceptanceRequired,
      allowedPrincipals: svc.allowedPrincipals.map((principal) => ({
        principal,
        permissionId: twin.newId('vpce-spn'),
      })),
      availabilityZones: svc.availabilityZones.length > 0 ? [...svc.availabilityZones] : [`${svc.region}a`],
      supportedIpAddressTypes: [...svc.supportedIpAddressTypes],
      supportedRegions: [...new Set([svc.region, ...svc.supportedRegions])],
    });
  }
}
