import * as z from 'zod';
import type { Twin } from '../../twin';
import {
  canonicalCidr,
  cidrContains,
  cidrOverlaps,
  ec2State,
  type Route,
  type SecurityGroupRule,
  type TgwLink,
  type Transition,
} from './model';
import { primaryCidrProblem, secondaryCidrProblem } from './vpc-cidrs';

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit account id');
const region = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region name such as us-east-1')
  .default('us-east-1');
const cidr = z.string().refine((v) => canonicalCidr(v) === v, 'must be an IPv4 CIDR with host bits cleared');
const tags = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .refine((t) => Object.keys(t).length <= 50, 'at most 50 tags')
  .default({});
const enableFlag = z.enum(['enable', 'disable']);

const routeSchema = z
  .strictObject({
    destinationCidrBlock: cidr,
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
    cidr,
    description: z.string().max(255).optional(),
  })
  .refine((r) => r.protocol === '-1' || r.protocol === 'icmp' || r.fromPort <= r.toPort, 'fromPort must be <= toPort');

/**
 * Adjustable quotas a world can raise above AWS's defaults (twin/services/ec2/model.ts DEFAULT_QUOTAS), applied to
 * every account of the world, up to the highest value AWS grants
 * (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html): inbound (or outbound) rules per security
 * group 60, up to 1,000 (times the security groups per network interface, at most 1,000); routes per route table 50,
 * up to 1,000; IPv4 CIDR blocks per VPC 5, up to 50. The attachment quotas of a transit gateway are not adjustable and have no setting.
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
          enableDnsSupport: z.boolean().default(true),
          enableDnsHostnames: z.boolean().default(true),
          tags,
          subnets: z
            .array(
              z.strictObject({
                id: z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must look like subnet-0123456789abcdef0'),
                availabilityZone: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'must be a zone such as us-east-1a'),
                cidrBlock: cidr,
                tags,
              }),
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
          tags,
        }),
      )
      .default([]),
  })
  .default({ quotas: {}, vpcs: [], transitGateways: [], transitGatewayAttachments: [], endpointServices: [] });
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
    s.vpcs[vpc.id] = {
      ...base(vpc.id, vpc.ownerId, vpc.region, vpc.tags),
      cidrBlocks: [...vpc.cidrBlocks],
      cidrAssociationIds: vpc.cidrBlocks.map(() => twin.newId('vpc-cidr-assoc')),
      enableDnsSupport: vpc.enableDnsSupport,
      enableDnsHostnames: vpc.enableDnsHostnames,
    };
    for (const subnet of vpc.subnets) {
      unique(subnet.id, where);
      if (!subnet.availabilityZone.startsWith(vpc.region)) {
        fail(`${where}: subnet ${subnet.id} is in zone ${subnet.availabilityZone}, outside region ${vpc.region}`);
      }
      if (!vpc.cidrBlocks.some((c) => cidrContains(c, subnet.cidrBlock))) {
        fail(`${where}: subnet ${subnet.id} CIDR ${subnet.cidrBlock} is outside the VPC's CIDRs`);
      }
      for (const other of vpc.subnets) {
        if (other !== subnet && other.id < subnet.id && cidrOverlaps(other.cidrBlock, subnet.cidrBlock)) {
          fail(`${where}: subnet ${subnet.id} CIDR ${subnet.cidrBlock} overlaps subnet ${other.id}`);
        }
      }
      s.subnets[subnet.id] = {
        ...base(subnet.id, vpc.ownerId, vpc.region, subnet.tags),
        vpcId: vpc.id,
        availabilityZone: subnet.availabilityZone,
        cidrBlock: subnet.cidrBlock,
      };
    }
    const mains = vpc.routeTables.filter((t) => t.main);
    if (mains.length > 1) fail(`${where}: more than one main route table`);
    const associated = new Set<string>();
    const tables = [...vpc.routeTables];
    if (mains.length === 0) tables.unshift({ id: twin.newId('rtb'), main: true, subnetIds: [], routes: [], tags: {} });
    for (const table of tables) {
      unique(table.id, where);
      const routes: Route[] = vpc.cidrBlocks.map((c) => ({
        destinationCidrBlock: c,
        gatewayId: 'local',
        origin: 'CreateRouteTable',
      }));
      for (const route of table.routes) {
        if (routes.some((r) => r.destinationCidrBlock === route.destinationCidrBlock)) {
          fail(`${where}: route table ${table.id} has two routes to ${route.destinationCidrBlock}`);
        }
        routes.push({ ...route, origin: 'CreateRoute' });
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
      s.routeTables[table.id] = {
        ...base(table.id, vpc.ownerId, vpc.region, table.tags),
        vpcId: vpc.id,
        main: table.main === true,
        mainAssociationId: table.main ? twin.newId('rtbassoc') : undefined,
        associations: table.subnetIds.map((subnetId) => ({ id: twin.newId('rtbassoc'), subnetId })),
        routes,
      };
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
      if (group.ingress.length > s.quotas.rulesPerSecurityGroup) {
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
      s.securityGroups[group.id] = {
        ...base(group.id, vpc.ownerId, vpc.region, group.tags),
        vpcId: vpc.id,
        name: group.name,
        description: group.description,
        isDefault: group.name === 'default',
        rules,
      };
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
    s.transitGateways[tgw.id] = {
      ...base(tgw.id, tgw.ownerId, tgw.region, tgw.tags),
      description: tgw.description,
      amazonSideAsn: 64512,
      autoAcceptSharedAttachments: tgw.options.autoAcceptSharedAttachments,
      defaultRouteTableAssociation: tgw.options.defaultRouteTableAssociation,
      defaultRouteTablePropagation: tgw.options.defaultRouteTablePropagation,
      associationDefaultRouteTableId: tgw.options.defaultRouteTableAssociation === 'enable' ? defaultId : undefined,
      propagationDefaultRouteTableId: tgw.options.defaultRouteTablePropagation === 'enable' ? defaultId : undefined,
      timeline: [{ at: 0, state: 'available' }],
    };
    for (const table of tables) {
      unique(table.id, where);
      s.tgwRouteTables[table.id] = {
        ...base(table.id, tgw.ownerId, tgw.region, table.tags),
        transitGatewayId: tgw.id,
        isDefault: table.default === true,
        associations: [],
        propagations: [],
        staticRoutes: [],
      };
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
    }
    const others = Object.values(s.attachments).filter((a) => a.vpcId === vpc.id);
    if (others.some((a) => a.transitGatewayId === tgw.id))
      fail(`${where}: VPC ${vpc.id} is attached to ${tgw.id} twice`);
    if (others.length >= 5) fail(`${where}: VPC ${vpc.id} has more than 5 TGW attachments`);
    const timeline: Transition[] = [{ at: 0, state: att.state }];
    s.attachments[att.id] = {
      ...base(att.id, vpc.ownerId, vpc.region, att.tags),
      transitGatewayId: tgw.id,
      vpcId: vpc.id,
      vpcOwnerId: vpc.ownerId,
      subnetIds: [...att.subnetIds],
      timeline,
    };
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
    s.endpointServices[svc.id] = {
      ...base(svc.id, svc.ownerId, svc.region, svc.tags),
      serviceName: svc.serviceName,
      acceptanceRequired: svc.acceptanceRequired,
      allowedPrincipals: svc.allowedPrincipals.map((principal) => ({
        principal,
        permissionId: twin.newId('vpce-spn'),
      })),
      availabilityZones: svc.availabilityZones.length > 0 ? [...svc.availabilityZones] : [`${svc.region}a`],
    };
  }
}
