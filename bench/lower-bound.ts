import { coveringSupernet } from '#shared/aggregated-ingress';
import { type HubConfig, organizationShareOf } from '#shared/config';
import type { BucketSpec } from '#twin/throttle';
import type { BulkWorld, SpokeVpc } from './worlds';

/**
 * The lower bound of a bulk onboarding's makespan implied by AWS's rate limits and the attachment latencies: no
 * implementation, however clever, can connect every VPC sooner. It counts only the calls the workload strictly needs
 * (not the calls spokelink happens to make), so it is a bound on the problem, not on the code.
 *
 * For each token bucket b (per account): `e_b + max(0, N_b - burst_b) / refill_b`, where N_b is the number of calls
 * the workload needs in that bucket and e_b the earliest moment the first of them can be made (a bucket holds at most
 * `burst` tokens, so capacity saved before e_b is capped). For each private hosted zone z (Route 53 processes one VPC
 * association change per zone at a time: `PriorRequestNotComplete` until the previous one is INSYNC):
 * `e_z + (N_z - 1) * changeTime`. For the attachments: the first attachment can be created only once the TGW is
 * visible to the spoke (at once through the organization share the hub stack deploys; `ramShareVisibility` after the
 * first tag for an account outside the organization), and some attachment takes the longest drawn pending time:
 * `firstTag + visibility + max(pending)`. The bound is the largest of these terms.
 *
 * The calls counted in the hub's buckets are its mutating calls and, in its non-mutating bucket, the one read per VPC
 * that confirms the association before `connected` (see `hub ec2:describe` below for why it is a need of the problem).
 */

export interface BoundTerm {
  /** `hub ec2:mutating`, `zone Z0SSM...`, `attachment latency`, ... */
  name: string;
  /** Calls (or changes) the workload needs there. */
  calls?: number;
  burst?: number;
  refillPerSecond?: number;
  /** Earliest possible first call, s after the start. */
  earliestSeconds: number;
  /** The term's bound, s after the start. */
  seconds: number;
  /** What the calls are. */
  what: string;
}

export interface LowerBound {
  seconds: number;
  /** The term that sets the bound. */
  binding: string;
  /** The bound from the token buckets and the attachment latency alone (without the zones' serialization). */
  bucketsAndLatencySeconds: number;
  terms: BoundTerm[];
  formula: string;
}

export const LOWER_BOUND_FORMULA =
  'max( max over buckets b [ e_b + max(0, N_b - burst_b) / refill_b ], ' +
  'max over zones z [ e_z + (N_z - 1) * route53ChangeTime ], ' +
  'firstTag + TGW visibility (0 through the organization share) + max attachment pending )';

interface Need {
  endpoints: { name: string; zones: string[]; groupId: string; ports: number[] }[];
  /** Ids of the endpoint services the spoke asked for: its account's principal is added to each. */
  endpointServices: string[];
}

/** What a spoke consumes (services `*`: every endpoint and endpoint service its segment may use). */
function needsOf(config: HubConfig, spoke: SpokeVpc): Need {
  const requested = spoke.tags['spokelink:services'];
  const allowed = (entry: { segments?: string[] }) => !entry.segments || entry.segments.includes(spoke.segment);
  const pick = <T extends { segments?: string[] }>(catalog: Record<string, T>): [string, T][] =>
    requested && requested !== '*'
      ? requested
          .split(',')
          .map((s) => s.trim())
          .flatMap((name) => (Object.hasOwn(catalog, name) ? [[name, catalog[name]!] as [string, T]] : []))
      : Object.entries(catalog).filter(([, entry]) => allowed(entry));
  return {
    endpoints: pick(config.endpoints).map(([name, e]) => ({
      name,
      zones: e.privateHostedZoneIds,
      groupId: e.securityGroupId,
      ports: e.ports,
    })),
    endpointServices: pick(config.endpointServices).map(([, s]) => s.serviceId),
  };
}

export interface BoundInputs {
  /** Attachment pending range (ms). */
  attachmentPendingMs: [number, number];
  /** The pending times actually drawn in the run (ms), if known: the largest one is used. */
  pendingDrawsMs?: number[];
  /** The last tag's time (ms after the start); the first is taken as 0. */
  lastTagMs: number;
  ramShareVisibilityMs: number;
  route53ChangeMs: number;
  /** DNS mode profile: a Profile association's CREATING -> COMPLETE time (twin timing). */
  profileAssociationMs?: number;
  /** A TGW route table association's `associating` -> `associated` time (twin timing; 0 when not given). */
  associationMs?: number;
  buckets: Record<string, BucketSpec>;
}

/** Computes the lower bound for a generated world; see the module comment for the formula. */
export function lowerBound(bulk: BulkWorld, inputs: BoundInputs): LowerBound {
  const { config, spokes } = bulk;
  const n = spokes.length;
  // DNS mode profile: no zone is associated with a VPC (no authorizations, no per-zone serialization); each VPC's
  // account makes one AssociateProfile, which takes profileAssociationMs to be COMPLETE.
  const profile = config.dns.mode === 'profile';
  const needs = spokes.map((s) => {
    const need = needsOf(config, s);
    return profile ? { ...need, endpoints: need.endpoints.map((e) => ({ ...e, zones: [] })) } : need;
  });
  // The TGW is visible to a spoke account from the start when the hub stack shared it with the organization and the
  // account is a member; an account outside it waits for its own share (invitation, then RAM's visibility delay).
  const external = new Set(config.organization.externalAccounts);
  const sharedWithOrganization = organizationShareOf(config) !== undefined;
  const ram =
    sharedWithOrganization && spokes.every((s) => !external.has(s.accountId)) ? 0 : inputs.ramShareVisibilityMs / 1000;
  const terms: BoundTerm[] = [];
  const bucket = (
    name: string,
    spec: string,
    calls: number,
    earliestSeconds: number,
    what: string,
  ): BoundTerm | undefined => {
    const b = inputs.buckets[spec];
    if (!b || calls === 0) return undefined;
    const seconds = earliestSeconds + Math.max(0, calls - b.burst) / b.refillPerSecond;
    return { name, calls, burst: b.burst, refillPerSecond: b.refillPerSecond, earliestSeconds, seconds, what };
  };
  const push = (t: BoundTerm | undefined) => {
    if (t) terms.push(t);
  };

  // Hub EC2 mutating: accept, associate, one static return route per segment table (per VPC: each bench VPC has one
  // CIDR); endpoint service principal (per account and service it asks for). The first of them (an accept) needs an
  // attachment, hence the share visible to a spoke.
  const propagations = spokes.reduce((sum, s) => sum + config.segments[s.segment]!.propagationRouteTableIds.length, 0);
  const principals = new Set(spokes.flatMap((s, i) => needs[i]!.endpointServices.map((id) => `${s.accountId} ${id}`)))
    .size;
  push(
    bucket(
      'hub ec2:mutating',
      'ec2:mutating',
      2 * n + propagations + principals,
      ram,
      `${n} AcceptTransitGatewayVpcAttachment + ${n} AssociateTransitGatewayRouteTable + ${propagations} ` +
        `CreateTransitGatewayRoute + ${principals} ModifyVpcEndpointServicePermissions`,
    ),
  );
  // Hub EC2 reads (the non-mutating bucket): one per VPC. `connected` may be written only once the VPC's attachment is
  // associated with its segment's route table, and that happens after AssociateTransitGatewayRouteTable returns: its
  // answer says `associating` (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateTransitGatewayRouteTable.html),
  // and nothing tells the caller when it becomes `associated` but a read of the association, which belongs to the
  // hub's route table (DescribeTransitGatewayAttachments or GetTransitGatewayRouteTableAssociations as the TGW owner).
  // Each VPC's read must come after its own association and be made under its own lease (every reachability decision
  // rests on state read under the VPC's lease: the tenant can act at any moment), so no read serves two VPCs. Not
  // counted, because a correct implementation can do without them: the routes' state (CreateTransitGatewayRoute
  // answers it, `active`, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTransitGatewayRoute.html),
  // reads before a call (the "create first, read on conflict" pattern needs none), and a second read of the same
  // association (one made after the association time has passed sees it `associated`). The first such read can come
  // no sooner than the shortest attachment pending time and the association time after the TGW is visible.
  const minPending = Math.min(inputs.attachmentPendingMs[0], ...(inputs.pendingDrawsMs ?? []));
  const associationSeconds = (inputs.associationMs ?? 0) / 1000;
  push(
    bucket(
      'hub ec2:describe',
      'ec2:describe',
      n,
      ram + minPending / 1000 + associationSeconds,
      `${n} reads of the attachment's association (one per VPC, after it is associated)`,
    ),
  );
  // Hub security group ingress: one call per VPC and security group (a call carries all CIDRs and ports); none for a
  // VPC whose block a supernet of its segment admits already (aggregated ingress).
  const sgCalls = needs.reduce(
    (sum, need, i) =>
      coveringSupernet(config, spokes[i]!.segment, spokes[i]!.cidr) === undefined
        ? sum + new Set(need.endpoints.map((e) => e.groupId)).size
        : sum,
    0,
  );
  push(
    bucket(
      'hub ec2:AuthorizeSecurityGroupIngress',
      'ec2:AuthorizeSecurityGroupIngress',
      sgCalls,
      0,
      `${sgCalls} AuthorizeSecurityGroupIngress (one per VPC and endpoint security group)`,
    ),
  );
  // Hub Route 53 (account-wide bucket): authorize and delete the authorization, per VPC and zone.
  const zoneAssociations = needs.reduce((sum, need) => sum + need.endpoints.reduce((s, e) => s + e.zones.length, 0), 0);
  push(
    bucket(
      'hub route53:account',
      'route53:account',
      2 * zoneAssociations,
      0,
      `${zoneAssociations} CreateVPCAssociationAuthorization + ${zoneAssociations} DeleteVPCAssociationAuthorization`,
    ),
  );
  // Spoke buckets, per account: the busiest account.
  const perAccount = new Map<
    string,
    { associate: number; route53: number; mutating: number; describe: number; profiles: number }
  >();
  spokes.forEach((s, i) => {
    const a = perAccount.get(s.accountId) ?? { associate: 0, route53: 0, mutating: 0, describe: 0, profiles: 0 };
    if (profile) a.profiles += 1; // AssociateProfile
    const zones = needs[i]!.endpoints.reduce((sum, e) => sum + e.zones.length, 0);
    a.associate += zones;
    a.route53 += zones + 1; // + ListHostedZonesByVPC (zone conflicts and idempotency)
    a.mutating += 1 + 1; // CreateTransitGatewayVpcAttachment + CreateRoute (one table, one destination here)
    perAccount.set(s.accountId, a);
  });
  const busiest = (key: 'associate' | 'route53' | 'mutating' | 'profiles') =>
    Math.max(0, ...[...perAccount.values()].map((a) => a[key]));
  push(
    bucket(
      'spoke route53:AssociateVPCWithHostedZone',
      'route53:AssociateVPCWithHostedZone',
      busiest('associate'),
      0,
      'AssociateVPCWithHostedZone of the busiest spoke account',
    ),
  );
  push(
    bucket('spoke route53:account', 'route53:account', busiest('route53'), 0, 'Route 53 calls of the busiest spoke'),
  );
  push(bucket('spoke ec2:mutating', 'ec2:mutating', busiest('mutating'), ram, 'attachments and routes, busiest spoke'));
  push(
    bucket(
      'spoke route53profiles:account',
      'route53profiles:account',
      busiest('profiles'),
      0,
      'AssociateProfile of the busiest spoke account',
    ),
  );
  if (profile) {
    // The last VPC tagged cannot have its Profile association COMPLETE sooner than the association time after it.
    const ms = inputs.profileAssociationMs ?? 0;
    terms.push({
      name: 'profile association latency',
      earliestSeconds: inputs.lastTagMs / 1000,
      seconds: (inputs.lastTagMs + ms) / 1000,
      what: `last tag (${(inputs.lastTagMs / 1000).toFixed(1)} s) + CREATING -> COMPLETE (${ms / 1000} s)`,
    });
  }

  // Route 53 zones: one association change in flight per zone.
  const perZone = new Map<string, number>();
  for (const need of needs)
    for (const e of need.endpoints) for (const z of e.zones) perZone.set(z, (perZone.get(z) ?? 0) + 1);
  for (const [zoneId, count] of [...perZone].sort()) {
    terms.push({
      name: `zone ${zoneId}`,
      calls: count,
      earliestSeconds: 0,
      seconds: ((count - 1) * inputs.route53ChangeMs) / 1000,
      what: `${count} AssociateVPCWithHostedZone, one at a time (${inputs.route53ChangeMs / 1000} s each until INSYNC)`,
    });
  }

  // Attachment latency: share visibility, then the longest pending time drawn.
  const maxPending = Math.max(inputs.attachmentPendingMs[0], ...(inputs.pendingDrawsMs ?? []));
  terms.push({
    name: 'attachment latency',
    earliestSeconds: ram,
    seconds: ram + maxPending / 1000,
    what: `first tag + TGW visible to the spoke (${ram} s) + the longest attachment pending time (${(maxPending / 1000).toFixed(1)} s)`,
  });

  const top = terms.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  const withoutZones = terms.filter((t) => !t.name.startsWith('zone '));
  return {
    seconds: round(top.seconds),
    binding: top.name,
    bucketsAndLatencySeconds: round(Math.max(...withoutZones.map((t) => t.seconds))),
    terms: terms.map((t) => ({ ...t, seconds: round(t.seconds) })),
    formula: LOWER_BOUND_FORMULA,
  };
}

const round = (x: number) => Math.round(x * 10) / 10;
