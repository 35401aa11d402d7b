import type {
  AcceptVpcEndpointConnectionsRequest,
  CreateVpcEndpointRequest,
  DescribeVpcEndpointConnectionsRequest,
  DescribeVpcEndpointServiceConfigurationsRequest,
  DescribeVpcEndpointServicePermissionsRequest,
  DescribeVpcEndpointsRequest,
  ModifyVpcEndpointServicePermissionsRequest,
  RejectVpcEndpointConnectionsRequest,
  VpcEndpoint as SdkVpcEndpoint,
  ServiceConfiguration,
  UnsuccessfulItem,
} from '@aws-sdk/client-ec2';
import { errors } from '../../errors';
import type { CallContext, OperationHandler } from '../../types';
import {
  applyFilters,
  creationTags,
  type Ec2State,
  type EndpointService,
  ec2State,
  emitCreationTags,
  err,
  isVisible,
  owned,
  ownedList,
  paginate,
  requireParam,
  selectIds,
  stateAt,
  tagList,
  transition,
  type VpcEndpoint,
} from './model';

const PRINCIPAL = /^arn:aws:iam::(\d{12}):(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/;

function principalType(principal: string): 'All' | 'Account' | 'Role' | 'User' {
  if (principal === '*') return 'All';
  const m = PRINCIPAL.exec(principal);
  if (m?.[2] === 'root') return 'Account';
  return m?.[2]?.startsWith('role/') ? 'Role' : 'User';
}

function serviceView(svc: EndpointService): ServiceConfiguration {
  return {
    ServiceType: [{ ServiceType: 'Interface' }],
    ServiceId: svc.id,
    ServiceName: svc.serviceName,
    ServiceState: 'Available',
    AvailabilityZones: [...svc.availabilityZones],
    AcceptanceRequired: svc.acceptanceRequired,
    ManagesVpcEndpoints: false,
    NetworkLoadBalancerArns: [],
    BaseEndpointDnsNames: [`${svc.id}.${svc.region}.vpce.amazonaws.com`],
    SupportedIpAddressTypes: [...(svc.supportedIpAddressTypes ?? ['ipv4'])],
    Tags: tagList(svc.tags),
  };
}

function endpointView(s: Ec2State, e: VpcEndpoint, now: number): SdkVpcEndpoint {
  return {
    VpcEndpointId: e.id,
    VpcEndpointType: 'Interface',
    VpcId: e.vpcId,
    ServiceName: e.serviceName,
    // Wire values are lower camel case ("pendingAcceptance"), whatever the SDK's State enum spells.
    State: stateAt(e.timeline, now) as SdkVpcEndpoint['State'],
    SubnetIds: [...e.subnetIds],
    Groups: e.securityGroupIds.map((id) => ({ GroupId: id, GroupName: s.securityGroups[id]?.name })),
    PrivateDnsEnabled: e.privateDnsEnabled,
    IpAddressType: e.ipAddressType ?? 'ipv4',
    DnsOptions: { DnsRecordIpType: e.dnsRecordIpType ?? 'ipv4' },
    RequesterManaged: false,
    OwnerId: e.ownerId,
    CreationTimestamp: new Date(e.createdAt),
    Tags: tagList(e.tags),
  };
}

/** An endpoint service the caller owns (provider side). */
function ownedService(ctx: CallContext, id: string | undefined): EndpointService {
  return owned(ctx, 'endpointServices', id, 'ServiceId');
}

/** True when the service's allowed principals let this account create endpoints to it. */
function allows(svc: EndpointService, accountId: string): boolean {
  if (svc.ownerId === accountId) return true;
  return svc.allowedPrincipals.some((p) => p.principal === '*' || p.principal === `arn:aws:iam::${accountId}:root`);
}

/**
 * Accept or reject (provider side): each endpoint that is the service's, visible and in one of `from` moves on;
 * per-endpoint failures come back in `Unsuccessful[]`, not as an error (aws-facts; API_AcceptVpcEndpointConnections,
 * API_RejectVpcEndpointConnections). The codes are the twin's choice.
 */
function decideConnections(
  ctx: CallContext,
  input: { ServiceId?: string; VpcEndpointIds?: string[] },
  from: string[],
  next: () => { at: number; state: string }[],
): { Unsuccessful: UnsuccessfulItem[] } {
  const svc = ownedService(ctx, input.ServiceId);
  const ids = input.VpcEndpointIds ?? [];
  if (ids.length === 0) throw errors.missingParameter('VpcEndpointId');
  const s = ec2State(ctx.twin);
  const unsuccessful: UnsuccessfulItem[] = [];
  for (const id of ids) {
    const e = s.endpoints[id];
    const state = e ? stateAt(e.timeline, ctx.now) : 'deleted';
    if (!e || e.serviceId !== svc.id || !isVisible(e, ctx) || state === 'deleted') {
      unsuccessful.push({
        ResourceId: id,
        Error: { Code: 'InvalidVpcEndpointId.NotFound', Message: `The Vpc Endpoint Id '${id}' does not exist` },
      });
      continue;
    }
    if (!from.includes(state)) {
      unsuccessful.push({
        ResourceId: id,
        Error: { Code: 'IncorrectState', Message: `Vpc Endpoint ${id} is in state ${state}, not ${from.join(' or ')}` },
      });
      continue;
    }
    transition(e.timeline, ctx.now, next());
  }
  return { Unsuccessful: unsuccessful };
}

export const endpointOperations: Record<string, OperationHandler> = {
  DescribeVpcEndpointServiceConfigurations(ctx, input: DescribeVpcEndpointServiceConfigurationsRequest) {
    const services = applyFilters(selectIds(ownedList(ctx, 'endpointServices'), input.ServiceIds), input.Filters, {
      'service-id': (x) => x.id,
      'service-name': (x) => x.serviceName,
      'service-state': () => 'Available',
    });
    const { page, NextToken } = paginate(services, input);
    return { ServiceConfigurations: page.map(serviceView), NextToken };
  },

  DescribeVpcEndpointServicePermissions(ctx, input: DescribeVpcEndpointServicePermissionsRequest) {
    const svc = ownedService(ctx, input.ServiceId);
    const rows = applyFilters(
      svc.allowedPrincipals.map((p) => ({ ...p, tags: {} })),
      input.Filters,
      { principal: (p) => p.principal, 'principal-type': (p) => principalType(p.principal) },
    );
    const { page, NextToken } = paginate(rows, input);
    return {
      AllowedPrincipals: page.map((p) => ({
        PrincipalType: principalType(p.principal),
        Principal: p.principal,
        ServicePermissionId: p.permissionId,
        ServiceId: svc.id,
        Tags: [],
      })),
      NextToken,
    };
  },

  ModifyVpcEndpointServicePermissions(ctx, input: ModifyVpcEndpointServicePermissionsRequest) {
    const svc = ownedService(ctx, input.ServiceId);
    const add = input.AddAllowedPrincipals ?? [];
    const remove = input.RemoveAllowedPrincipals ?? [];
    for (const p of [...add, ...remove]) {
      if (p !== '*' && !PRINCIPAL.test(p)) {
        throw err('InvalidPrincipal', `Invalid principal ${p}`);
      }
    }
    const added = [];
    for (const principal of add) {
      if (svc.allowedPrincipals.some((p) => p.principal === principal)) continue;
      const entry = { principal, permissionId: ctx.twin.newId('vpce-spn') };
      svc.allowedPrincipals.push(entry);
      added.push(entry);
    }
    svc.allowedPrincipals = svc.allowedPrincipals.filter((p) => !remove.includes(p.principal));
    return {
      ...(add.length > 0
        ? {
            AddedPrincipals: added.map((p) => ({
              PrincipalType: principalType(p.principal),
              Principal: p.principal,
              ServicePermissionId: p.permissionId,
              ServiceId: svc.id,
            })),
          }
        : {}),
      ReturnValue: true,
    };
  },

  DescribeVpcEndpointConnections(ctx, input: DescribeVpcEndpointConnectionsRequest) {
    const s = ec2State(ctx.twin);
    const mine = new Set(ownedList(ctx, 'endpointServices').map((x) => x.id));
    const pool = Object.values(s.endpoints).filter(
      (e) => mine.has(e.serviceId) && isVisible(e, ctx) && stateAt(e.timeline, ctx.now) !== 'deleted',
    );
    const rows = applyFilters(pool, input.Filters, {
      'service-id': (e) => e.serviceId,
      'vpc-endpoint-owner': (e) => e.ownerId,
      'vpc-endpoint-state': (e) => stateAt(e.timeline, ctx.now),
      'vpc-endpoint-id': (e) => e.id,
    });
    const { page, NextToken } = paginate(rows, input);
    return {
      VpcEndpointConnections: page.map((e) => ({
        ServiceId: e.serviceId,
        VpcEndpointId: e.id,
        VpcEndpointOwner: e.ownerId,
        VpcEndpointState: stateAt(e.timeline, ctx.now),
        CreationTimestamp: new Date(e.createdAt),
        VpcEndpointConnectionId: `vpce-con-${e.id.slice(5)}`,
        Tags: [],
      })),
      NextToken,
    };
  },

  AcceptVpcEndpointConnections(ctx, input: AcceptVpcEndpointConnectionsRequest) {
    const s = ec2State(ctx.twin);
    // Only a request waiting for acceptance can be accepted; a rejected one stays rejected (the consumer creates a
    // new endpoint), the twin's reading of the PrivateLink guide and stricter than an undocumented answer.
    return decideConnections(ctx, input, ['pendingAcceptance'], () => [
      { at: ctx.now, state: 'pending' },
      { at: ctx.now + s.settings.endpointPendingMs, state: 'available' },
    ]);
  },

  RejectVpcEndpointConnections(ctx, input: RejectVpcEndpointConnectionsRequest) {
    // A provider rejects a request pending acceptance, or a connection it accepted earlier: the endpoint becomes
    // `rejected` and can no longer reach the service
    // (https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html#accept-reject-connection-requests).
    return decideConnections(ctx, input, ['pendingAcceptance', 'pending', 'available'], () => [
      { at: ctx.now, state: 'rejected' },
    ]);
  },

  CreateVpcEndpoint(ctx, input: CreateVpcEndpointRequest) {
    if ((input.VpcEndpointType ?? 'Gateway') !== 'Interface') {
      throw new Error(`twin: VPC endpoints of type ${input.VpcEndpointType ?? 'Gateway'} are not modeled`);
    }
    const serviceName = requireParam(input.ServiceName, 'ServiceName');
    const vpc = owned(ctx, 'vpcs', input.VpcId, 'VpcId');
    const s = ec2State(ctx.twin);
    const svc = Object.values(s.endpointServices).find((x) => x.serviceName === serviceName && isVisible(x, ctx));
    // A service the account is not allowed to use looks like one that does not exist.
    if (!svc || !allows(svc, ctx.caller.accountId)) {
      throw err('InvalidServiceName', `The Vpc Endpoint Service '${serviceName}' does not exist`);
    }
    const subnetIds = input.SubnetIds ?? [];
    const zones = new Set<string>();
    for (const id of subnetIds) {
      const subnet = owned(ctx, 'subnets', id, 'SubnetIds');
      if (subnet.vpcId !== vpc.id) throw errors.invalidParameter(`Subnet ${id} does not belong to VPC ${vpc.id}`);
      if (zones.has(subnet.availabilityZone)) {
        throw err('DuplicateSubnetsInSameZone', 'Found another VPC endpoint subnet in the availability zone');
      }
      zones.add(subnet.availabilityZone);
    }
    const { ipAddressType, dnsRecordIpType } = endpointIpTypes(
      input,
      svc,
      subnetIds.map((id) => s.subnets[id]!),
    );
    const groups = input.SecurityGroupIds ?? [];
    for (const id of groups) {
      const g = owned(ctx, 'securityGroups', id, 'SecurityGroupIds');
      if (g.vpcId !== vpc.id) throw errors.invalidParameter(`Security group ${id} does not belong to VPC ${vpc.id}`);
    }
    const e: VpcEndpoint = {
      id: ctx.twin.newId('vpce'),
      ownerId: ctx.caller.accountId,
      region: ctx.region,
      tags: creationTags(input.TagSpecifications, 'vpc-endpoint'),
      createdAt: ctx.now,
      visibleAt: ctx.now + ctx.twin.consistencyLagMs,
      vpcId: vpc.id,
      serviceId: svc.id,
      serviceName,
      subnetIds: [...subnetIds],
      securityGroupIds:
        groups.length > 0
          ? [...groups]
          : Object.values(s.securityGroups)
              .filter((g) => g.vpcId === vpc.id && g.isDefault)
              .map((g) => g.id),
      privateDnsEnabled: input.PrivateDnsEnabled ?? false,
      ipAddressType,
      dnsRecordIpType,
      timeline: [],
    };
    e.timeline.push(
      ...(svc.acceptanceRequired && svc.ownerId !== ctx.caller.accountId
        ? [{ at: ctx.now, state: 'pendingAcceptance' }]
        : [
            { at: ctx.now, state: 'pending' },
            { at: ctx.now + s.settings.endpointPendingMs, state: 'available' },
          ]),
    );
    s.endpoints[e.id] = e;
    emitCreationTags(ctx, e);
    return { VpcEndpoint: endpointView(s, e, ctx.now) };
  },

  DescribeVpcEndpoints(ctx, input: DescribeVpcEndpointsRequest) {
    const s = ec2State(ctx.twin);
    const pool = ownedList(ctx, 'endpoints').filter((e) => stateAt(e.timeline, ctx.now) !== 'deleted');
    const rows = applyFilters(selectIds(pool, input.VpcEndpointIds), input.Filters, {
      'vpc-id': (e) => e.vpcId,
      'service-name': (e) => e.serviceName,
      'vpc-endpoint-id': (e) => e.id,
      'vpc-endpoint-state': (e) => stateAt(e.timeline, ctx.now),
      'vpc-endpoint-type': () => 'Interface',
    });
    const { page, NextToken } = paginate(rows, input);
    return { VpcEndpoints: page.map((e) => endpointView(s, e, ctx.now)), NextToken };
  },
};

/** Snapshot views (computed at `now`). */
export function endpointSnapshot(s: Ec2State, now: number) {
  return {
    endpointServices: Object.values(s.endpointServices)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((x) => ({
        id: x.id,
        ownerId: x.ownerId,
        serviceName: x.serviceName,
        acceptanceRequired: x.acceptanceRequired,
        allowedPrincipals: x.allowedPrincipals.map((p) => p.principal).sort(),
        tags: x.tags,
      })),
    vpcEndpoints: Object.values(s.endpoints)
      .filter((e) => stateAt(e.timeline, now) !== 'deleted')
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((e) => ({
        id: e.id,
        ownerId: e.ownerId,
        vpcId: e.vpcId,
        serviceId: e.serviceId,
        state: stateAt(e.timeline, now),
        subnetIds: e.subnetIds,
        tags: e.tags,
      })),
  };
}

type IpAddressType = 'ipv4' | 'dualstack' | 'ipv6';

/**
 * IpAddressType and DnsOptions.DnsRecordIpType of a new interface endpoint, or the error AWS answers
 * (https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html, "IP address types"):
 * - the service must support the type (`SupportedIpAddressTypes`: dualstack needs ipv4 and ipv6);
 * - ipv4 needs IPv4 in every subnet, ipv6 IPv6-only subnets, dualstack both families in every subnet;
 * - the DNS record type must fit the address type (ipv4 records for an ipv4 endpoint, ipv6 for an ipv6 one;
 *   a dualstack endpoint takes any); its default is the address type's own.
 * AWS documents no specific error code: twin's choice, InvalidParameter.
 */
function endpointIpTypes(
  input: CreateVpcEndpointRequest,
  svc: EndpointService,
  subnets: readonly { id: string; cidrBlock?: string; ipv6CidrBlock?: string }[],
): { ipAddressType: IpAddressType; dnsRecordIpType: NonNullable<VpcEndpoint['dnsRecordIpType']> } {
  const ipAddressType = (input.IpAddressType ?? 'ipv4') as IpAddressType;
  if (!['ipv4', 'dualstack', 'ipv6'].includes(ipAddressType)) {
    throw errors.invalidParameter(`Value (${ipAddressType}) for parameter ipAddressType is invalid.`);
  }
  const supported = svc.supportedIpAddressTypes ?? ['ipv4'];
  const needs: ('ipv4' | 'ipv6')[] = ipAddressType === 'dualstack' ? ['ipv4', 'ipv6'] : [ipAddressType];
  const missing = needs.find((t) => !supported.includes(t));
  if (missing) {
    throw err(
      'InvalidParameter',
      `The Vpc Endpoint Service '${svc.serviceName}' does not support IP address type ${ipAddressType}`,
    );
  }
  for (const subnet of subnets) {
    const bad =
      (needs.includes('ipv4') && !subnet.cidrBlock) ||
      (needs.includes('ipv6') && !subnet.ipv6CidrBlock) ||
      (ipAddressType === 'ipv6' && subnet.cidrBlock);
    if (bad) throw err('InvalidParameter', `Subnet ${subnet.id} does not fit IP address type ${ipAddressType}`);
  }
  const dns = (input.DnsOptions?.DnsRecordIpType ?? ipAddressType) as NonNullable<VpcEndpoint['dnsRecordIpType']>;
  const fits =
    ipAddressType === 'dualstack'
      ? ['ipv4', 'ipv6', 'dualstack', 'service-defined'].includes(dns)
      : dns === ipAddressType || dns === 'service-defined';
  if (!fits) {
    throw err('InvalidParameter', `DNS record IP type ${dns} does not fit IP address type ${ipAddressType}`);
  }
  return { ipAddressType, dnsRecordIpType: dns };
}
