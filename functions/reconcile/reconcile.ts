import { createHash } from 'node:crypto';
import type { EC2Client, Route, SecurityGroupRule, Vpc } from '@aws-sdk/client-ec2';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { perVpcRuleCidrs } from '#shared/aggregated-ingress';
import { associatedCidrsOf, destinationsFor, routeDestinationOf } from '#shared/cidr';
import type { HubConfig } from '#shared/config';
import { isAwsError, RejectedError, SpokeAccessError } from '#shared/errors';
import { TAG_CHANGE_DETAIL_TYPE, TAG_CHANGE_SOURCE } from '#shared/events';
import { type HeadroomFigure, headroomOf, usageFromRecords } from '#shared/headroom';
import { logger } from '#shared/logger';
import { directZonesFor, profileAssociationsOfVpc } from '#shared/profiles';
import type { RegistryTable } from '#shared/registry';
import type { ConsumerRecord } from '#shared/registry/model';
import { endpointResourcesOf, shardNamed, shardResources } from '#shared/shards';
import { routesOf } from '#shared/spoke-routes';
import { PAUSED_DETAIL, parseRequestTags, RequestTag, StatusTag, statusDetail, type Tags } from '#shared/tags';
import type { VpcRef } from '#shared/vpc-ref';
import { GetProfileAssociationCommand, type Route53ProfilesClient } from '../../sdk/client-route53profiles';
import { type PeeringStatus, reconcilePeerings } from '../transit-gateway/peering';
import { endpointsOf, selectLocalServices, selectServices } from '../validate/validate';
import { accountsUnder, associations, endpointRules, scanRegistry, spokeVpcs } from './inventory';
import { ROLLOUT_REASONS, type RolloutState, rolloutOf, saveRollout, stepRollout } from './rollout';

/**
 * The reconcile: tag events are delivered best effort, and the hub configuration changes under connected VPCs, so the
 * desired state (the VPCs' request tags, the configuration) is compared with the actual one (the registry, what exists
 * in AWS) and the missing work is handed to the very workflows the events would have started:
 * - a VPC that asks to connect and is not a member: onboarding (`missing-onboarding`);
 * - a member that no longer asks, or whose VPC was deleted: offboarding (`missing-offboarding`, `vpc-deleted`);
 * - a member whose desired state moved: onboarding, which converges by difference (`segment-changed`,
 *   `services-changed`, `destinations-changed`, `endpoints-changed`, `cidrs-changed`, `association-drift`,
 *   `route-missing`, `rule-missing`, `dns-mode-changed`, `profile-association-missing`, `schema-upgrade`: migrated
 *   from an older registry schema), or whose work was interrupted or failed (`interrupted`, `failed`), or whose
 *   status tag is stale (`status-stale`).
 * Drift it must not fix (a route someone pointed elsewhere, a rule whose description someone changed: no longer
 * spokelink's) is reported, in its output and in the VPC's status detail. VPCs with a live lease (work in progress) or
 * a pending approval are left alone. While the hub is paused (`operations.paused`) it starts no onboarding (no
 * rollout, no repair) and tells a VPC that asks to join `pending` (PAUSED_DETAIL); offboardings go on. Executions get deterministic names `<vpcId>-reconcile-<12 hex>` from the desired
 * and actual state, so a repeated reconcile of an unchanged situation starts nothing twice.
 */

export interface ReconcileDeps {
  config: HubConfig;
  organizations: OrganizationsClient;
  hubEc2: EC2Client;
  /** EC2 client of the spoke role (throws SpokeAccessError when the role cannot be assumed). */
  spokeEc2: (accountId: string, region: string) => Promise<EC2Client>;
  /**
   * DNS mode `profile`: Route 53 Profiles as the spoke read role. The Profile's owner cannot list its consumers'
   * associations: each recorded association is read back by the VPC's account.
   */
  spokeProfiles?: (accountId: string, region: string) => Promise<Route53ProfilesClient>;
  registry: RegistryTable;
  now: () => number;
  /** Publishes to the failure topic (a configuration rollout that stopped). */
  notify: (subject: string, message: string) => Promise<void>;
}

export type RepairReason =
  | 'missing-onboarding'
  | 'missing-offboarding'
  | 'vpc-deleted'
  | 'segment-changed'
  | 'services-changed'
  | 'destinations-changed'
  | 'endpoints-changed'
  | 'cidrs-changed'
  | 'association-drift'
  | 'route-missing'
  | 'rule-missing'
  | 'dns-mode-changed'
  | 'profile-association-missing'
  | 'interrupted'
  | 'failed'
  | 'status-stale'
  | 'schema-upgrade';

/** Something the reconcile leaves alone and reports. */
export interface Drift {
  vpcId: string;
  accountId: string;
  kind: 'route-elsewhere' | 'rule-redescribed' | 'request-invalid' | 'account-unreachable';
  detail: string;
}

/** One item of the repair Map: start a workflow, or write the drift into the VPC's status detail. */
export type ReconcileItem =
  | (VpcRef & { action: 'onboard' | 'offboard'; name: string; reasons: RepairReason[]; input: TriggerEvent })
  | (VpcRef & { action: 'report'; status: string; detail: string; input: TriggerEvent });

/** The event shape every workflow reads (the tag-change event), marked as coming from the reconcile. */
export interface TriggerEvent {
  version: '0';
  id: string;
  'detail-type': typeof TAG_CHANGE_DETAIL_TYPE;
  source: typeof TAG_CHANGE_SOURCE;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { 'changed-tag-keys': string[]; service: 'ec2'; 'resource-type': 'vpc'; version: 1; tags: Tags };
  spokelink: { origin: 'reconcile'; reasons: string[] };
}

export interface ReconcileResult {
  maxConcurrency: number;
  items: ReconcileItem[];
  drift: Drift[];
  /** Repairs over the per-run limit, left for the next run. */
  deferred: number;
  /**
   * The hub's headroom on each quota a migration day meets, from the registry (functions/shared/headroom.ts): the
   * handler publishes it as the `Headroom*` metrics of the capacity dashboard and alarms.
   */
  headroom: HeadroomFigure[];
  /** The peerings of this region's hub with the other regional hubs (`hub.peers`), one step each per run. */
  peerings?: PeeringStatus[];
  summary: {
    accounts: number;
    vpcs: number;
    onboard: number;
    offboard: number;
    reports: number;
    inProgress: number;
    pendingApproval: number;
    /** Rejected VPCs whose inputs did not change since this reconcile's own attempt: skipped, no slot taken. */
    unchangedRejections: number;
    /** Onboardings and changes the pause holds (`operations.paused`): started by the first run after it ends. */
    paused: number;
    /** Rollout repairs held by the canary (rollout.ts): they start once the canary succeeded. */
    rolloutHeld: number;
    /** The configuration rollout (rollout.ts), when there is one. */
    rollout?: RolloutState;
  };
}

/** Items per run: keeps the Map's input well under Step Functions' 256 KB; the rest waits for the next run. */
export const MAX_ITEMS_PER_RUN = 250;

/** A repair found by this run, and whether this very repair (same name) already ran once. */
interface Candidate {
  item: ReconcileItem;
  attempted: boolean;
}

/**
 * The items a run keeps when there are more than `limit`: the accounts take turns (round robin, one item each per
 * turn), so one account's many repairs never take the slots of another's; within an account, repairs that never ran
 * come before those that already ran once under the same name (a retried one finds its execution and starts
 * nothing). The first account of the turn order moves by one every run (the run's hour), so that with more accounts
 * than slots every account still gets its turn. Bound (docs/lifecycle.md, "Fairness and limits"): with A accounts
 * having work (A <= limit), each gets at least floor(limit / A) slots per run, so a VPC whose event was lost is started
 * within ceil(n / floor(limit / A)) runs, n being the number of never-run repairs of its account (the next run when
 * n <= floor(limit / A)).
 */
export function fairShare(candidates: readonly Candidate[], limit: number, now: number): ReconcileItem[] {
  const byAccount = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const list = byAccount.get(c.item.accountId) ?? [];
    list.push(c);
    byAccount.set(c.item.accountId, list);
  }
  const accounts = [...byAccount.keys()].sort();
  const start = accounts.length === 0 ? 0 : Math.floor(now / 3_600_000) % accounts.length;
  const queues = [...accounts.slice(start), ...accounts.slice(0, start)].map((account) =>
    // Stable: the vpcId order within each group.
    [...byAccount.get(account)!].sort((a, b) => Number(a.attempted) - Number(b.attempted)),
  );
  const kept: ReconcileItem[] = [];
  for (let turn = 0; kept.length < limit && queues.some((q) => q.length > turn); turn++) {
    for (const queue of queues) {
      const next = queue[turn];
      if (next && kept.length < limit) kept.push(next.item);
    }
  }
  return kept;
}

/** The parts of the hub configuration an onboarding's validation depends on (a change re-examines rejections). */
function configInputs(config: HubConfig): string {
  const { reconcile: _schedule, notifications: _emails, operations: _operations, ...inputs } = config;
  return hash(inputs);
}

const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);

function tagMap(vpc: Vpc | undefined): Tags {
  const out: Tags = {};
  for (const tag of vpc?.Tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

function triggerEvent(ref: VpcRef, at: number, id: string, tags: Tags, reasons: string[]): TriggerEvent {
  return {
    version: '0',
    id: `spokelink-reconcile-${id}`,
    'detail-type': TAG_CHANGE_DETAIL_TYPE,
    source: TAG_CHANGE_SOURCE,
    account: ref.accountId,
    time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: ref.region,
    resources: [`arn:aws:ec2:${ref.region}:${ref.accountId}:vpc/${ref.vpcId}`],
    detail: {
      'changed-tag-keys': [RequestTag.connect],
      service: 'ec2',
      'resource-type': 'vpc',
      version: 1,
      // Only the request tags: the workflows read the VPC's current tags themselves.
      tags: Object.fromEntries(
        Object.entries(tags).filter(([k]) => (Object.values(RequestTag) as string[]).includes(k)),
      ),
    },
    spokelink: { origin: 'reconcile', reasons },
  };
}

/**
 * What the configuration wants for a VPC of `segment` consuming `services` with `cidrs` (the segment exists): hub
 * destinations, zones, endpoint rules (`<group>|<cidr>|<port>`), the association table. Also what `spokelink plan`
 * compares a configuration with (plan-change.ts).
 */
export function desiredResources(
  config: HubConfig,
  segment: string,
  services: string[],
  cidrs: string[],
  /** Profile mode: false (the hub's Profile holds the zones) unless the member has its own Profile (directZonesFor). */
  directZones = config.dns.mode === 'zones',
  /** Served in the VPC: by spokelink's endpoint there (local services) or by the VPC itself (record `selfServed`). */
  localServices: readonly string[] = [],
  /** The member's recorded endpoint shard (functions/shared/shards.ts): its zones and groups are the shard's. */
  shard: string | undefined = undefined,
) {
  // Services served in the VPC get no hub zone and no hub rule.
  const endpoints = endpointsOf(config, services).filter((name) => !localServices.includes(name));
  const resources = (s: string) => endpointResourcesOf(config, segment, shard, s);
  const profile = !directZones;
  const zones = profile ? [] : endpoints.flatMap((s) => resources(s).privateHostedZoneIds).sort();
  // A block inside one of the segment's aggregated ingress supernets has no rule of its own (the stack's admits it).
  const ruled = perVpcRuleCidrs(config, segment, cidrs);
  const rules = endpoints
    .flatMap((s) =>
      ruled.flatMap((cidr) => config.endpoints[s]!.ports.map((p) => `${resources(s).securityGroupId}|${cidr}|${p}`)),
    )
    .sort();
  return {
    segment,
    services,
    destinations: destinationsFor(
      config.destinations.map((d) => d.cidr),
      cidrs,
    ).sort(),
    zones,
    profile,
    rules,
    association: config.segments[segment]!.associationRouteTableId,
    cidrs,
  };
}

/** What the configuration wants for a member with this request (undefined: the request is no longer valid). */
function desiredOf(config: HubConfig, tags: Tags, cidrs: string[], record: ConsumerRecord | undefined) {
  const request = parseRequestTags(tags);
  if (request.action !== 'connect') return undefined;
  const segment = request.segment ?? config.defaultSegment;
  if (!config.segments[segment]) return undefined;
  const services = selectServices(config, segment, request.services);
  return desiredResources(
    config,
    segment,
    services,
    cidrs,
    directZonesFor(config, record),
    // What the VPC served itself when last planned: the next validation reads it again (functions/validate/self-served.ts).
    [...selectLocalServices(config, segment, services, request.localServices), ...(record?.selfServed ?? [])],
    record?.segment === segment ? record.shard : undefined,
  );
}

/** The parts of a record that say what exists (no timestamps: an unchanged situation hashes the same). */
function fingerprint(record: ConsumerRecord | undefined) {
  if (!record) return null;
  return {
    status: record.status,
    createdAt: record.createdAt,
    segment: record.segment,
    services: record.services,
    cidrs: record.cidrs,
    attachmentId: record.attachmentId ?? null,
    routes: (record.routes ?? []).map((r) => `${r.routeTableId}|${r.destinationCidr}`).sort(),
    zones: (record.zones ?? []).map((z) => z.zoneId).sort(),
    profileAssociations: (record.profileAssociations ?? []).map((p) => p.associationId).sort(),
    rules: (record.securityGroupRules ?? []).map((r) => `${r.groupId}|${r.cidr}|${r.port}`).sort(),
  };
}

/** Runs `work` over `items`, at most `limit` at a time (the spoke accounts' API rates are per account). */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

interface Observed {
  ref: VpcRef;
  vpc?: Vpc;
  record?: ConsumerRecord;
  routes?: Map<string, Route[]>;
  /** Profile mode: a recorded Profile association the VPC's account no longer has. */
  profileMissing?: boolean;
  /** Profile mode: the VPC's own Profile (`existingProfileId`) is no longer associated with it. */
  ownProfileGone?: boolean;
}

/** Compares desired and actual state and lists the work: see the module comment. */
export async function reconcile(input: { maxConcurrency?: number }, deps: ReconcileDeps): Promise<ReconcileResult> {
  const { config } = deps;
  const now = deps.now();
  const nowSeconds = Math.floor(now / 1000);
  const registry = await scanRegistry(deps.registry);
  const members = registry.records.filter((r) => r.status !== 'disconnected');
  const orgAccounts = await accountsUnder(deps.organizations, config.organization.spokeOrganizationalUnits);
  const accounts = [
    ...new Set([...orgAccounts, ...config.organization.externalAccounts, ...members.map((r) => r.accountId)]),
  ].sort();
  const drift: Drift[] = [];

  // Spoke side: per account and served region, the VPCs that ask something and the recorded ones.
  const observed = new Map<string, Observed>();
  const recordsByVpc = new Map(registry.records.map((r) => [r.vpcId, r]));
  const unreachable = new Set<string>();
  // This hub reconciles its own region: every other served region has its own hub (and reconcile).
  const pairs = accounts.map((accountId) => ({ accountId, region: config.hub.region }));
  await eachLimited(pairs, 8, async ({ accountId, region }) => {
    const recorded = members.filter((r) => r.accountId === accountId && r.region === region);
    let ec2: EC2Client;
    let vpcs: Vpc[];
    try {
      ec2 = await deps.spokeEc2(accountId, region);
      vpcs = await spokeVpcs(
        ec2,
        recorded.map((r) => r.vpcId),
      );
    } catch (error) {
      if (!(error instanceof SpokeAccessError)) throw error;
      unreachable.add(accountId);
      if (recorded.length > 0) {
        drift.push({
          vpcId: recorded.map((r) => r.vpcId).join(','),
          accountId,
          kind: 'account-unreachable',
          detail: `${error.message}: its ${recorded.length} member VPC(s) cannot be checked`,
        });
      }
      return;
    }
    const byId = new Map(vpcs.map((v) => [v.VpcId!, v]));
    for (const vpcId of new Set([...byId.keys(), ...recorded.map((r) => r.vpcId)])) {
      observed.set(vpcId, { ref: { vpcId, accountId, region }, vpc: byId.get(vpcId), record: recordsByVpc.get(vpcId) });
    }
    // Route tables of the connected members, for missing routes and routes pointing elsewhere.
    const connected = recorded.filter((r) => r.status === 'connected' && byId.has(r.vpcId));
    const tables = [...new Set(connected.flatMap((r) => (r.routes ?? []).map((x) => x.routeTableId)))];
    const routes = await routesOf(ec2, tables);
    for (const r of connected) observed.get(r.vpcId)!.routes = routes;
    // Profile mode: each recorded Profile association, read back by the VPC's account.
    const withProfile = connected.filter((r) => (r.profileAssociations ?? []).length > 0);
    // Members served with direct zones because they had their own Profile: is it still there?
    const withOwn = connected.filter((r) => r.existingProfileId !== undefined && directZonesFor(config, r));
    if (withProfile.length + withOwn.length > 0 && deps.spokeProfiles && config.dns.mode === 'profile') {
      const profiles = await deps.spokeProfiles(accountId, region);
      for (const r of withProfile) {
        observed.get(r.vpcId)!.profileMissing = await profileAssociationMissing(profiles, r);
      }
      for (const r of withOwn) {
        const own = await profileAssociationsOfVpc(profiles, r.vpcId);
        observed.get(r.vpcId)!.ownProfileGone = !own.some(
          (a) => a.ProfileId === r.existingProfileId && a.Status !== 'DELETING',
        );
      }
    }
  });

  // Hub side: endpoint rules and attachment associations, one describe each.
  const groups = [
    ...new Set([...Object.values(config.endpoints).map((e) => e.securityGroupId), ...shardResources(config).groups]),
  ].sort();
  const rules = await endpointRules(deps.hubEc2, groups);
  const associated = await associations(deps.hubEc2, config.hub.transitGatewayId);

  const items: Candidate[] = [];
  let inProgress = 0;
  let pendingApproval = 0;
  let unchangedRejections = 0;
  let paused = 0;
  const statusTags = new Map<string, string | undefined>();
  const inputs = configInputs(config);
  for (const { ref, vpc, record, routes, profileMissing, ownProfileGone } of [...observed.values()].sort((a, b) =>
    a.ref.vpcId.localeCompare(b.ref.vpcId),
  )) {
    if ((registry.leases.get(ref.vpcId) ?? 0) >= nowSeconds) {
      inProgress += 1;
      continue;
    }
    if ((registry.approvals.get(ref.vpcId) ?? 0) >= nowSeconds) {
      pendingApproval += 1;
      continue;
    }
    const member = record !== undefined && record.status !== 'disconnected';
    const tags = tagMap(vpc);
    statusTags.set(ref.vpcId, tags[StatusTag.status]);
    const request = vpc ? parseRequestTags(tags) : undefined;
    const reasons: RepairReason[] = [];
    const reported: string[] = [];
    let action: 'onboard' | 'offboard' | undefined;
    let desired: ReturnType<typeof desiredOf>;

    if (!vpc) {
      if (member) action = 'offboard';
      if (member) reasons.push('vpc-deleted');
    } else if (request?.action === 'disconnect') {
      if (member) {
        action = 'offboard';
        reasons.push('missing-offboarding');
      }
    } else if (request?.action === 'connect') {
      try {
        // A member's quarantined blocks stay out of what is desired: they are never claimed, routed or admitted. A
        // block added or removed since is a change (`cidrs-changed`), validated by the onboarding it starts.
        const quarantined = new Set((member ? (record.quarantine ?? []) : []).map((q) => q.cidr));
        desired = desiredOf(
          config,
          tags,
          associatedCidrsOf(vpc).filter((c) => !quarantined.has(c)),
          member ? record : undefined,
        );
      } catch (error) {
        if (!(error instanceof RejectedError)) throw error;
        desired = undefined;
      }
      if (!member) {
        action = 'onboard';
        reasons.push('missing-onboarding');
      } else if (!desired) {
        drift.push({
          ...ref,
          kind: 'request-invalid',
          detail: 'the request tags no longer validate: see its next onboarding',
        });
      } else {
        if (record.status === 'onboarding' || record.status === 'offboarding') reasons.push('interrupted');
        if (record.status === 'failed') reasons.push('failed');
        if (record.status === 'connected') {
          reasons.push(...driftOf(record, desired, tags, associated));
          // A segment that declares shards: a member in none of them (connected before, or its shard was removed) is
          // re-planned into one (ValidateAndPlan assigns it; the onboarding moves its rules and zones there).
          const inShard = record.segment === desired.segment ? record.shard : undefined;
          if (!shardNamed(config, desired.segment, inShard) && !reasons.includes('endpoints-changed')) {
            reasons.push('endpoints-changed');
          }
          if (profileMissing) reasons.push('profile-association-missing');
          // Its own Profile is gone: the hub's can be associated now (the onboarding does it before pruning the zones).
          if (ownProfileGone) reasons.push('dns-mode-changed');
          const routeDrift = routeDriftOf(record, routes, config.hub.transitGatewayId);
          if (routeDrift.missing) reasons.push('route-missing');
          reported.push(...routeDrift.elsewhere);
          const ruleDrift = ruleDriftOf(record, rules);
          if (ruleDrift.missing) reasons.push('rule-missing');
          reported.push(...ruleDrift.redescribed);
          for (const d of routeDrift.elsewhere) drift.push({ ...ref, kind: 'route-elsewhere', detail: d });
          for (const d of ruleDrift.redescribed) drift.push({ ...ref, kind: 'rule-redescribed', detail: d });
        }
        if (reasons.length > 0) action = 'onboard';
      }
    }

    if (action) {
      // The name is a digest of every input of the repair: the request, the VPC's CIDRs (in desired), the hub
      // configuration and what exists. A rejection by this very repair (its status says so) will not change
      // until one of them does: it is skipped, and takes no slot of the run.
      const id = hash({
        action,
        desired: desired ?? null,
        request: request ?? null,
        actual: fingerprint(record),
        reasons,
        ...(action === 'onboard' ? { cidrs: vpc ? associatedCidrsOf(vpc) : [], config: inputs } : {}),
      });
      const name = `${ref.vpcId}-reconcile-${id}`;
      if (!member && tags[StatusTag.status] === 'rejected' && tags[StatusTag.execution] === name) {
        unchangedRejections += 1;
        continue;
      }
      if (action === 'onboard' && config.operations.paused) {
        paused += 1;
        // A VPC that asks to join is told why nothing happens (once: a `pending` status is not written again).
        if (!member && tags[StatusTag.status] !== 'pending') {
          items.push({
            item: {
              ...ref,
              action: 'report',
              status: 'pending',
              detail: PAUSED_DETAIL,
              input: triggerEvent(ref, now, hash({ paused: name }), tags, ['paused']),
            },
            attempted: false,
          });
        }
        continue;
      }
      items.push({
        item: { ...ref, action, name, reasons, input: triggerEvent(ref, now, id, tags, reasons) },
        attempted: tags[StatusTag.execution] === name,
      });
    } else if (reported.length > 0 && record) {
      const id = hash({ report: reported });
      items.push({
        item: {
          ...ref,
          action: 'report',
          status: reportedStatus(record),
          detail: statusDetail(`${reportedStatus(record)}; drift spokelink leaves alone: ${reported.join('; ')}`),
          input: triggerEvent(ref, now, id, tags, ['drift']),
        },
        attempted: false,
      });
    }
  }

  // A configuration rollout goes out in canary batches (rollout.ts).
  const isRollout = (c: Candidate) =>
    c.item.action === 'onboard' && c.item.reasons.some((reason) => ROLLOUT_REASONS.has(reason));
  const candidates = [...new Set(items.filter(isRollout).map((c) => c.item.vpcId))].sort();
  const upgrade = items.some(
    (c) => isRollout(c) && c.item.action === 'onboard' && c.item.reasons.includes('schema-upgrade'),
  );
  const step = stepRollout({
    state: rolloutOf(registry.rollout),
    digest: hash({ config: inputs, upgrade }),
    now,
    candidates,
    outcome: (vpcId) => {
      const status = statusTags.get(vpcId);
      if (status === 'failed' || status === 'rejected') return 'failed';
      if ((registry.leases.get(vpcId) ?? 0) >= nowSeconds || candidates.includes(vpcId)) return 'pending';
      return 'succeeded';
    },
    settings: config.operations.rollout,
  });
  if (step.changed && step.state) await saveRollout(deps.registry, step.state);
  if (step.stopped) await deps.notify(`${config.prefix}: configuration rollout stopped`, step.stopped);
  // A stopped rollout also holds the retries of its failed canaries: they would fail the same way every run.
  const stoppedCanaries = new Set(step.state?.stage === 'stopped' ? step.state.failed : []);
  const released = items.filter(
    (c) =>
      (!isRollout(c) || step.release.has(c.item.vpcId)) &&
      !(c.item.action === 'onboard' && stoppedCanaries.has(c.item.vpcId)),
  );
  const rolloutHeld = items.length - released.length;

  const maxConcurrency = input.maxConcurrency ?? config.reconcile.maxConcurrency;
  const kept = fairShare(released, MAX_ITEMS_PER_RUN, now);
  // Inter-region reach (peering.ts): changes of the hub itself, so none while the hub is paused.
  const peered = Object.keys(config.hub.peers).length > 0 && !config.operations.paused;
  const peerings = peered ? await reconcilePeerings(config, deps.hubEc2) : undefined;
  const result: ReconcileResult = {
    maxConcurrency,
    items: kept,
    drift,
    deferred: released.length - kept.length,
    headroom: headroomOf(config, usageFromRecords(config, registry.records, 'registry')),
    ...(peerings ? { peerings } : {}),
    summary: {
      accounts: accounts.length - unreachable.size,
      vpcs: observed.size,
      onboard: kept.filter((i) => i.action === 'onboard').length,
      offboard: kept.filter((i) => i.action === 'offboard').length,
      reports: kept.filter((i) => i.action === 'report').length,
      inProgress,
      pendingApproval,
      unchangedRejections,
      paused,
      rolloutHeld,
      ...(step.state ? { rollout: step.state } : {}),
    },
  };
  logger.info('reconcile', {
    summary: result.summary,
    drift: drift.length,
    deferred: result.deferred,
    headroom: result.headroom,
  });
  return result;
}

/** The status a drift report keeps: a connected member with quarantined blocks stays `quarantined`. */
function reportedStatus(record: ConsumerRecord): string {
  return record.status === 'connected' && (record.quarantine ?? []).length > 0 ? 'quarantined' : record.status;
}

function driftOf(
  record: ConsumerRecord,
  desired: NonNullable<ReturnType<typeof desiredOf>>,
  tags: Tags,
  associated: Map<string, string | undefined>,
): RepairReason[] {
  const reasons: RepairReason[] = [];
  if (record.segment !== desired.segment) reasons.push('segment-changed');
  if (!sameSet(record.services ?? [], desired.services)) reasons.push('services-changed');
  const recordedDestinations = [...new Set((record.routes ?? []).map((r) => r.destinationCidr))];
  if (!sameSet(recordedDestinations, desired.destinations)) reasons.push('destinations-changed');
  const recordedZones = (record.zones ?? []).map((z) => z.zoneId);
  const recordedRules = (record.securityGroupRules ?? []).map((r) => `${r.groupId}|${r.cidr}|${r.port}`);
  if (!sameSet(record.cidrs ?? [], desired.cidrs)) reasons.push('cidrs-changed');
  else if (!sameSet(recordedZones, desired.zones) || !sameSet(recordedRules, desired.rules)) {
    reasons.push('endpoints-changed');
  }
  if (record.attachmentId && associated.has(record.attachmentId)) {
    if (associated.get(record.attachmentId) !== desired.association) reasons.push('association-drift');
  }
  // Migrated from an older registry schema (functions/shared/registry/schema.ts): re-planned once in the current design.
  if (record.upgradedFrom !== undefined) reasons.push('schema-upgrade');
  // Zones <-> profile: the onboarding it starts puts the new mode's DNS in place before it removes the old one's.
  if (desired.profile !== (record.profileAssociations ?? []).length > 0) reasons.push('dns-mode-changed');
  const expectedStatus = (record.quarantine ?? []).length > 0 ? 'quarantined' : 'connected';
  if (tags[StatusTag.status] !== expectedStatus) reasons.push('status-stale');
  return [...new Set(reasons)];
}

function routeDriftOf(record: ConsumerRecord, routes: Map<string, Route[]> | undefined, tgwId: string) {
  const out = { missing: false, elsewhere: [] as string[] };
  if (!routes) return out;
  for (const r of record.routes ?? []) {
    const table = routes.get(r.routeTableId);
    const found = table?.find((x) => routeDestinationOf(x) === r.destinationCidr);
    if (!found) out.missing = true;
    else if (found.TransitGatewayId !== tgwId) {
      const target =
        found.NatGatewayId ??
        found.VpcPeeringConnectionId ??
        found.GatewayId ??
        found.TransitGatewayId ??
        'another target';
      out.elsewhere.push(`${r.routeTableId} ${r.destinationCidr} now to ${target}`);
    }
  }
  return out;
}

function ruleDriftOf(record: ConsumerRecord, rules: Map<string, SecurityGroupRule>) {
  const out = { missing: false, redescribed: [] as string[] };
  for (const r of record.securityGroupRules ?? []) {
    const found = r.ruleId ? rules.get(r.ruleId) : undefined;
    if (!found) out.missing = true;
    else if (found.Description !== r.description) {
      out.redescribed.push(`rule ${r.ruleId} on ${r.groupId} redescribed ${JSON.stringify(found.Description ?? '')}`);
    }
  }
  return out;
}

/** True when a recorded Profile association of the member is gone (or no longer its hub Profile's). */
async function profileAssociationMissing(profiles: Route53ProfilesClient, record: ConsumerRecord): Promise<boolean> {
  for (const recorded of record.profileAssociations ?? []) {
    try {
      const { ProfileAssociation } = await profiles.send(
        new GetProfileAssociationCommand({ ProfileAssociationId: recorded.associationId }),
      );
      if (
        ProfileAssociation?.ResourceId !== record.vpcId ||
        ProfileAssociation.ProfileId !== recorded.profileId ||
        ProfileAssociation.Status === 'DELETING'
      ) {
        return true;
      }
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return true;
      throw error;
    }
  }
  return false;
}
