import type {
  AcceptVpcEndpointConnectionsRequest,
  CreateVpcEndpointRequest,
  DeleteVpcEndpointsRequest,
  DescribeVpcEndpointConnectionsRequest,
  DescribeVpcEndpointServiceConfigurationsRequest,
  DescribeVpcEndpointServicePermissionsRequest,
  DescribeVpcEndpointServicesRequest,
  DescribeVpcEndpointsRequest,
  ModifyVpcEndpointRequest,
  ModifyVpcEndpointServiceConfigurationRequest,
  ModifyVpcEndpointServicePermissionsRequest,
  RejectVpcEndpointConnectionsRequest,
  VpcEndpoint as SdkVpcEndpoint,
  ServiceConfiguration,
  ServiceDetail,
  UnsuccessfulItem,
} from '@aws-sdk/client-ec2';
import { errors } from '../../errors';
import { lazyModule } from '../../lazy';
import type { Twin } from '../../twin';
import type { CallContext, OperationHandler } from '../../types';
import {
  applyFilters,
  azIdOf,
  creationTags,
  type Ec2State,
  type EndpointService,
  ec2State,
  emitCreationTags,
  err,
  isVisible,
  notFound,
  owned,
  ownedList,
  paginate,
  presentById,
  putResource,
  quotas,
  refuseUnmodeled,
  requireParam,
  selectIds,
  sortedById,
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
    SupportedRegions: svc.supportedRegions.map((Region) => ({ Region, ServiceState: 'Available' })),
    RemoteAccessEnabled: svc.supportedRegions.some((r) => r !== svc.region),
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
    PolicyDocument: e.policyDocument ?? FULL_ACCESS_POLICY,
    ...dnsEntries(e),
    ...(e.serviceRegion ? { ServiceRegion: e.serviceRegion } : {}),
    IpAddressType: e.ipAddressType ?? 'ipv4',
    DnsOptions: { DnsRecordIpType: e.dnsRecordIpType ?? 'ipv4' },
    RequesterManaged: false,
    OwnerId: e.ownerId,
    CreationTimestamp: new Date(e.createdAt),
    Tags: tagList(e.tags),
  };
}

/**
 * DnsEntries: a cross-region endpoint's Regional DNS name (`endpoint_id.endpoint_service_id.service_region.vpce.
 * amazonaws.com`) and no zonal names
 * (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html, "DNS hostnames" and
 * "Cross-Region access"), then the private DNS name when the endpoint has one. The twin shows the Regional and zonal
 * names of a same-region endpoint as it did before (none), and no HostedZoneId (it models no vpce.amazonaws.com zones).
 */
function dnsEntries(e: VpcEndpoint): Pick<SdkVpcEndpoint, 'DnsEntries'> {
  const entries = [
    ...(e.serviceRegion
      ? [{ DnsName: `${e.id}.${serviceLabel(e.serviceId, e.serviceName)}.${e.serviceRegion}.vpce.amazonaws.com` }]
      : []),
    ...(e.privateDnsName ? [{ DnsName: e.privateDnsName }] : []),
  ];
  return entries.length > 0 ? { DnsEntries: entries } : {};
}

/** The label of a service in its endpoints' DNS names: the endpoint service id, or an AWS service's part of its name. */
function serviceLabel(serviceId: string, serviceName: string): string {
  return serviceId.startsWith('vpce-svc-') ? serviceId : serviceName.split('.').slice(3).join('.');
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
  return perEndpoint(
    ctx,
    input.VpcEndpointIds,
    (e) => e.serviceId === svc.id && providerSees(e, ctx),
    (e, state) => {
      if (!from.includes(state)) {
        return {
          Code: 'IncorrectState',
          Message: `Vpc Endpoint ${e.id} is in state ${state}, not ${from.join(' or ')}`,
        };
      }
      transition(e.timeline, ctx.now, next());
      return undefined;
    },
  );
}

/**
 * The provider's view of an endpoint to its service: the connection is seen in the service's region (a cross-region
 * endpoint lives in the consumer's region: configure-endpoint-service.html#accept-reject-connection-requests is done
 * by the provider in its own region), once visible.
 */
function providerSees(e: VpcEndpoint, ctx: CallContext): boolean {
  return (e.serviceRegion ?? e.region) === ctx.region && ctx.now >= e.visibleAt;
}

/**
 * A per-endpoint call (Accept/RejectVpcEndpointConnections, DeleteVpcEndpoints): `act` runs on each id that names a
 * not deleted endpoint the caller may act on and sees (`mine`); every other id, and each error `act` returns, comes
 * back in `Unsuccessful[]`, not as an error of the call.
 */
function perEndpoint(
  ctx: CallContext,
  ids: string[] | undefined,
  mine: (e: VpcEndpoint) => boolean,
  act: (e: VpcEndpoint, state: string) => UnsuccessfulItem['Error'] | undefined,
): { Unsuccessful: UnsuccessfulItem[] } {
  if (!ids || ids.length === 0) throw errors.missingParameter('VpcEndpointId');
  const s = ec2State(ctx.twin);
  const unsuccessful: UnsuccessfulItem[] = [];
  for (const id of ids) {
    const e = s.endpoints[id];
    const state = e ? stateAt(e.timeline, ctx.now) : 'deleted';
    const error =
      !e || !mine(e) || state === 'deleted'
        ? { Code: 'InvalidVpcEndpointId.NotFound', Message: `The Vpc Endpoint Id '${id}' does not exist` }
        : act(e, state);
    if (error) unsuccessful.push({ ResourceId: id, Error: error });
  }
  return { Unsuccessful: unsuccessful };
}

/**
 * AWS services the twin offers as interface endpoint services in every region, by the service part of their name
 * (`com.amazonaws.<region>.<service>`), with the host part of their private DNS name
 * (https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html). Any other
 * `com.amazonaws.` name is `InvalidServiceName`, as a service that does not exist.
 */
export const AWS_INTERFACE_SERVICES: Readonly<Record<string, string>> = Object.freeze({
  ssm: 'ssm',
  ssmmessages: 'ssmmessages',
  ec2messages: 'ec2messages',
  sts: 'sts',
  secretsmanager: 'secretsmanager',
  'kinesis-streams': 'kinesis',
  kms: 'kms',
  logs: 'logs',
  monitoring: 'monitoring',
  sqs: 'sqs',
  sns: 'sns',
  lambda: 'lambda',
  ec2: 'ec2',
  'ecr.api': 'api.ecr',
  'ecr.dkr': 'dkr.ecr',
});

/** The private DNS name of an AWS service name in a region, or undefined when it is not an AWS service the twin offers. */
function awsServiceDnsName(serviceName: string, region: string): string | undefined {
  const prefix = `com.amazonaws.${region}.`;
  if (!serviceName.startsWith(prefix)) return undefined;
  const host = AWS_INTERFACE_SERVICES[serviceName.slice(prefix.length)];
  return host === undefined ? undefined : `${host}.${region}.amazonaws.com`;
}

/**
 * Cross-region PrivateLink, as the twin models it (each fact from its page):
 * - AWS services offered across regions (https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html),
 *   those of them the twin offers at all (AWS_INTERFACE_SERVICES);
 * - the Availability Zone ids where AWS creates no cross-region endpoint, and one partition for provider and consumer
 *   (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html, "Cross-Region access").
 */
const CROSS_REGION_AWS_SERVICES: readonly string[] = ['kms', 'lambda', 'ecr.api', 'ecr.dkr'];
const CROSS_REGION_EXCLUDED_AZ_IDS: readonly string[] = ['use1-az3', 'usw1-az2', 'apne1-az3', 'apne2-az2', 'apne2-az4'];
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** The partition of a region: regions of different partitions never reach each other's services. */
function partitionOf(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}

/** A region named in a request (ServiceRegion, SupportedRegions): well formed and of the caller's partition. */
function requireRegion(ctx: CallContext, region: string, parameter: string): string {
  if (!REGION.test(region) || partitionOf(region) !== partitionOf(ctx.region)) {
    throw errors.invalidParameter(`Value (${region}) for parameter ${parameter} is invalid.`);
  }
  return region;
}

/** CreateVpcEndpoint's ServiceRegion: the region of the service, the caller's by default (API_CreateVpcEndpoint). */
function requestedServiceRegion(ctx: CallContext, serviceRegion: string | undefined): string {
  return serviceRegion === undefined ? ctx.region : requireRegion(ctx, serviceRegion, 'serviceRegion');
}

/**
 * The service a new endpoint connects to, in `serviceRegion`: an AWS service (its private DNS name; across regions
 * only those AWS offers so), or an endpoint service of that region that allows the caller and, across regions, lists
 * the caller's region in its SupportedRegions. Anything else looks like a service that does not exist
 * (`InvalidServiceName`; AWS documents no other code for a region a service does not support: twin's choice).
 */
function serviceToConnect(
  ctx: CallContext,
  serviceName: string,
  serviceRegion: string,
): { svc?: EndpointService; awsDnsName?: string } {
  const crossRegion = serviceRegion !== ctx.region;
  const awsDnsName = awsServiceDnsName(serviceName, serviceRegion);
  if (awsDnsName !== undefined) {
    const service = serviceName.slice(`com.amazonaws.${serviceRegion}.`.length);
    if (!crossRegion || CROSS_REGION_AWS_SERVICES.includes(service)) return { awsDnsName };
  }
  const svc =
    awsDnsName === undefined
      ? Object.values(ec2State(ctx.twin).endpointServices).find(
          (x) => x.serviceName === serviceName && x.region === serviceRegion && ctx.now >= x.visibleAt,
        )
      : undefined;
  // A service the account is not allowed to use looks like one that does not exist.
  if (!svc || !allows(svc, ctx.caller.accountId)) {
    throw err('InvalidServiceName', `The Vpc Endpoint Service '${serviceName}' does not exist`);
  }
  if (!svc.supportedRegions.includes(ctx.region)) {
    throw err(
      'InvalidServiceName',
      `The Vpc Endpoint Service '${serviceName}' does not exist: ${serviceRegion} offers it to ${svc.supportedRegions.join(', ')}, not ${ctx.region}`,
    );
  }
  return { svc };
}

/** The policy AWS attaches when none is given (full access), as DescribeVpcEndpoints shows it. */
const FULL_ACCESS_POLICY = JSON.stringify({
  Statement: [{ Action: '*', Effect: 'Allow', Principal: '*', Resource: '*' }],
});

/**
 * An endpoint policy: JSON, at most 20,480 characters including white space
 * (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html, "Considerations"). The code is
 * the twin's choice (AWS documents none for this case).
 */
function checkPolicy(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.length > 20_480) throw err('InvalidParameter', 'The policy document exceeds the maximum size of 20480');
  try {
    const doc = JSON.parse(text) as { Statement?: unknown };
    if (
      typeof doc !== 'object' ||
      doc === null ||
      (!Array.isArray(doc.Statement) && typeof doc.Statement !== 'object')
    ) {
      throw new Error('no Statement');
    }
  } catch {
    throw err('InvalidPolicyDocument', 'The policy document is not a valid JSON policy');
  }
  return text;
}

/** Endpoints that count against the VPC's quota and hold its names: every one not `deleting`/`deleted`. */
function liveEndpointsOf(s: Ec2State, vpcId: string, now: number): VpcEndpoint[] {
  return Object.values(s.endpoints).filter(
    (e) => e.vpcId === vpcId && !['deleting', 'deleted'].includes(stateAt(e.timeline, now)),
  );
}

/** Route 53's view of the zones directly associated with a VPC (loaded lazily: the modules load independently). */
const route53Module = lazyModule(
  () =>
    require('../route53') as {
      zonesOfVpcInTwin?: (t: Twin, v: string, r: string) => { id: string; name: string }[];
    },
);

function zonesOfVpc(twin: Twin, vpcId: string, region: string): { id: string; name: string }[] {
  const { zonesOfVpcInTwin } = route53Module();
  return typeof zonesOfVpcInTwin === 'function' && twin.state.route53 ? zonesOfVpcInTwin(twin, vpcId, region) : [];
}

/**
 * Private DNS on an endpoint (CreateVpcEndpoint, ModifyVpcEndpoint): the VPC needs `enableDnsSupport` and
 * `enableDnsHostnames` (API_CreateVpcEndpoint, PrivateDnsEnabled:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpcEndpoint.html), and no private hosted zone of the
 * same name associated with the VPC, nor another endpoint of the VPC holding that name
 * (https://docs.aws.amazon.com/vpc/latest/privatelink/manage-dns-names.html). EC2 answers that conflict with its own
 * `InvalidParameter` ("private-dns-enabled cannot be set because there is already a conflicting DNS domain for <name>
 * in the VPC <vpc>", as users report it: github.com/hashicorp/terraform-provider-aws/issues/17269), not Route 53's
 * `ConflictingDomainExists`: that code is Route 53's (API_AssociateVPCWithHostedZone), and EC2's error list has no such
 * code (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). moto does not check the conflict
 * (test-moto/ec2-aws-service-endpoints.test.ts). An endpoint service without a private DNS name cannot have it
 * (twin's choice: InvalidParameter, as the twin models no endpoint service private DNS names).
 */
function checkPrivateDns(ctx: CallContext, vpcId: string, dnsName: string | undefined, self?: string): void {
  const s = ec2State(ctx.twin);
  const vpc = s.vpcs[vpcId]!;
  if (dnsName === undefined) {
    throw err('InvalidParameter', 'private-dns-enabled cannot be set because the service has no private DNS name');
  }
  if (!vpc.enableDnsSupport || !vpc.enableDnsHostnames) {
    throw err(
      'InvalidParameter',
      'private-dns-enabled cannot be set because either enableDnsHostnames or enableDnsSupport is set to false for your VPC',
    );
  }
  const name = dnsName.toLowerCase();
  const zone = zonesOfVpc(ctx.twin, vpcId, vpc.region).find((z) => z.name.replace(/\.$/, '') === name);
  const other = liveEndpointsOf(s, vpcId, ctx.now).find(
    (e) => e.id !== self && e.privateDnsEnabled && e.privateDnsName === name,
  );
  if (zone || other) {
    throw err(
      'InvalidParameter',
      `private-dns-enabled cannot be set because there is already a conflicting DNS domain for ${name} in the VPC ${vpcId}`,
    );
  }
}

/**
 * The private DNS names a VPC's endpoints answer (for Route 53: a zone of such a name cannot be associated with the
 * VPC, and for name resolution): endpoints with private DNS on, `available`, by name.
 */
export function endpointDnsNamesOfVpc(twin: Twin, vpcId: string, now: number): { name: string; endpointId: string }[] {
  const s = ec2State(twin);
  return liveEndpointsOf(s, vpcId, now)
    .filter((e) => e.privateDnsEnabled && e.privateDnsName !== undefined)
    .map((e) => ({ name: e.privateDnsName!, endpointId: e.id, state: stateAt(e.timeline, now) }))
    .filter((e) => e.state === 'available')
    .map(({ name, endpointId }) => ({ name, endpointId }));
}

/** Names held by a VPC's live endpoints (pending included): Route 53 refuses a same-named zone for them. */
export function endpointDnsNamesHeld(twin: Twin, vpcId: string, now: number): string[] {
  return liveEndpointsOf(ec2State(twin), vpcId, now)
    .filter((e) => e.privateDnsEnabled && e.privateDnsName !== undefined)
    .map((e) => e.privateDnsName!);
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

  /**
   * ModifyVpcEndpointServiceConfiguration: the regions whose consumers may connect (AddSupportedRegions,
   * RemoveSupportedRegions: https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html#manage-supported-regions).
   * A region is of the service's partition; the service's own region is always supported and cannot be removed; a
   * region both added and removed is a bad request (codes: twin's choice). Endpoints already created from a removed
   * region are not modeled as changing. Every other field is not modeled (a loud error, never a silent success).
   */
  ModifyVpcEndpointServiceConfiguration(ctx, input: ModifyVpcEndpointServiceConfigurationRequest) {
    const svc = ownedService(ctx, input.ServiceId);
    refuseUnmodeled('ModifyVpcEndpointServiceConfiguration', input, [
      'PrivateDnsName',
      'RemovePrivateDnsName',
      'AcceptanceRequired',
      'AddNetworkLoadBalancerArns',
      'RemoveNetworkLoadBalancerArns',
      'AddGatewayLoadBalancerArns',
      'RemoveGatewayLoadBalancerArns',
      'AddSupportedIpAddressTypes',
      'RemoveSupportedIpAddressTypes',
    ]);
    const add = (input.AddSupportedRegions ?? []).map((r) => requireRegion(ctx, r, 'AddSupportedRegions'));
    const remove = (input.RemoveSupportedRegions ?? []).map((r) => requireRegion(ctx, r, 'RemoveSupportedRegions'));
    if (remove.includes(svc.region)) {
      throw errors.invalidParameter(
        `The service's own Region ${svc.region} cannot be removed from its supported Regions`,
      );
    }
    const both = add.find((r) => remove.includes(r));
    if (both) throw errors.invalidParameter(`Region ${both} cannot be both added and removed`);
    svc.supportedRegions = [...new Set([...svc.supportedRegions, ...add])].filter((r) => !remove.includes(r));
    return { Return: true };
  },

  /**
   * DescribeVpcEndpointServices (consumer side): the services of `ServiceRegions` (default: the caller's region) the
   * caller can create an endpoint to from its region: AWS services (across regions only those AWS offers so) and the
   * endpoint services that allow the caller and, across regions, support the caller's region
   * (https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html shows the
   * call with --service-region). A named service it cannot offer is `InvalidServiceName`.
   */
  DescribeVpcEndpointServices(ctx, input: DescribeVpcEndpointServicesRequest) {
    const regions = (input.ServiceRegions?.length ? input.ServiceRegions : [ctx.region]).map((r) =>
      requireRegion(ctx, r, 'ServiceRegions'),
    );
    const details: ServiceDetail[] = [];
    for (const region of regions) {
      const crossRegion = region !== ctx.region;
      for (const [service, host] of Object.entries(AWS_INTERFACE_SERVICES)) {
        if (crossRegion && !CROSS_REGION_AWS_SERVICES.includes(service)) continue;
        details.push({
          ServiceName: `com.amazonaws.${region}.${service}`,
          ServiceRegion: region,
          ServiceType: [{ ServiceType: 'Interface' }],
          Owner: 'amazon',
          AcceptanceRequired: false,
          PrivateDnsName: `${host}.${region}.amazonaws.com`,
          SupportedIpAddressTypes: ['ipv4'],
        });
      }
      for (const svc of Object.values(ec2State(ctx.twin).endpointServices)) {
        if (svc.region !== region || ctx.now < svc.visibleAt || !allows(svc, ctx.caller.accountId)) continue;
        if (!svc.supportedRegions.includes(ctx.region)) continue;
        details.push({
          ServiceName: svc.serviceName,
          ServiceId: svc.id,
          ServiceRegion: region,
          ServiceType: [{ ServiceType: 'Interface' }],
          Owner: svc.ownerId,
          AvailabilityZones: [...svc.availabilityZones],
          AcceptanceRequired: svc.acceptanceRequired,
          BaseEndpointDnsNames: [`${svc.id}.${svc.region}.vpce.amazonaws.com`],
          SupportedIpAddressTypes: [...(svc.supportedIpAddressTypes ?? ['ipv4'])],
          Tags: tagList(svc.tags),
        });
      }
    }
    const missing = (input.ServiceNames ?? []).find((n) => !details.some((d) => d.ServiceName === n));
    if (missing) throw err('InvalidServiceName', `The Vpc Endpoint Service '${missing}' does not exist`);
    const named = input.ServiceNames?.length
      ? details.filter((d) => input.ServiceNames!.includes(d.ServiceName!))
      : details;
    const rows = applyFilters(
      named
        .sort((x, y) => x.ServiceName!.localeCompare(y.ServiceName!))
        .map((detail) => ({ detail, tags: Object.fromEntries((detail.Tags ?? []).map((t) => [t.Key!, t.Value!])) })),
      input.Filters,
      {
        'service-name': (x) => x.detail.ServiceName!,
        'service-type': () => 'Interface',
        owner: (x) => x.detail.Owner!,
        'service-region': (x) => x.detail.ServiceRegion!,
      },
    );
    const { page, NextToken } = paginate(
      rows.map((x) => x.detail),
      input,
    );
    return { ServiceNames: page.map((d) => d.ServiceName!), ServiceDetails: page, NextToken };
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
      (e) => mine.has(e.serviceId) && providerSees(e, ctx) && stateAt(e.timeline, ctx.now) !== 'deleted',
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
    // ClientToken: a repeated request with the same token returns the endpoint the first one made
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Run_Instance_Idempotency.html).
    const same = input.ClientToken
      ? Object.values(s.endpoints).find(
          (x) =>
            x.clientToken === input.ClientToken &&
            x.ownerId === ctx.caller.accountId &&
            stateAt(x.timeline, ctx.now) !== 'deleted',
        )
      : undefined;
    if (same) {
      if (same.vpcId !== vpc.id || same.serviceName !== serviceName) {
        throw err('IdempotentParameterMismatch', 'The client token has already been used with different parameters');
      }
      return { VpcEndpoint: endpointView(s, same, ctx.now), ClientToken: input.ClientToken };
    }
    const serviceRegion = requestedServiceRegion(ctx, input.ServiceRegion);
    const crossRegion = serviceRegion !== ctx.region;
    const { svc, awsDnsName } = serviceToConnect(ctx, serviceName, serviceRegion);
    const subnetIds = input.SubnetIds ?? [];
    const zones = new Set<string>();
    for (const id of subnetIds) {
      const subnet = owned(ctx, 'subnets', id, 'SubnetIds');
      if (subnet.vpcId !== vpc.id) throw errors.invalidParameter(`Subnet ${id} does not belong to VPC ${vpc.id}`);
      if (zones.has(subnet.availabilityZone)) {
        throw err('DuplicateSubnetsInSameZone', 'Found another VPC endpoint subnet in the availability zone');
      }
      zones.add(subnet.availabilityZone);
      const zoneId = azIdOf(subnet.region, subnet.availabilityZone);
      // AWS creates no cross-region endpoint in some zone ids (privatelink-share-your-services.html, "Cross-Region
      // access"). The code is the twin's choice.
      if (crossRegion && CROSS_REGION_EXCLUDED_AZ_IDS.includes(zoneId)) {
        throw err(
          'InvalidParameter',
          `Cross-Region endpoints are not supported in Availability Zone ${subnet.availabilityZone} (${zoneId}) of subnet ${id}`,
        );
      }
    }
    const { ipAddressType, dnsRecordIpType } = endpointIpTypes(
      input,
      svc ?? { serviceName, supportedIpAddressTypes: ['ipv4', 'ipv6'] },
      subnetIds.map((id) => s.subnets[id]!),
    );
    const groups = input.SecurityGroupIds ?? [];
    for (const id of groups) {
      const g = owned(ctx, 'securityGroups', id, 'SecurityGroupIds');
      if (g.vpcId !== vpc.id) throw errors.invalidParameter(`Security group ${id} does not belong to VPC ${vpc.id}`);
    }
    const policyDocument = checkPolicy(input.PolicyDocument);
    // PrivateDnsEnabled defaults to true for AWS services (API_CreateVpcEndpoint); the twin keeps false for endpoint
    // services, none of which it models with a private DNS name, and for cross-region endpoints (twin's choice: asked
    // for explicitly there).
    const privateDnsEnabled = input.PrivateDnsEnabled ?? (awsDnsName !== undefined && !crossRegion);
    if (privateDnsEnabled) checkPrivateDns(ctx, vpc.id, awsDnsName);
    const count = liveEndpointsOf(s, vpc.id, ctx.now).length;
    if (count >= quotas(ctx.twin).interfaceEndpointsPerVpc) {
      // Code: the twin's choice (AWS documents the quota, not the error).
      throw err(
        'VpcEndpointLimitExceeded',
        `The maximum number of interface endpoints (${quotas(ctx.twin).interfaceEndpointsPerVpc}) for VPC ${vpc.id} has been reached`,
      );
    }
    const e: VpcEndpoint = {
      id: ctx.twin.newId('vpce'),
      ownerId: ctx.caller.accountId,
      region: ctx.region,
      tags: creationTags(input.TagSpecifications, 'vpc-endpoint'),
      createdAt: ctx.now,
      visibleAt: ctx.now + ctx.twin.consistencyLagMs,
      vpcId: vpc.id,
      serviceId: svc?.id ?? serviceName,
      serviceName,
      subnetIds: [...subnetIds],
      securityGroupIds:
        groups.length > 0
          ? [...groups]
          : Object.values(s.securityGroups)
              .filter((g) => g.vpcId === vpc.id && g.isDefault)
              .map((g) => g.id),
      privateDnsEnabled,
      ...(awsDnsName ? { privateDnsName: awsDnsName } : {}),
      ...(policyDocument !== undefined ? { policyDocument } : {}),
      ...(input.ClientToken ? { clientToken: input.ClientToken } : {}),
      ...(crossRegion ? { serviceRegion } : {}),
      ipAddressType,
      dnsRecordIpType,
      timeline: [],
    };
    e.timeline.push(
      ...(svc?.acceptanceRequired && svc.ownerId !== ctx.caller.accountId
        ? [{ at: ctx.now, state: 'pendingAcceptance' }]
        : [
            { at: ctx.now, state: 'pending' },
            { at: ctx.now + s.settings.endpointPendingMs, state: 'available' },
          ]),
    );
    putResource(s, 'endpoints', e);
    emitCreationTags(ctx, e);
    return { VpcEndpoint: endpointView(s, e, ctx.now) };
  },

  /**
   * ModifyVpcEndpoint: private DNS on or off (the same checks as at creation) and the policy; the other fields are not
   * modeled (a loud error, never a silent success). The change applies at once on the twin clock.
   */
  ModifyVpcEndpoint(ctx, input: ModifyVpcEndpointRequest) {
    const e = owned(ctx, 'endpoints', input.VpcEndpointId, 'VpcEndpointId');
    const state = stateAt(e.timeline, ctx.now);
    if (['deleting', 'deleted'].includes(state)) throw notFound(e.id);
    refuseUnmodeled('ModifyVpcEndpoint', input, [
      'AddSubnetIds',
      'RemoveSubnetIds',
      'AddSecurityGroupIds',
      'RemoveSecurityGroupIds',
      'IpAddressType',
      'DnsOptions',
    ]);
    if (input.ResetPolicy && input.PolicyDocument !== undefined) {
      throw errors.invalidParameter('ResetPolicy and PolicyDocument cannot be combined');
    }
    const policyDocument = checkPolicy(input.PolicyDocument);
    if (input.PrivateDnsEnabled === true && !e.privateDnsEnabled) checkPrivateDns(ctx, e.vpcId, e.privateDnsName, e.id);
    if (input.PrivateDnsEnabled !== undefined) e.privateDnsEnabled = input.PrivateDnsEnabled;
    if (policyDocument !== undefined) e.policyDocument = policyDocument;
    if (input.ResetPolicy) delete e.policyDocument;
    return { Return: true };
  },

  /**
   * DeleteVpcEndpoints: each endpoint the caller owns goes `deleting` (its private DNS name stops answering at once:
   * the twin's reading), then `deleted` after `endpointDeletingMs`; ids that name nothing come back in
   * `Unsuccessful[]`, not as an error (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpcEndpoints.html).
   */
  DeleteVpcEndpoints(ctx, input: DeleteVpcEndpointsRequest) {
    const s = ec2State(ctx.twin);
    return perEndpoint(
      ctx,
      input.VpcEndpointIds,
      (e) => e.ownerId === ctx.caller.accountId && isVisible(e, ctx),
      (e, state) => {
        if (state !== 'deleting') {
          transition(e.timeline, ctx.now, [
            { at: ctx.now, state: 'deleting' },
            { at: ctx.now + s.settings.endpointDeletingMs, state: 'deleted' },
          ]);
        }
        return undefined;
      },
    );
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
    endpointServices: sortedById(Object.values(s.endpointServices)).map((x) => ({
      id: x.id,
      ownerId: x.ownerId,
      serviceName: x.serviceName,
      acceptanceRequired: x.acceptanceRequired,
      allowedPrincipals: x.allowedPrincipals.map((p) => p.principal).sort(),
      tags: x.tags,
    })),
    vpcEndpoints: presentById(Object.values(s.endpoints), (e) => stateAt(e.timeline, now)).map((e) => ({
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
  svc: Pick<EndpointService, 'serviceName' | 'supportedIpAddressTypes'>,
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
