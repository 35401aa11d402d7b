import {
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  type EC2Client,
  paginateDescribeRouteTables,
  paginateDescribeSubnets,
  paginateDescribeTransitGatewayVpcAttachments,
  type RouteTable,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { ListParentsCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetHostedZoneCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { foreignSupernet, perVpcRuleCidrs } from '#shared/aggregated-ingress';
import {
  associatedCidrsOf,
  cidrContains,
  cidrsOverlap,
  compareCidrs,
  destinationsFor,
  familyOf,
  isIpv6Cidr,
} from '#shared/cidr';
import {
  type Endpoint,
  type EndpointService,
  type HubConfig,
  placementOf,
  type Segment,
  servedRegions,
  tgwShareName,
} from '#shared/config';
import { containerCache } from '#shared/container-cache';
import { IgnoredEventError, isAwsError, RejectedError, VpcNotFoundError } from '#shared/errors';
import { bareZoneId, bareZoneName } from '#shared/hosted-zones';
import type {
  EndpointServicePlan,
  Plan,
  QuarantinedCidr,
  SecurityGroupRulePlan,
  SubnetPlan,
  ZonePlan,
} from '#shared/plan';
import { hubProfileId, profileAssociationName, profileAssociationsOfVpc } from '#shared/profiles';
import { getRecord, overlapRejection, overlapsInRegistry, type RegistryTable } from '#shared/registry';
import { ruleDescription } from '#shared/registry/model';
import { type ResolvedShard, shardUseOf, zonesOfEndpointAnywhere } from '#shared/shards';
import { routeConflictText, spokeRouteNeeds } from '#shared/spoke-routes';
import { parseRequestTags, quoteUntrusted, SUBNET_ATTACH_TAG, type Tags } from '#shared/tags';
import type { VpcRef } from '#shared/vpc-ref';
import type { Route53ProfilesClient } from '../../sdk/client-route53profiles';
import { checkAttachmentSlot } from './attachments';
import { checkBudgets } from './budgets';
import { selfServedServices } from './self-served';
import { assignShard, checkShardFits } from './shard';

/** Transit Gateway attachments per VPC (https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html). */
export const MAX_TGW_ATTACHMENTS_PER_VPC = 5;

/**
 * ValidateAndPlan: reads the VPC as it is now (never the event's tags: events arrive late, twice, out of order),
 * checks every policy and prerequisite, and returns the Plan. It makes no mutating call: a rejection means nothing
 * was changed. Rejection reasons (RejectedError.reason, also the first word of the message):
 * `malformed-tags`, `unknown-segment`, `account-not-allowed`, `unknown-service`, `service-not-allowed`,
 * `cidr-overlap`, `dns-attributes`, `duplicate-attach-subnet`, `no-subnet`, `ipv6-only-subnet`, `ipv6-subnet`,
 * `region-not-served`, `outside-supernets`, `route-conflict`, `attachment-limit`, `profile-conflict`,
 * `placement-not-allowed`, `local-service-not-requested`, `placement-dns-mode`, `budget-exceeded`
 * (budgets.ts), `capacity` (every endpoint shard of the segment is full: shard.ts; or the hub TGW has no attachment
 * left: attachments.ts).
 */

export interface ValidateDeps {
  config: HubConfig;
  /** Clients acting as the spoke execution role in the VPC's account and region. */
  spoke: () => Promise<{ ec2: EC2Client; route53: Route53Client }>;
  hub: { route53: Route53Client; organizations: OrganizationsClient };
  registry: RegistryTable;
  /** DNS mode `profile` only: Route 53 Profiles as the hub role and as the spoke (read) role. */
  profiles?: { hub: Route53ProfilesClient; spoke: () => Promise<Route53ProfilesClient> };
}

/** A RejectedError whose message starts with its reason, so the status detail carries it. */
export function reject(reason: string, text: string): RejectedError {
  return new RejectedError(`${reason}: ${text}`, reason);
}

/** Validates the VPC and plans its onboarding. Throws RejectedError, IgnoredEventError or VpcNotFoundError. */
export async function validateAndPlan(target: VpcRef, deps: ValidateDeps): Promise<Plan> {
  const { config } = deps;
  const { vpcId, accountId, region } = target;
  if (region !== config.hub.region) {
    // Each region's VPCs are onboarded by that region's hub (its TGW attaches VPCs of its own region only).
    throw reject(
      'region-not-served',
      servedRegions(config).includes(region)
        ? `${region} is served by its own regional hub, not by the ${config.hub.region} hub`
        : `${region} is not served by this hub (${servedRegions(config).join(', ')})`,
    );
  }
  const spoke = await deps.spoke();

  const vpc = await describeVpc(spoke.ec2, vpcId);
  const tags = tagMap(vpc.Tags);
  const request = parseRequestTags(tags);
  if (request.action === 'disconnect') throw new IgnoredEventError(`${vpcId} no longer asks to connect`);
  if (request.action === 'malformed') throw reject('malformed-tags', request.reason);

  const segmentName = request.segment ?? config.defaultSegment;
  const segment = config.segments[segmentName];
  if (!segment) {
    throw reject(
      'unknown-segment',
      `segment ${quoteUntrusted(segmentName)} is not one of ${Object.keys(config.segments).join(', ')}`,
    );
  }
  const services = selectServices(config, segmentName, request.services);
  const askedLocal = selectLocalServices(config, segmentName, services, request.localServices);
  const membership = await checkAccountAllowed(config, segmentName, segment, accountId, deps.hub.organizations);

  const checked = await checkCidrs(config, segmentName, vpcId, associatedCidrsOf(vpc), deps.registry);
  await checkDnsAttributes(spoke.ec2, vpcId);

  const subnets = await describeAll(spoke.ec2, vpcId, 'subnets');
  const selection = selectSubnets(vpcId, subnets, { preferIpv6: checked.cidrs.some(isIpv6Cidr) });
  const { cidrs, quarantine, ipv6Support } = await checkIpv6Carried(vpcId, checked, selection.subnets);
  const destinations = destinationsFor(
    config.destinations.map((d) => d.cidr),
    cidrs,
  );
  const routeTables = await describeAll(spoke.ec2, vpcId, 'routeTables');
  const routeTableIds = routeTablesOfSubnets(vpcId, subnets, routeTables);
  checkRouteConflicts(config, routeTableIds, routeTables);
  await checkAttachmentRoom(spoke.ec2, vpcId, config.hub.transitGatewayId);
  await checkAttachmentSlot(config, deps.registry, target);

  // Every selected endpoint's zones are planned to learn their names (the catalog's zones: a shard's zones carry the
  // same names); local and self-served ones are never associated.
  const catalogZones = (endpoint: string) => config.endpoints[endpoint]!.privateHostedZoneIds;
  const allZones = await planZones(endpointsOf(config, services), catalogZones, deps.hub.route53);
  // A service the VPC already serves itself (its own zone or endpoint of the name) is skipped, never a rejection of
  // the whole request: its name is answered in the VPC, so neither the hub's zone nor a spokelink endpoint could take it.
  const recorded = (await getRecord(deps.registry, vpcId))?.spokeEndpoints ?? [];
  const selfServed = await selfServedServices(
    spoke,
    target,
    config,
    allZones,
    new Set(recorded.flatMap((e) => (e.vpcEndpointId ? [e.vpcEndpointId] : []))),
    new Set(endpointsOf(config, services).flatMap((e) => zonesOfEndpointAnywhere(config, e).map(bareZoneId))),
  );
  const served = new Set(selfServed.map((s) => s.endpoint));
  const localServices = askedLocal.filter((name) => !served.has(name));
  const hubEndpoints = endpointsOf(config, services).filter((name) => !askedLocal.includes(name) && !served.has(name));

  // The endpoint shard (./shard.ts): every rule, zone and Profile below is the assigned shard's.
  const description = ruleDescription(vpcId, accountId);
  // A block inside one of the segment's aggregated ingress supernets is admitted by the hub stack's rule.
  const ruleCidrs = perVpcRuleCidrs(config, segmentName, cidrs);
  const rulesIn = (shard: ResolvedShard): SecurityGroupRulePlan[] =>
    hubEndpoints.flatMap((name) => {
      const endpoint = config.endpoints[name]!;
      const groupId = shard.endpoints[name]?.securityGroupId ?? endpoint.securityGroupId;
      return ruleCidrs.flatMap((cidr) =>
        endpoint.ports.map((port) => ({ endpoint: name, groupId, cidr, port, description })),
      );
    });
  const zonesIn = (shard: ResolvedShard) => (endpoint: string) =>
    shard.endpoints[endpoint]?.privateHostedZoneIds ?? catalogZones(endpoint);
  const assigned = await assignShard(config, deps.registry, {
    vpcId,
    segment: segmentName,
    useIn: (shard) =>
      shardUseOf({
        securityGroupRules: rulesIn(shard),
        zones: config.dns.mode === 'zones' ? hubEndpoints.flatMap(zonesIn(shard)).map((zoneId) => ({ zoneId })) : [],
        profile: config.dns.mode === 'profile' ? {} : undefined,
      }),
  });
  const { shard } = assigned;
  const zones =
    shard.name === undefined
      ? allZones.filter((z) => hubEndpoints.includes(z.endpoint))
      : await planZones(hubEndpoints, zonesIn(shard), deps.hub.route53);
  const { profile, existingProfile } =
    config.dns.mode === 'profile' ? await planProfile(config, vpcId, shard.profileName, deps) : {};

  const plan: Plan = {
    vpcId,
    accountId,
    region,
    externalAccount: !membership.inOrganization,
    segment: segmentName,
    ...(shard.name !== undefined ? { shard: shard.name } : {}),
    services,
    ...(localServices.length > 0 ? { localServices } : {}),
    ...(selfServed.length > 0 ? { selfServed } : {}),
    cidrs,
    ...(ipv6Support ? { ipv6Support } : {}),
    ...(quarantine.length > 0 ? { quarantine } : {}),
    transitGatewayId: config.hub.transitGatewayId,
    shareName: tgwShareName(config),
    attachmentName: `${config.prefix}-${vpcId}`,
    subnetSelection: selection.how,
    attachmentSubnets: selection.subnets,
    attachmentSubnetIds: selection.subnets.map((s) => s.subnetId),
    routeTableIds,
    destinations,
    associationRouteTableId: segment.associationRouteTableId,
    propagationRouteTableIds: [...segment.propagationRouteTableIds].sort(),
    zones: profile ? [] : zones,
    ...(profile ? { profile } : {}),
    ...(existingProfile ? { existingProfile } : {}),
    securityGroupRules: rulesIn(shard),
    endpointServices: endpointServicesOf(config, services),
    principal: `arn:aws:iam::${accountId}:root`,
  };
  // What the plan holds in its shard, once the VPC's own Profile is known (it then gets zones, not the Profile).
  checkShardFits(config, { vpcId, segment: segmentName, ...assigned, use: shardUseOf(plan) });
  await checkBudgets(config, plan, deps.registry);
  return plan;
}

function tagMap(tags: { Key?: string; Value?: string }[] | undefined): Tags {
  const out: Tags = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

async function describeVpc(ec2: EC2Client, vpcId: string): Promise<Vpc> {
  try {
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
    const vpc = Vpcs?.[0];
    if (vpc) return vpc;
  } catch (error) {
    if (!isAwsError(error, 'InvalidVpcID.NotFound')) throw error;
  }
  throw new VpcNotFoundError(`${vpcId} does not exist (deleted?)`);
}

/** The catalog: endpoints and endpoint services by name (the configuration keeps the names distinct). */
export function catalogOf(config: HubConfig): Map<string, Endpoint | EndpointService> {
  return new Map<string, Endpoint | EndpointService>([
    ...Object.entries(config.endpoints),
    ...Object.entries(config.endpointServices),
  ]);
}

/** The endpoint names among selected catalog names (the names with zones and security group rules). */
export function endpointsOf(config: HubConfig, services: string[]): string[] {
  return services.filter((name) => Object.hasOwn(config.endpoints, name));
}

/** The endpoint services among selected catalog names, as the plan carries them. */
export function endpointServicesOf(config: HubConfig, services: string[]): EndpointServicePlan[] {
  return services.flatMap((name) => {
    const service = Object.hasOwn(config.endpointServices, name) ? config.endpointServices[name] : undefined;
    return service ? [{ name, serviceId: service.serviceId, acceptConnections: service.acceptConnections }] : [];
  });
}

/**
 * Catalog names (endpoints and endpoint services) the request selects, sorted; `*` means every one the segment may
 * use. A name the segment may not use is refused (`service-not-allowed`), never silently dropped.
 */
export function selectServices(config: HubConfig, segment: string, requested: '*' | string[]): string[] {
  const catalog = catalogOf(config);
  const allowed = (entry: Endpoint | EndpointService) =>
    entry.segments === undefined || entry.segments.includes(segment);
  if (requested === '*') {
    return [...catalog]
      .filter(([, entry]) => allowed(entry))
      .map(([name]) => name)
      .sort();
  }
  for (const name of requested) {
    const endpoint = catalog.get(name);
    if (!endpoint) {
      throw reject(
        'unknown-service',
        `service ${quoteUntrusted(name)} is not in the catalog (${[...catalog.keys()].join(', ')})`,
      );
    }
    if (!allowed(endpoint)) {
      throw reject('service-not-allowed', `service ${name} is not available to segment ${segment}`);
    }
  }
  return [...requested].sort();
}

/**
 * The catalog endpoints among the selected services that the VPC's own interface endpoint serves (placement in the
 * spoke), sorted: those whose placement for the segment is `spoke`, and those `spokelink:local-services` names (`*`:
 * every selected one whose placement is `either`). A named service is refused, never silently served from the hub,
 * when it is not in the catalog (`unknown-service`), not among the VPC's services (`local-service-not-requested`),
 * or placed in the hub for this segment, or an endpoint service (`placement-not-allowed`). DNS mode `profile` cannot
 * serve a service locally (`placement-dns-mode`): the hub's Profile holds every catalog zone and AWS documents only
 * that a zone associated directly with the VPC wins over a Profile's
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/profiles.html), not where an endpoint's own private
 * DNS ranks against it.
 */
export function selectLocalServices(
  config: HubConfig,
  segment: string,
  services: string[],
  requested: '*' | string[],
): string[] {
  const endpoints = endpointsOf(config, services);
  const local = new Set(endpoints.filter((name) => placementOf(config.endpoints[name]!, segment) === 'spoke'));
  if (requested === '*') {
    for (const name of endpoints) if (placementOf(config.endpoints[name]!, segment) === 'either') local.add(name);
  } else {
    const catalog = catalogOf(config);
    for (const name of requested) {
      if (!catalog.has(name)) {
        throw reject(
          'unknown-service',
          `spokelink:local-services names ${quoteUntrusted(name)}, which is not in the catalog (${[...catalog.keys()].join(', ')})`,
        );
      }
      if (!Object.hasOwn(config.endpoints, name)) {
        throw reject(
          'placement-not-allowed',
          `${name} is an endpoint service of the hub: only catalog endpoints can be placed in the spoke`,
        );
      }
      if (!services.includes(name)) {
        throw reject(
          'local-service-not-requested',
          `spokelink:local-services names ${name}, which is not among the VPC's services (${services.join(', ')})`,
        );
      }
      const placement = placementOf(config.endpoints[name]!, segment);
      if (placement === 'hub') {
        throw reject(
          'placement-not-allowed',
          `${name} is served from the hub only for segment ${segment}: the catalog does not allow it in the spoke`,
        );
      }
      local.add(name);
    }
  }
  if (local.size > 0 && config.dns.mode === 'profile') {
    throw reject(
      'placement-dns-mode',
      `${[...local].sort().join(', ')} would be served by an endpoint in the VPC, which DNS mode profile cannot do: ` +
        "the hub's Profile holds every catalog zone, and AWS does not document how an endpoint's own private DNS " +
        'ranks against a Profile zone of the same name; use DNS mode zones for spoke placement',
    );
  }
  return [...local].sort();
}

/**
 * Whether the account may use the segment. `allowedAccounts: '*'` means every member of the organization and every
 * configured external account; a list names accounts; `allowedOrganizationalUnits` admits members whose OU (or any
 * ancestor OU) is listed. Organizations is asked (ListParents, up the tree: the hub is a delegated administrator)
 * only when the answer depends on it.
 */
async function checkAccountAllowed(
  config: HubConfig,
  segmentName: string,
  segment: Segment,
  accountId: string,
  organizations: OrganizationsClient,
): Promise<{ inOrganization: boolean }> {
  const external = config.organization.externalAccounts.includes(accountId);
  const listed = segment.allowedAccounts !== '*' && segment.allowedAccounts.includes(accountId);
  const denied = () => reject('account-not-allowed', `account ${accountId} may not use segment ${segmentName}`);

  if (external) {
    if (segment.allowedAccounts === '*' || listed) return { inOrganization: false };
    throw denied();
  }
  // Configuration names it: trusted without asking Organizations (an unlisted outside account never gets here).
  if (listed) return { inOrganization: true };
  if (segment.allowedAccounts !== '*' && segment.allowedOrganizationalUnits.length === 0) throw denied();

  // For `*` the first parent proves membership; for OUs, walk up until an allowed one (or the root).
  const ancestors = await ancestorsOf(
    organizations,
    accountId,
    (id) => segment.allowedAccounts === '*' || segment.allowedOrganizationalUnits.includes(id),
  );
  if (ancestors === undefined) {
    throw reject('account-not-allowed', `account ${accountId} is not a member of the organization`);
  }
  if (segment.allowedAccounts === '*') return { inOrganization: true };
  if (ancestors.some((id) => segment.allowedOrganizationalUnits.includes(id))) return { inOrganization: true };
  throw denied();
}

/**
 * OU ids then the root id above an account, nearest first, up to the first id `stop` accepts (Organizations calls are
 * few per second: walk no further than needed); undefined when the account is not a member of the organization.
 */
async function ancestorsOf(
  organizations: OrganizationsClient,
  accountId: string,
  stop: (id: string) => boolean,
): Promise<string[] | undefined> {
  const out: string[] = [];
  let child = accountId;
  // OUs nest at most five levels under the root.
  for (let depth = 0; depth < 7; depth++) {
    let parent: { Id?: string; Type?: string } | undefined;
    try {
      const { Parents } = await organizations.send(new ListParentsCommand({ ChildId: child }));
      parent = Parents?.[0];
    } catch (error) {
      if (depth === 0 && isAwsError(error, 'ChildNotFoundException')) return undefined;
      throw error;
    }
    if (!parent?.Id) break;
    out.push(parent.Id);
    if (parent.Type === 'ROOT' || stop(parent.Id)) break;
    child = parent.Id;
  }
  return out;
}

/**
 * The VPC's CIDRs against the hub destinations, the other segments' aggregated ingress supernets (a block in one would
 * be admitted on that segment's endpoints) and the other VPCs' claims. A VPC that is not a member yet is rejected
 * (`cidr-overlap`, nothing changed). A member (a record that is not disconnected: it holds claims, maybe routes and
 * rules) whose tenant added an overlapping block is not rejected, which would leave what it has: the offending blocks
 * are quarantined (never claimed, routed or admitted) and the rest stays connected.
 */
/** A member: a record that is not disconnected (it holds claims, maybe routes and rules). */
async function isMember(registry: RegistryTable, vpcId: string): Promise<boolean> {
  const record = await getRecord(registry, vpcId);
  return !!record && record.status !== 'disconnected';
}

interface CheckedCidrs {
  cidrs: string[];
  quarantine: QuarantinedCidr[];
  /** Read only when the answer matters (one registry read fewer for most validations). */
  isMember: () => Promise<boolean>;
}

async function checkCidrs(
  config: HubConfig,
  segment: string,
  vpcId: string,
  cidrs: string[],
  registry: RegistryTable,
): Promise<CheckedCidrs> {
  const offending: { cidr: string; overlaps: string; rejection: RejectedError }[] = [];
  const supernets = config.hub.supernets;
  for (const cidr of cidrs) {
    // A CIDR outside the region's supernets could collide with a claim another region makes on its own.
    const family = familyOf(cidr);
    const ofFamily = supernets.filter((s) => familyOf(s) === family);
    if (
      (family === 'ipv4' ? supernets.length > 0 : ofFamily.length > 0) &&
      !ofFamily.some((s) => cidrContains(s, cidr))
    ) {
      const overlaps = `none of the ${config.hub.region} supernets (${ofFamily.join(', ') || 'no IPv4 one'})`;
      offending.push({
        cidr,
        overlaps,
        rejection: reject(
          'outside-supernets',
          `${vpcId} CIDR ${cidr} is in ${overlaps}: spokes of ${config.hub.region} are allocated from them`,
        ),
      });
      continue;
    }
    const destination = config.destinations.find((d) => cidrsOverlap(cidr, d.cidr));
    if (!destination) {
      const supernet = foreignSupernet(config, segment, cidr);
      if (!supernet) continue;
      const overlaps = `the aggregated ingress ${supernet.cidr} of segment ${supernet.segment}`;
      offending.push({
        cidr,
        overlaps,
        rejection: reject(
          'cidr-overlap',
          `${vpcId} CIDR ${cidr} overlaps ${overlaps}: that segment's endpoints admit it, so segment ${segment} ` +
            'may not have it',
        ),
      });
      continue;
    }
    const overlaps = `the hub destination ${destination.cidr}`;
    offending.push({
      cidr,
      overlaps,
      rejection: reject(
        'cidr-overlap',
        `${vpcId} CIDR ${cidr} overlaps ${overlaps}` + (destination.description ? ` (${destination.description})` : ''),
      ),
    });
  }
  // A first look (AcquireLease re-checks race-free when it claims the CIDRs).
  for (const overlap of await overlapsInRegistry(registry, vpcId, cidrs)) {
    if (offending.some((o) => o.cidr === overlap.cidr)) continue;
    offending.push({
      cidr: overlap.cidr,
      overlaps: `${overlap.otherCidr} of ${overlap.otherVpcId} (account ${overlap.otherAccountId})`,
      rejection: overlapRejection(vpcId, overlap),
    });
  }
  if (offending.length === 0) return { cidrs, quarantine: [], isMember: () => isMember(registry, vpcId) };
  if (!(await isMember(registry, vpcId))) throw offending[0]!.rejection;
  const bad = new Set(offending.map((o) => o.cidr));
  return {
    isMember: async () => true,
    cidrs: cidrs.filter((c) => !bad.has(c)),
    quarantine: offending
      .map(({ cidr, overlaps }) => ({ cidr, overlaps }))
      .sort((a, b) => compareCidrs(a.cidr, b.cidr)),
  };
}

/**
 * IPv6 blocks travel only through an attachment with IPv6 support, whose interface takes an IPv6 address in each of
 * its subnets (API_CreateTransitGatewayVpcAttachmentRequestOptions,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTransitGatewayVpcAttachmentRequestOptions.html).
 * When an attachment subnet has no IPv6 CIDR, the VPC's IPv6 blocks cannot be carried: a first request is rejected
 * (`ipv6-subnet`, nothing changed); a member's IPv6 blocks are quarantined (never claimed, routed or admitted) and
 * its IPv4 stays connected.
 */
async function checkIpv6Carried(
  vpcId: string,
  checked: CheckedCidrs,
  attachmentSubnets: SubnetPlan[],
): Promise<{ cidrs: string[]; quarantine: QuarantinedCidr[]; ipv6Support: boolean }> {
  const ipv6 = checked.cidrs.filter(isIpv6Cidr);
  const kept = { cidrs: checked.cidrs, quarantine: checked.quarantine };
  if (ipv6.length === 0) return { ...kept, ipv6Support: false };
  const without = attachmentSubnets.filter((s) => !s.ipv6Cidr).map((s) => `${s.subnetId} (${s.availabilityZone})`);
  if (without.length === 0) return { ...kept, ipv6Support: true };
  const why = `attachment subnet ${without.join(', ')} has no IPv6 CIDR, so the attachment cannot carry IPv6 (add one with AssociateSubnetCidrBlock)`;
  if (!(await checked.isMember()))
    throw reject('ipv6-subnet', `${vpcId} has IPv6 blocks (${ipv6.join(', ')}) but ${why}`);
  return {
    cidrs: checked.cidrs.filter((c) => !isIpv6Cidr(c)),
    quarantine: [
      ...checked.quarantine,
      ...ipv6.map((cidr) => ({ cidr, overlaps: 'nothing', reason: `is not carried: ${why}` })),
    ].sort((a, b) => compareCidrs(a.cidr, b.cidr)),
    ipv6Support: false,
  };
}

async function checkDnsAttributes(ec2: EC2Client, vpcId: string) {
  const [support, hostnames] = await Promise.all([
    ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsSupport' })),
    ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' })),
  ]);
  const off = [
    support.EnableDnsSupport?.Value === true ? undefined : 'enableDnsSupport',
    hostnames.EnableDnsHostnames?.Value === true ? undefined : 'enableDnsHostnames',
  ].filter((name): name is string => name !== undefined);
  if (off.length > 0) {
    throw reject(
      'dns-attributes',
      `${vpcId} has ${off.join(' and ')} off: private hosted zones need both on (ModifyVpcAttribute)`,
    );
  }
}

function describeAll(ec2: EC2Client, vpcId: string, kind: 'subnets'): Promise<Subnet[]>;
function describeAll(ec2: EC2Client, vpcId: string, kind: 'routeTables'): Promise<RouteTable[]>;
async function describeAll(ec2: EC2Client, vpcId: string, kind: 'subnets' | 'routeTables'): Promise<unknown[]> {
  const out: unknown[] = [];
  const Filters = [{ Name: 'vpc-id', Values: [vpcId] }];
  if (kind === 'subnets') {
    for await (const page of paginateDescribeSubnets({ client: ec2 }, { Filters })) out.push(...(page.Subnets ?? []));
  } else {
    for await (const page of paginateDescribeRouteTables({ client: ec2 }, { Filters })) {
      out.push(...(page.RouteTables ?? []));
    }
  }
  return out;
}

/** The subnet's associated IPv6 CIDR, if any. */
function ipv6CidrOf(subnet: Subnet): string | undefined {
  return (subnet.Ipv6CidrBlockAssociationSet ?? []).find(
    (a) => a.Ipv6CidrBlock && ['associated', 'associating'].includes(a.Ipv6CidrBlockState?.State ?? ''),
  )?.Ipv6CidrBlock;
}

const isTaggedForAttachment = (s: Subnet) => (tagMap(s.Tags)[SUBNET_ATTACH_TAG] ?? '').trim().toLowerCase() === 'true';

/**
 * The attachment subnets: those tagged `spokelink:attach=true` (at most one per AZ), else one per AZ chosen
 * deterministically: with `preferIpv6` (the VPC has IPv6 blocks) a subnet with an IPv6 CIDR first, then the subnet
 * with the lowest IPv4 CIDR (network address, then the larger block), ties broken by subnet id. Sorted by AZ.
 * Subnets without an IPv4 CIDR (IPv6-only) are never chosen: a TGW attachment needs IPv4 in its subnets
 * (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html); a tagged one, or a VPC whose only subnets are
 * IPv6-only, is rejected (`ipv6-only-subnet`).
 */
export function selectSubnets(
  vpcId: string,
  subnets: Subnet[],
  options: { preferIpv6?: boolean } = {},
): { how: Plan['subnetSelection']; subnets: SubnetPlan[] } {
  const ipv6Only = subnets.filter((s) => s.SubnetId && !s.CidrBlock);
  const taggedIpv6Only = ipv6Only.filter(isTaggedForAttachment);
  if (taggedIpv6Only.length > 0) {
    throw reject(
      'ipv6-only-subnet',
      `${taggedIpv6Only.map((s) => s.SubnetId).join(', ')} tagged ${SUBNET_ATTACH_TAG}=true ` +
        'is IPv6-only: a Transit Gateway attachment needs IPv4 in its subnets',
    );
  }
  const usable = subnets
    .filter((s) => s.SubnetId && s.AvailabilityZone && s.CidrBlock)
    .map((s) => ({
      subnetId: s.SubnetId!,
      availabilityZone: s.AvailabilityZone!,
      cidr: s.CidrBlock!,
      ...(ipv6CidrOf(s) ? { ipv6Cidr: ipv6CidrOf(s) } : {}),
      tagged: isTaggedForAttachment(s),
    }));
  const byAz = (a: SubnetPlan, b: SubnetPlan) => a.availabilityZone.localeCompare(b.availabilityZone);
  const plain = ({ subnetId, availabilityZone, cidr, ipv6Cidr }: SubnetPlan) => ({
    subnetId,
    availabilityZone,
    cidr,
    ...(ipv6Cidr ? { ipv6Cidr } : {}),
  });
  if (usable.length === 0 && ipv6Only.length > 0) {
    throw reject(
      'ipv6-only-subnet',
      `${vpcId} has only IPv6-only subnets (${ipv6Only.map((s) => s.SubnetId).join(', ')}): ` +
        'a Transit Gateway attachment needs IPv4 in its subnets',
    );
  }

  const tagged = usable.filter((s) => s.tagged);
  if (tagged.length > 0) {
    const seen = new Map<string, string>();
    for (const s of tagged) {
      const other = seen.get(s.availabilityZone);
      if (other) {
        throw reject(
          'duplicate-attach-subnet',
          `${other} and ${s.subnetId} are both tagged ${SUBNET_ATTACH_TAG}=true in ${s.availabilityZone}: ` +
            'a Transit Gateway attachment uses one subnet per Availability Zone',
        );
      }
      seen.set(s.availabilityZone, s.subnetId);
    }
    return { how: 'tagged', subnets: tagged.map(plain).sort(byAz) };
  }

  const chosen = new Map<string, SubnetPlan>();
  for (const s of usable) {
    const current = chosen.get(s.availabilityZone);
    const ipv6Rank = (x: SubnetPlan) => (options.preferIpv6 && x.ipv6Cidr ? 0 : 1);
    if (
      !current ||
      ipv6Rank(s) < ipv6Rank(current) ||
      (ipv6Rank(s) === ipv6Rank(current) && compareCidrs(s.cidr, current.cidr) < 0) ||
      (ipv6Rank(s) === ipv6Rank(current) && compareCidrs(s.cidr, current.cidr) === 0 && s.subnetId < current.subnetId)
    ) {
      chosen.set(s.availabilityZone, plain(s));
    }
  }
  if (chosen.size === 0) throw reject('no-subnet', `${vpcId} has no subnet with an IPv4 CIDR to attach`);
  return { how: 'one-per-az', subnets: [...chosen.values()].sort(byAz) };
}

/** Route tables of every subnet of the VPC (its explicit association, else the main table), sorted. */
export function routeTablesOfSubnets(vpcId: string, subnets: Subnet[], routeTables: RouteTable[]): string[] {
  let main: string | undefined;
  const explicit = new Map<string, string>();
  for (const table of routeTables) {
    for (const association of table.Associations ?? []) {
      if (association.Main && table.RouteTableId) main = table.RouteTableId;
      if (association.SubnetId && table.RouteTableId) explicit.set(association.SubnetId, table.RouteTableId);
    }
  }
  const ids = new Set<string>();
  for (const subnet of subnets) {
    const id = (subnet.SubnetId && explicit.get(subnet.SubnetId)) ?? main;
    if (!id) throw new Error(`${vpcId}: subnet ${subnet.SubnetId} has no route table and the VPC no main table`);
    ids.add(id);
  }
  return [...ids].sort();
}

/**
 * A route in one of the VPC's route tables to a hub destination through anything but the hub's TGW: CreateSpokeRoutes
 * would refuse it (spokelink never overwrites a route), so the request is refused before anything is built.
 */
function checkRouteConflicts(config: HubConfig, routeTableIds: string[], routeTables: RouteTable[]) {
  const tables = new Map(routeTables.map((t) => [t.RouteTableId ?? '', t.Routes ?? []]));
  const destinations = config.destinations.map((d) => d.cidr);
  const { conflicts } = spokeRouteNeeds(routeTableIds, destinations, config.hub.transitGatewayId, tables);
  if (conflicts.length > 0) {
    throw reject('route-conflict', routeConflictText(config.hub.transitGatewayId, conflicts));
  }
}

/**
 * A VPC with as many non-deleted TGW attachments as AWS allows per VPC, none of them to the hub's TGW, could not be
 * attached (https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html): refused before anything is built.
 */
async function checkAttachmentRoom(ec2: EC2Client, vpcId: string, transitGatewayId: string) {
  const attachments: { id: string; transitGatewayId: string }[] = [];
  const pages = paginateDescribeTransitGatewayVpcAttachments(
    { client: ec2 },
    { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] },
  );
  for await (const page of pages) {
    for (const a of page.TransitGatewayVpcAttachments ?? []) {
      if (a.VpcId !== vpcId || a.State === 'deleted') continue;
      attachments.push({ id: a.TransitGatewayAttachmentId ?? '?', transitGatewayId: a.TransitGatewayId ?? '?' });
    }
  }
  if (attachments.some((a) => a.transitGatewayId === transitGatewayId)) return; // reused, no new attachment
  if (attachments.length >= MAX_TGW_ATTACHMENTS_PER_VPC) {
    throw reject(
      'attachment-limit',
      `${vpcId} already has ${attachments.length} Transit Gateway attachments, the most AWS allows per VPC: ` +
        `delete one to attach it to ${transitGatewayId} (${attachments.map((a) => a.id).join(', ')})`,
    );
  }
}

/**
 * Profile mode: the hub's Profile, and the VPC's Profile associations as its owner sees them. "A VPC can have only one
 * Profile associated with it" (https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53profiles_AssociateProfile.html);
 * newer pages describe several Profiles per VPC with priorities, which this hub does not rely on. A VPC that has
 * another Profile (its account's own, or one shared with it) is refused (`profile-conflict`), or, with
 * `dns.existingProfile: "associate-zones"`, planned with the catalog's zones associated directly: "the locally
 * associated zone takes precedence" over a Profile's zone of the same name
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/profiles.html). Adding the catalog to that Profile
 * instead is not done: only a Profile's owner (or an account it shares the Profile with, with permission to modify it)
 * can AssociateResourceToProfile (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/sharing-profiles.html),
 * and the catalog's zones would then be in a Profile the tenant controls, which it can associate with any VPC or
 * share with any account, and take out again at any moment.
 */
async function planProfile(
  config: HubConfig,
  vpcId: string,
  /** The Profile of the VPC's shard (the hub's, for a segment without shards). */
  profileName: string,
  deps: ValidateDeps,
): Promise<Pick<Plan, 'profile' | 'existingProfile'>> {
  if (!deps.profiles) throw new Error('validate: profile mode needs Route 53 Profiles clients');
  const profileId = await hubProfileId(config, deps.profiles.hub, profileName);
  const other = (await profileAssociationsOfVpc(await deps.profiles.spoke(), vpcId)).find(
    (a) => a.ProfileId !== profileId,
  );
  if (other?.ProfileId && config.dns.existingProfile === 'associate-zones') {
    return { existingProfile: { profileId: other.ProfileId } };
  }
  if (other) {
    throw reject(
      'profile-conflict',
      `${vpcId} is already associated with Route 53 Profile ${other.ProfileId} (${other.Status}): AWS allows one ` +
        `Profile per VPC, so the hub's Profile ${profileId} cannot be associated; disassociate it, or ask the hub ` +
        'to serve such VPCs with direct zone associations (dns.existingProfile "associate-zones")',
    );
  }
  return { profile: { profileId, associationName: profileAssociationName(config, vpcId) } };
}

/** Zone names never change: cached per container to spare Route 53's account-wide 5 requests/s. */
const zoneNames = containerCache<string, string>();

async function planZones(
  services: string[],
  /** The zones of an endpoint in the VPC's shard. */
  zonesOf: (endpoint: string) => string[],
  route53: Route53Client,
): Promise<ZonePlan[]> {
  const zones: ZonePlan[] = [];
  for (const endpoint of services) {
    for (const zoneId of zonesOf(endpoint)) {
      let zoneName = zoneNames.get(zoneId);
      if (zoneName === undefined) {
        const { HostedZone } = await route53.send(new GetHostedZoneCommand({ Id: zoneId }));
        zoneName = bareZoneName(HostedZone?.Name ?? '');
        zoneNames.set(zoneId, zoneName);
      }
      zones.push({ endpoint, zoneId: bareZoneId(zoneId), zoneName });
    }
  }
  return zones;
}

/** Forgets cached zone names (tests). */
export function resetZoneNameCache(): void {
  zoneNames.clear();
}
