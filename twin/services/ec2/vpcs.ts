import type {
  AssociateRouteTableRequest,
  AssociateSubnetCidrBlockRequest,
  CreateRouteRequest,
  CreateRouteTableRequest,
  CreateSubnetRequest,
  CreateVpcRequest,
  DeleteRouteRequest,
  DeleteSubnetRequest,
  DeleteVpcRequest,
  DescribeRouteTablesRequest,
  DescribeSubnetsRequest,
  DescribeVpcAttributeRequest,
  DescribeVpcsRequest,
  ModifyVpcAttributeRequest,
  Route as SdkRoute,
  RouteTable as SdkRouteTable,
  Subnet as SdkSubnet,
  Vpc as SdkVpc,
} from '@aws-sdk/client-ec2';
import { errors } from '../../errors';
import type { CallContext, OperationHandler } from '../../types';
import {
  applyFilters,
  attachmentsOfVpc,
  azIdOf,
  canonicalCidr,
  canonicalIpv6Cidr,
  cidrContains,
  cidrOverlaps,
  creationTags,
  type Ec2State,
  ec2State,
  emitApiCall,
  emitCreationTags,
  err,
  isIpv6Cidr,
  isSharedWith,
  isVisible,
  owned,
  ownedList,
  paginate,
  parseCidr,
  parseIpv6Cidr,
  putResource,
  quotas,
  type RouteTable,
  removeResource,
  requireParam,
  type Subnet,
  selectIds,
  stateAt,
  tagList,
  tgwArn,
  type Vpc,
} from './model';
import { allocateIpv6Block, primaryCidrProblem } from './vpc-cidrs';

// ---- views -----------------------------------------------------------------------------------------------------------

function vpcView(vpc: Vpc): SdkVpc {
  return {
    VpcId: vpc.id,
    OwnerId: vpc.ownerId,
    CidrBlock: vpc.cidrBlocks[0],
    CidrBlockAssociationSet: vpc.cidrBlocks.map((CidrBlock, i) => ({
      AssociationId: vpc.cidrAssociationIds[i],
      CidrBlock,
      CidrBlockState: { State: 'associated' },
    })),
    ...((vpc.ipv6Blocks ?? []).length > 0
      ? {
          Ipv6CidrBlockAssociationSet: vpc.ipv6Blocks!.map((b) => ({
            AssociationId: b.associationId,
            Ipv6CidrBlock: b.cidr,
            Ipv6CidrBlockState: { State: 'associated' as const },
            Ipv6Pool: b.pool === 'amazon' ? 'Amazon' : b.pool,
            NetworkBorderGroup: vpc.region,
          })),
        }
      : {}),
    State: 'available',
    IsDefault: false,
    InstanceTenancy: 'default',
    DhcpOptionsId: 'dopt-00000000000000000',
    Tags: tagList(vpc.tags),
  };
}

function subnetView(subnet: Subnet): SdkSubnet {
  const prefix = subnet.cidrBlock ? (parseCidr(subnet.cidrBlock)?.prefix ?? 32) : 32;
  return {
    SubnetId: subnet.id,
    SubnetArn: `arn:aws:ec2:${subnet.region}:${subnet.ownerId}:subnet/${subnet.id}`,
    VpcId: subnet.vpcId,
    OwnerId: subnet.ownerId,
    AvailabilityZone: subnet.availabilityZone,
    AvailabilityZoneId: azIdOf(subnet.region, subnet.availabilityZone),
    ...(subnet.cidrBlock ? { CidrBlock: subnet.cidrBlock } : {}),
    // AWS reserves 5 addresses per subnet; an IPv6-only subnet has no IPv4 address.
    AvailableIpAddressCount: subnet.cidrBlock ? Math.max(0, 2 ** (32 - prefix) - 5) : 0,
    Ipv6Native: subnet.ipv6Native === true,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: subnet.ipv6CidrBlock
      ? [
          {
            AssociationId: subnet.ipv6AssociationId,
            Ipv6CidrBlock: subnet.ipv6CidrBlock,
            Ipv6CidrBlockState: { State: 'associated' },
          },
        ]
      : [],
    State: 'available',
    DefaultForAz: false,
    MapPublicIpOnLaunch: false,
    Tags: tagList(subnet.tags),
  };
}

/** A route to a TGW is `active` while the VPC has an available attachment to it, `blackhole` otherwise. */
function routeView(ctx: CallContext, table: RouteTable, route: RouteTable['routes'][number]): SdkRoute {
  let state: 'active' | 'blackhole' = 'active';
  if (route.transitGatewayId) {
    const attached = attachmentsOfVpc(ec2State(ctx.twin), table.vpcId).some(
      (a) => a.transitGatewayId === route.transitGatewayId && stateAt(a.timeline, ctx.now) === 'available',
    );
    state = attached ? 'active' : 'blackhole';
  }
  return {
    ...(isIpv6Cidr(route.destinationCidrBlock)
      ? { DestinationIpv6CidrBlock: route.destinationCidrBlock }
      : { DestinationCidrBlock: route.destinationCidrBlock }),
    ...(route.gatewayId ? { GatewayId: route.gatewayId } : {}),
    ...(route.transitGatewayId ? { TransitGatewayId: route.transitGatewayId } : {}),
    ...(route.natGatewayId ? { NatGatewayId: route.natGatewayId } : {}),
    ...(route.vpcPeeringConnectionId ? { VpcPeeringConnectionId: route.vpcPeeringConnectionId } : {}),
    Origin: route.origin,
    State: state,
  };
}

function routeTableView(ctx: CallContext, table: RouteTable): SdkRouteTable {
  return {
    RouteTableId: table.id,
    VpcId: table.vpcId,
    OwnerId: table.ownerId,
    Routes: table.routes.map((r) => routeView(ctx, table, r)),
    Associations: [
      ...(table.main && table.mainAssociationId
        ? [
            {
              Main: true,
              RouteTableAssociationId: table.mainAssociationId,
              RouteTableId: table.id,
              AssociationState: { State: 'associated' as const },
            },
          ]
        : []),
      ...table.associations.map((a) => ({
        Main: false,
        RouteTableAssociationId: a.id,
        RouteTableId: table.id,
        SubnetId: a.subnetId,
        AssociationState: { State: 'associated' as const },
      })),
    ],
    PropagatingVgws: [],
    Tags: tagList(table.tags),
  };
}

// ---- helpers ---------------------------------------------------------------------------------------------------------

function mainRouteTable(s: Ec2State, vpcId: string): RouteTable | undefined {
  return Object.values(s.routeTables).find((t) => t.vpcId === vpcId && t.main);
}

/** The route table a subnet uses: its explicit association, else the VPC's main route table. */
export function routeTableOfSubnet(s: Ec2State, subnet: Subnet): RouteTable | undefined {
  return (
    Object.values(s.routeTables).find((t) => t.associations.some((a) => a.subnetId === subnet.id)) ??
    mainRouteTable(s, subnet.vpcId)
  );
}

function newRouteTable(ctx: CallContext, vpc: Vpc, main: boolean, tags: Record<string, string>): RouteTable {
  return {
    id: ctx.twin.newId('rtb'),
    ownerId: vpc.ownerId,
    region: vpc.region,
    tags,
    createdAt: ctx.now,
    visibleAt: ctx.now + ctx.twin.consistencyLagMs,
    vpcId: vpc.id,
    main,
    mainAssociationId: main ? ctx.twin.newId('rtbassoc') : undefined,
    associations: [],
    routes: [...vpc.cidrBlocks, ...(vpc.ipv6Blocks ?? []).map((b) => b.cidr)].map((c) => ({
      destinationCidrBlock: c,
      gatewayId: 'local',
      origin: 'CreateRouteTable',
    })),
  };
}

/**
 * The destination of a CreateRoute/DeleteRoute/ReplaceRoute: exactly one of `DestinationCidrBlock` (IPv4) and
 * `DestinationIpv6CidrBlock` (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html). Prefix
 * lists are not modeled.
 */
function routeDestination(input: { DestinationCidrBlock?: string; DestinationIpv6CidrBlock?: string }): string {
  if (input.DestinationCidrBlock !== undefined && input.DestinationIpv6CidrBlock !== undefined) {
    throw err(
      'InvalidParameterCombination',
      'Only one of destinationCidrBlock and destinationIpv6CidrBlock may be given',
    );
  }
  if (input.DestinationIpv6CidrBlock === undefined)
    return validCidr(input.DestinationCidrBlock, 'DestinationCidrBlock');
  const canonical = canonicalIpv6Cidr(input.DestinationIpv6CidrBlock);
  if (!canonical) {
    throw errors.invalidParameter(
      `Value (${input.DestinationIpv6CidrBlock}) for parameter destinationIpv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.`,
    );
  }
  return canonical;
}

function validCidr(value: string | undefined, param: string): string {
  const cidr = requireParam(value, param);
  const canonical = canonicalCidr(cidr);
  if (!canonical)
    throw errors.invalidParameter(
      `Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`,
    );
  return canonical;
}

// ---- operations -------------------------------------------------------------------------------------------------------

export const vpcOperations: Record<string, OperationHandler> = {
  DescribeVpcs(ctx, input: DescribeVpcsRequest) {
    const vpcs = applyFilters(selectIds(ownedList(ctx, 'vpcs'), input.VpcIds), input.Filters, {
      'vpc-id': (v) => v.id,
      'owner-id': (v) => v.ownerId,
      'cidr-block': (v) => v.cidrBlocks[0],
      'cidr-block-association.cidr-block': (v) => v.cidrBlocks,
      'ipv6-cidr-block-association.ipv6-cidr-block': (v) => (v.ipv6Blocks ?? []).map((b) => b.cidr),
      'ipv6-cidr-block-association.association-id': (v) => (v.ipv6Blocks ?? []).map((b) => b.associationId),
      'is-default': () => 'false',
      state: () => 'available',
    });
    const { page, NextToken } = paginate(vpcs, input);
    return { Vpcs: page.map(vpcView), NextToken };
  },

  CreateVpc(ctx, input: CreateVpcRequest) {
    const cidr = validCidr(input.CidrBlock, 'CidrBlock');
    // VPC CIDR sizes /16 to /28 and restricted ranges (./vpc-cidrs.ts).
    if (primaryCidrProblem(cidr)) throw err('InvalidVpc.Range', `The CIDR '${cidr}' is invalid.`);
    const tags = creationTags(input.TagSpecifications, 'vpc');
    const s = ec2State(ctx.twin);
    const vpc: Vpc = {
      id: ctx.twin.newId('vpc'),
      ownerId: ctx.caller.accountId,
      region: ctx.region,
      tags,
      createdAt: ctx.now,
      visibleAt: ctx.now + ctx.twin.consistencyLagMs,
      cidrBlocks: [cidr],
      cidrAssociationIds: [ctx.twin.newId('vpc-cidr-assoc')],
      enableDnsSupport: true,
      // Non-default VPCs start with DNS hostnames disabled
      // (https://docs.aws.amazon.com/vpc/latest/userguide/AmazonDNS-concepts.html#vpc-dns-support).
      enableDnsHostnames: false,
    };
    // AmazonProvidedIpv6CidrBlock: a /56 from Amazon's pool with the VPC
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html). BYOIP and IPAM pools at creation
    // are not modeled (AssociateVpcCidrBlock takes them).
    if (input.AmazonProvidedIpv6CidrBlock === true) {
      vpc.ipv6Blocks = [
        { cidr: allocateIpv6Block(ctx.twin), associationId: ctx.twin.newId('vpc-cidr-assoc'), pool: 'amazon' },
      ];
    } else if (
      input.Ipv6Pool !== undefined ||
      input.Ipv6IpamPoolId !== undefined ||
      input.Ipv6CidrBlock !== undefined
    ) {
      throw new Error('twin: CreateVpc with an IPv6 pool is not modeled (use AssociateVpcCidrBlock)');
    }
    putResource(s, 'vpcs', vpc);
    const main = newRouteTable(ctx, vpc, true, {});
    putResource(s, 'routeTables', main);
    const sgId = ctx.twin.newId('sg');
    putResource(s, 'securityGroups', {
      id: sgId,
      ownerId: vpc.ownerId,
      region: vpc.region,
      tags: {},
      createdAt: ctx.now,
      visibleAt: vpc.visibleAt,
      vpcId: vpc.id,
      name: 'default',
      description: 'default VPC security group',
      isDefault: true,
      rules: [
        { id: ctx.twin.newId('sgr'), isEgress: true, protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' },
      ],
    });
    emitCreationTags(ctx, vpc);
    const view = vpcView(vpc);
    emitApiCall(ctx, 'CreateVpc', { cidrBlock: cidr }, { vpc: { vpcId: vpc.id, cidrBlock: cidr, state: 'pending' } });
    return { Vpc: { ...view, State: 'pending' } };
  },

  DeleteVpc(ctx, input: DeleteVpcRequest) {
    const vpc = owned(ctx, 'vpcs', input.VpcId, 'VpcId');
    const s = ec2State(ctx.twin);
    const dependency = (what: string) =>
      err('DependencyViolation', `The vpc '${vpc.id}' has dependencies and cannot be deleted. (${what})`);
    if (Object.values(s.subnets).some((x) => x.vpcId === vpc.id)) throw dependency('subnets');
    if (Object.values(s.routeTables).some((x) => x.vpcId === vpc.id && !x.main)) throw dependency('route tables');
    if (Object.values(s.securityGroups).some((x) => x.vpcId === vpc.id && !x.isDefault)) {
      throw dependency('security groups');
    }
    if (attachmentsOfVpc(s, vpc.id).some((a) => stateAt(a.timeline, ctx.now) !== 'deleted')) {
      throw dependency('transit gateway attachments');
    }
    if (Object.values(s.endpoints).some((e) => e.vpcId === vpc.id && stateAt(e.timeline, ctx.now) !== 'deleted')) {
      throw dependency('VPC endpoints');
    }
    for (const t of Object.values(s.routeTables)) if (t.vpcId === vpc.id) removeResource(s, 'routeTables', t.id);
    for (const g of Object.values(s.securityGroups)) if (g.vpcId === vpc.id) removeResource(s, 'securityGroups', g.id);
    removeResource(s, 'vpcs', vpc.id);
    emitApiCall(ctx, 'DeleteVpc', { vpcId: vpc.id }, { _return: true });
    return {};
  },

  DescribeVpcAttribute(ctx, input: DescribeVpcAttributeRequest) {
    const vpc = owned(ctx, 'vpcs', input.VpcId, 'VpcId');
    const attribute = requireParam(input.Attribute, 'Attribute');
    if (attribute === 'enableDnsSupport') return { VpcId: vpc.id, EnableDnsSupport: { Value: vpc.enableDnsSupport } };
    if (attribute === 'enableDnsHostnames') {
      return { VpcId: vpc.id, EnableDnsHostnames: { Value: vpc.enableDnsHostnames } };
    }
    throw errors.invalidParameter(`Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`);
  },

  ModifyVpcAttribute(ctx, input: ModifyVpcAttributeRequest) {
    const vpc = owned(ctx, 'vpcs', input.VpcId, 'VpcId');
    const given = [input.EnableDnsSupport, input.EnableDnsHostnames, input.EnableNetworkAddressUsageMetrics].filter(
      (v) => v !== undefined,
    );
    // "You can only modify one attribute in a single request"
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcAttribute.html).
    if (given.length !== 1) {
      throw err('InvalidParameterCombination', 'Exactly one attribute must be specified in a single request.');
    }
    // "You can only enable DNS hostnames if you've enabled DNS support" (same page). AWS documents no error code
    // for it; the twin answers the generic InvalidParameterValue rather than accepting the change.
    if (input.EnableDnsHostnames?.Value === true && !vpc.enableDnsSupport) {
      throw err('InvalidParameterValue', 'DNS hostnames can only be enabled when DNS support is enabled.');
    }
    if (input.EnableDnsSupport?.Value !== undefined) vpc.enableDnsSupport = input.EnableDnsSupport.Value;
    if (input.EnableDnsHostnames?.Value !== undefined) vpc.enableDnsHostnames = input.EnableDnsHostnames.Value;
    return {};
  },

  DescribeSubnets(ctx, input: DescribeSubnetsRequest) {
    const subnets = applyFilters(selectIds(ownedList(ctx, 'subnets'), input.SubnetIds), input.Filters, {
      'vpc-id': (x) => x.vpcId,
      'subnet-id': (x) => x.id,
      'availability-zone': (x) => x.availabilityZone,
      'cidr-block': (x) => x.cidrBlock,
      'ipv6-cidr-block-association.ipv6-cidr-block': (x) => x.ipv6CidrBlock,
      'ipv6-native': (x) => String(x.ipv6Native === true),
      'owner-id': (x) => x.ownerId,
      state: () => 'available',
    });
    const { page, NextToken } = paginate(subnets, input);
    return { Subnets: page.map((x) => subnetView(x)), NextToken };
  },

  CreateSubnet(ctx, input: CreateSubnetRequest) {
    const vpc = owned(ctx, 'vpcs', input.VpcId, 'VpcId');
    const s = ec2State(ctx.twin);
    // An IPv6-only subnet (Ipv6Native) has an IPv6 CIDR and no IPv4 one
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnet.html).
    const native = input.Ipv6Native === true;
    if (native && input.CidrBlock !== undefined) {
      throw err('InvalidParameterCombination', 'An IPv6-only subnet cannot have an IPv4 CIDR block');
    }
    if (native && input.Ipv6CidrBlock === undefined) throw errors.missingParameter('Ipv6CidrBlock');
    let cidr: string | undefined;
    if (!native) {
      cidr = validCidr(input.CidrBlock, 'CidrBlock');
      const prefix = parseCidr(cidr)!.prefix;
      if (prefix < 16 || prefix > 28 || !vpc.cidrBlocks.some((c) => cidrContains(c, cidr!))) {
        throw err('InvalidSubnet.Range', `The CIDR '${cidr}' is invalid.`);
      }
      if (Object.values(s.subnets).some((x) => x.vpcId === vpc.id && x.cidrBlock && cidrOverlaps(x.cidrBlock, cidr!))) {
        throw err('InvalidSubnet.Conflict', `The CIDR '${cidr}' conflicts with another subnet`);
      }
    }
    const ipv6 = input.Ipv6CidrBlock === undefined ? undefined : subnetIpv6Cidr(s, vpc, input.Ipv6CidrBlock);
    const zone = input.AvailabilityZone ?? `${ctx.region}a`;
    if (!new RegExp(`^${ctx.region}[a-f]$`).test(zone)) {
      throw errors.invalidParameter(`Value (${zone}) for parameter availabilityZone is invalid.`);
    }
    const subnet: Subnet = {
      id: ctx.twin.newId('subnet'),
      ownerId: vpc.ownerId,
      region: vpc.region,
      tags: creationTags(input.TagSpecifications, 'subnet'),
      createdAt: ctx.now,
      visibleAt: ctx.now + ctx.twin.consistencyLagMs,
      vpcId: vpc.id,
      availabilityZone: zone,
      ...(cidr ? { cidrBlock: cidr } : {}),
      ...(ipv6 ? { ipv6CidrBlock: ipv6, ipv6AssociationId: ctx.twin.newId('subnet-cidr-assoc') } : {}),
      ...(native ? { ipv6Native: true } : {}),
    };
    putResource(s, 'subnets', subnet);
    emitCreationTags(ctx, subnet);
    return { Subnet: { ...subnetView(subnet), State: 'pending' } };
  },

  /**
   * An IPv6 CIDR for a subnet that has none (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateSubnetCidrBlock.html):
   * a subnet has at most one IPv6 block; the rules of CreateSubnet's `Ipv6CidrBlock` apply.
   */
  AssociateSubnetCidrBlock(ctx, input: AssociateSubnetCidrBlockRequest) {
    const subnet = owned(ctx, 'subnets', input.SubnetId, 'SubnetId');
    if (input.Ipv6IpamPoolId !== undefined || input.Ipv6NetmaskLength !== undefined) {
      throw new Error('twin: AssociateSubnetCidrBlock from an IPAM pool is not modeled');
    }
    const given = requireParam(input.Ipv6CidrBlock, 'Ipv6CidrBlock');
    if (subnet.ipv6CidrBlock) {
      throw err(
        'InvalidParameterValue',
        `Subnet ${subnet.id} already has an IPv6 CIDR block (${subnet.ipv6CidrBlock})`,
      );
    }
    const s = ec2State(ctx.twin);
    const cidr = subnetIpv6Cidr(s, s.vpcs[subnet.vpcId]!, given);
    subnet.ipv6CidrBlock = cidr;
    subnet.ipv6AssociationId = ctx.twin.newId('subnet-cidr-assoc');
    return {
      SubnetId: subnet.id,
      Ipv6CidrBlockAssociation: {
        AssociationId: subnet.ipv6AssociationId,
        Ipv6CidrBlock: cidr,
        Ipv6CidrBlockState: { State: 'associating' as const },
      },
    };
  },

  DeleteSubnet(ctx, input: DeleteSubnetRequest) {
    const subnet = owned(ctx, 'subnets', input.SubnetId, 'SubnetId');
    const s = ec2State(ctx.twin);
    const inUse =
      Object.values(s.attachments).some(
        (a) => a.subnetIds.includes(subnet.id) && stateAt(a.timeline, ctx.now) !== 'deleted',
      ) ||
      Object.values(s.endpoints).some(
        (e) => e.subnetIds.includes(subnet.id) && stateAt(e.timeline, ctx.now) !== 'deleted',
      );
    if (inUse) {
      throw err('DependencyViolation', `The subnet '${subnet.id}' has dependencies and cannot be deleted.`);
    }
    for (const t of Object.values(s.routeTables))
      t.associations = t.associations.filter((a) => a.subnetId !== subnet.id);
    removeResource(s, 'subnets', subnet.id);
    return {};
  },

  DescribeRouteTables(ctx, input: DescribeRouteTablesRequest) {
    const tables = applyFilters(selectIds(ownedList(ctx, 'routeTables'), input.RouteTableIds), input.Filters, {
      'vpc-id': (t) => t.vpcId,
      'route-table-id': (t) => t.id,
      'owner-id': (t) => t.ownerId,
      'association.subnet-id': (t) => t.associations.map((a) => a.subnetId),
      'association.route-table-association-id': (t) => [t.mainAssociationId, ...t.associations.map((a) => a.id)],
      'association.main': (t) => (t.main ? 'true' : 'false'),
      'route.destination-cidr-block': (t) => t.routes.map((r) => r.destinationCidrBlock).filter((d) => !isIpv6Cidr(d)),
      'route.destination-ipv6-cidr-block': (t) => t.routes.map((r) => r.destinationCidrBlock).filter(isIpv6Cidr),
      'route.transit-gateway-id': (t) => t.routes.map((r) => r.transitGatewayId),
    });
    const { page, NextToken } = paginate(tables, input, { min: 5, max: 100 });
    return { RouteTables: page.map((t) => routeTableView(ctx, t)), NextToken };
  },

  CreateRouteTable(ctx, input: CreateRouteTableRequest) {
    const vpc = owned(ctx, 'vpcs', input.VpcId, 'VpcId');
    const table = newRouteTable(ctx, vpc, false, creationTags(input.TagSpecifications, 'route-table'));
    putResource(ec2State(ctx.twin), 'routeTables', table);
    emitCreationTags(ctx, table);
    return { RouteTable: routeTableView(ctx, table) };
  },

  AssociateRouteTable(ctx, input: AssociateRouteTableRequest) {
    const table = owned(ctx, 'routeTables', input.RouteTableId, 'RouteTableId');
    const subnet = owned(ctx, 'subnets', input.SubnetId, 'SubnetId');
    if (subnet.vpcId !== table.vpcId) {
      throw errors.invalidParameter(`Route table ${table.id} and subnet ${subnet.id} belong to different networks`);
    }
    const s = ec2State(ctx.twin);
    const current = Object.values(s.routeTables).find((t) => t.associations.some((a) => a.subnetId === subnet.id));
    if (current) {
      throw err(
        'Resource.AlreadyAssociated',
        `the specified association for route table ${table.id} conflicts with an existing association`,
      );
    }
    const id = ctx.twin.newId('rtbassoc');
    table.associations.push({ id, subnetId: subnet.id });
    return { AssociationId: id, AssociationState: { State: 'associated' } };
  },

  CreateRoute(ctx, input: CreateRouteRequest) {
    const table = owned(ctx, 'routeTables', input.RouteTableId, 'RouteTableId');
    const destination = routeDestination(input);
    const targets = {
      gatewayId: input.GatewayId,
      transitGatewayId: input.TransitGatewayId,
      natGatewayId: input.NatGatewayId,
      vpcPeeringConnectionId: input.VpcPeeringConnectionId,
    };
    const given = Object.entries(targets).filter(([, v]) => v !== undefined);
    const other = Object.entries(input).filter(
      ([k, v]) =>
        v !== undefined &&
        /(Id|Arn)$/.test(k) &&
        ![
          'RouteTableId',
          'GatewayId',
          'TransitGatewayId',
          'NatGatewayId',
          'VpcPeeringConnectionId',
          'DestinationCidrBlock',
          'DestinationIpv6CidrBlock',
        ].includes(k),
    );
    if (other.length > 0) throw new Error(`twin: CreateRoute target ${other[0]![0]} is not modeled`);
    if (given.length !== 1) {
      throw err(
        'InvalidParameterCombination',
        'The request must contain exactly one of gatewayId, transitGatewayId, natGatewayId, vpcPeeringConnectionId',
      );
    }
    // RouteAlreadyExists whatever the existing route points to: CreateRoute never overwrites
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html, ReplaceRoute replaces).
    if (table.routes.some((r) => r.destinationCidrBlock === destination)) {
      throw err('RouteAlreadyExists', `The route identified by ${destination} already exists.`);
    }
    const s = ec2State(ctx.twin);
    if (input.TransitGatewayId) {
      const tgwId = input.TransitGatewayId;
      const tgw = s.transitGateways[tgwId];
      const visible =
        !!tgw &&
        isVisible(tgw, ctx) &&
        (tgw.ownerId === ctx.caller.accountId || isSharedWith(ctx.twin, tgwArn(tgw), ctx.caller.accountId, ctx.now));
      // A route to a TGW needs an available attachment of this VPC to it; AWS answers
      // InvalidTransitGatewayID.NotFound "The transitGateway ID '...' does not exist." otherwise (reported in
      // https://github.com/hashicorp/terraform-provider-aws/issues/9222 and https://github.com/aws-ia/terraform-aws-vpc/issues/101).
      const attached = attachmentsOfVpc(s, table.vpcId).some(
        (a) => a.transitGatewayId === tgwId && isVisible(a, ctx) && stateAt(a.timeline, ctx.now) === 'available',
      );
      if (!visible || !attached) {
        throw err('InvalidTransitGatewayID.NotFound', `The transitGateway ID '${tgwId}' does not exist.`);
      }
    } else {
      // Internet/NAT gateways and peering connections are not modeled: a target is known when a route of this VPC
      // (from the world) already uses it.
      const [key, id] = given[0] as [keyof typeof targets, string];
      const known = Object.values(s.routeTables).some(
        (t) => t.vpcId === table.vpcId && t.routes.some((r) => r[key] === id),
      );
      if (!known) {
        const code =
          key === 'natGatewayId'
            ? 'InvalidNatGatewayID.NotFound'
            : key === 'vpcPeeringConnectionId'
              ? 'InvalidVpcPeeringConnectionID.NotFound'
              : 'InvalidGatewayID.NotFound';
        throw err(code, `The ${key.replace(/Id$/, '')} ID '${id}' does not exist`);
      }
    }
    if (table.routes.length >= quotas(ctx.twin).routesPerRouteTable) {
      throw err('RouteLimitExceeded', `The maximum number of routes has been reached for route table ${table.id}.`);
    }
    table.routes.push({
      destinationCidrBlock: destination,
      ...Object.fromEntries(given),
      origin: 'CreateRoute',
    });
    return { Return: true };
  },

  DeleteRoute(ctx, input: DeleteRouteRequest) {
    const table = owned(ctx, 'routeTables', input.RouteTableId, 'RouteTableId');
    const destination = routeDestination(input);
    const route = table.routes.find((r) => r.destinationCidrBlock === destination);
    if (!route) {
      throw err(
        'InvalidRoute.NotFound',
        `no route with ${isIpv6Cidr(destination) ? 'destination-ipv6-cidr-block' : 'destination-cidr-block'} ${destination} in route table ${table.id}`,
      );
    }
    if (route.gatewayId === 'local') {
      throw errors.invalidParameter(`cannot remove local route ${destination} in route table ${table.id}`);
    }
    table.routes = table.routes.filter((r) => r !== route);
    return {};
  },
};

/** For other twin modules (Route 53 checks the DNS attributes of a VPC it associates). */
export function vpcSummary(vpc: Vpc) {
  return {
    id: vpc.id,
    ownerId: vpc.ownerId,
    region: vpc.region,
    cidrBlocks: [...vpc.cidrBlocks],
    ipv6CidrBlocks: (vpc.ipv6Blocks ?? []).map((b) => b.cidr),
    enableDnsSupport: vpc.enableDnsSupport,
    enableDnsHostnames: vpc.enableDnsHostnames,
  };
}

/**
 * The canonical IPv6 CIDR of a new subnet, or the error AWS answers: /44 to /64 in steps of /4, inside one of the
 * VPC's IPv6 blocks, overlapping no other subnet's ("Subnet CIDR blocks",
 * https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
 */
function subnetIpv6Cidr(s: Ec2State, vpc: Vpc, given: string): string {
  const canonical = canonicalIpv6Cidr(given);
  if (!canonical) throw errors.invalidParameter(`Value (${given}) for parameter ipv6CidrBlock is invalid.`);
  const prefix = parseIpv6Cidr(canonical)!.prefix;
  if (
    prefix < 44 ||
    prefix > 64 ||
    prefix % 4 !== 0 ||
    !(vpc.ipv6Blocks ?? []).some((b) => cidrContains(b.cidr, canonical))
  ) {
    throw err('InvalidSubnet.Range', `The IPv6 CIDR '${canonical}' is invalid.`);
  }
  if (
    Object.values(s.subnets).some(
      (x) => x.vpcId === vpc.id && x.ipv6CidrBlock && cidrOverlaps(x.ipv6CidrBlock, canonical),
    )
  ) {
    throw err('InvalidSubnet.Conflict', `The IPv6 CIDR '${canonical}' conflicts with another subnet`);
  }
  return canonical;
}
