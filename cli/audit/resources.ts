/**
 * What a step changed, read from its Task result (the Lambda function's return value in the history's
 * `LambdaFunctionSucceeded` / `TaskSucceeded` output). The step functions return what they did (ids of what they
 * created, records of what they associated or removed, counts of rules), so the audit needs no call to the resource
 * APIs. Reading is by the result's shape, not by state name: a workflow that returns `deleted`, `removed` or
 * `disassociated` lists (offboarding) is read the same way as onboarding's `created` and `associated`. Pure.
 */

/** One change to an AWS resource (or to spokelink's own bookkeeping in the registry table). */
export interface ResourceChange {
  /** `created`, `removed`, `modified`, `reused` (found and kept: an idempotent re-run) or `unchanged`. */
  change: 'created' | 'removed' | 'modified' | 'reused' | 'unchanged';
  /**
   * `tgw-attachment`, `tgw-association`, `tgw-propagation`, `tgw-route` (a static return route: `<table> <cidr>`), `ram-share-principal`, `ram-invitation`, `route`,
   * `phz-association`, `profile-association` (a VPC's association with the hub's Route 53 Profile), `sg-ingress-rule`, `endpoint-service-permission`, `endpoint-connection`, `status-tags`
   * (AWS resources); `registry-record`, `lease`, `cidr-claim` (the registry table); `other`.
   */
  kind: string;
  /** The resource id (or the best identifier the result gives). */
  id: string;
  detail?: string;
}

/** Kinds that live in spokelink's registry table rather than in an AWS resource API. */
export const REGISTRY_KINDS: ReadonlySet<string> = new Set(['registry-record', 'lease', 'cidr-claim']);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** A record of a result list (route, zone, rule, principal, ...) as kind + id + detail. */
export function describeItem(item: unknown): Pick<ResourceChange, 'kind' | 'id' | 'detail'> {
  if (typeof item === 'string') {
    if (item.startsWith('tgw-attach-')) return { kind: 'tgw-attachment', id: item };
    if (item.startsWith('vpce-svc-')) return { kind: 'endpoint-service-permission', id: item };
    if (item.startsWith('vpce-')) return { kind: 'endpoint-connection', id: item };
    if (item.startsWith('sgr-')) return { kind: 'sg-ingress-rule', id: item };
    if (/^Z[0-9A-Z]+$/.test(item)) return { kind: 'phz-association', id: item };
    return { kind: 'other', id: item };
  }
  if (!isObject(item)) return { kind: 'other', id: JSON.stringify(item) };
  const s = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : undefined);
  if (s('routeTableId') && s('destinationCidr')) {
    return { kind: 'route', id: `${s('routeTableId')} ${s('destinationCidr')}`, detail: 'to the TGW' };
  }
  if (s('zoneId')) {
    return { kind: 'phz-association', id: s('zoneId')!, ...(s('zoneName') ? { detail: s('zoneName') } : {}) };
  }
  if (s('profileId') && s('associationId')) {
    return { kind: 'profile-association', id: s('associationId')!, detail: `Profile ${s('profileId')}` };
  }
  if (s('groupId')) {
    const port = item.port === undefined ? '' : `:${String(item.port)}`;
    const what = [s('cidr') ? `${s('cidr')}${port}` : undefined, s('ruleId'), s('endpoint')].filter(Boolean);
    return { kind: 'sg-ingress-rule', id: s('groupId')!, ...(what.length ? { detail: what.join(' ') } : {}) };
  }
  if (s('serviceId')) {
    return {
      kind: 'endpoint-service-permission',
      id: s('serviceId')!,
      ...(s('principal') ? { detail: s('principal') } : {}),
    };
  }
  if (s('attachmentId')) return { kind: 'tgw-attachment', id: s('attachmentId')! };
  return { kind: 'other', id: JSON.stringify(item) };
}

/** Keys of result lists whose items were created, removed, or found already in place. */
const CREATED_KEYS = /^(created|associated|added|authorized|enabled|attached)$|(Created|Added|Associated|Authorized)$/;
const REMOVED_KEYS =
  /^(deleted|removed|disassociated|revoked|disabled|detached)$|(Deleted|Removed|Disassociated|Revoked)$/;
const UNCHANGED_KEYS = /^(existing|alreadyAssociated|alreadyPresent|kept)$|(Existing|AlreadyAssociated)$/;
/** Counters (`rulesCreated: 2`) when the result gives no list. */
const COUNT_KEYS = /^(\w+?)(Created|Deleted|Removed|Revoked)$/;

/** A TGW route-table change as the transit-gateway function words it (`associated with tgw-rtb-...`). */
function tgwChange(text: string): ResourceChange {
  const table = /tgw-rtb-[0-9a-f]+/.exec(text)?.[0] ?? text;
  if (/^disassociated from /.test(text)) return { change: 'removed', kind: 'tgw-association', id: table };
  if (/^associated with /.test(text)) return { change: 'created', kind: 'tgw-association', id: table };
  const route = /^route (\S+) (in|removed from) (tgw-rtb-[0-9a-f]+)$/.exec(text);
  if (route) {
    return { change: route[2] === 'in' ? 'created' : 'removed', kind: 'tgw-route', id: `${route[3]} ${route[1]}` };
  }
  if (/^propagation to .* enabled$/.test(text)) return { change: 'created', kind: 'tgw-propagation', id: table };
  if (/^propagation to .* disabled$/.test(text)) return { change: 'removed', kind: 'tgw-propagation', id: table };
  return { change: 'modified', kind: 'tgw-route-table', id: table, detail: text };
}

export interface ChangeContext {
  /** The step's input (parsed), for facts the result leaves out (the plan's security group rules, principal). */
  input?: unknown;
  /** The VPC the execution is about (names the lease). */
  vpcId?: string;
}

function planOf(input: unknown): Json | undefined {
  return isObject(input) && isObject(input.plan) ? input.plan : undefined;
}

/**
 * The changes a Task result reports. Unknown shapes give no change (the step is still shown with its outcome);
 * results that only read (a plan, a state) give none either.
 */
export function changesFromResult(result: unknown, context: ChangeContext = {}): ResourceChange[] {
  if (!isObject(result)) return [];
  const out: ResourceChange[] = [];
  const r = result;

  // Transit Gateway attachment: created or reused (CreateAttachment), accepted (AcceptAttachment).
  if (typeof r.attachmentId === 'string') {
    if (typeof r.reused === 'boolean') {
      const subnets = strings(r.subnetIds);
      out.push({
        change: r.reused ? 'reused' : 'created',
        kind: 'tgw-attachment',
        id: r.attachmentId,
        detail: [
          typeof r.state === 'string' ? r.state : undefined,
          subnets.length ? `subnets ${subnets.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
      });
    } else if (r.accepted === true) {
      out.push({ change: 'modified', kind: 'tgw-attachment', id: r.attachmentId, detail: 'accepted by the hub' });
    } else if (r.deleted === true || r.state === 'deleting' || r.state === 'deleted') {
      out.push({ change: 'removed', kind: 'tgw-attachment', id: r.attachmentId });
    }
  }
  for (const text of strings(r.changes)) out.push(tgwChange(text));

  // DNS mode `profile`: AssociateZones made (or found) the VPC's association with the hub's Route 53 Profile.
  if (typeof r.profileAssociationId === 'string' && typeof r.profileAssociated === 'boolean') {
    const planned = planOf(context.input)?.profile;
    const profileId = isObject(planned) && typeof planned.profileId === 'string' ? planned.profileId : undefined;
    out.push({
      change: r.profileAssociated ? 'created' : 'reused',
      kind: 'profile-association',
      id: r.profileAssociationId,
      ...(profileId ? { detail: `Profile ${profileId}` } : {}),
    });
    if (r.profileInvitationAccepted === true) {
      const share = profileId ? `the share of Profile ${profileId}` : 'the Profile share';
      out.push({ change: 'modified', kind: 'ram-invitation', id: share, detail: 'accepted by the spoke account' });
    }
  }

  // RAM: the spoke account added to the hub's share of the TGW; invitation accepted (accounts outside the org).
  if (typeof r.shareArn === 'string') {
    const account =
      typeof planOf(context.input)?.accountId === 'string' ? String(planOf(context.input)?.accountId) : '';
    if (r.principalAdded === true) {
      out.push({ change: 'created', kind: 'ram-share-principal', id: account || r.shareArn, detail: r.shareArn });
    }
    if (r.principalRemoved === true) {
      out.push({ change: 'removed', kind: 'ram-share-principal', id: account || r.shareArn, detail: r.shareArn });
    }
    if (r.invitationAccepted === true) {
      out.push({ change: 'modified', kind: 'ram-invitation', id: r.shareArn, detail: 'accepted by the spoke account' });
    }
  }

  // Lists of created / removed / untouched records (routes, zones, rules, principals, connections).
  for (const [key, value] of Object.entries(r)) {
    if (!Array.isArray(value) || key === 'changes' || key === 'subnetIds' || key === 'claimedBuckets') continue;
    if (key === 'connectionsAccepted') {
      for (const id of strings(value)) {
        out.push({ change: 'modified', kind: 'endpoint-connection', id, detail: 'accepted by the hub' });
      }
      continue;
    }
    if (key === 'connectionsRejected') {
      for (const item of value) {
        const id = isObject(item) && typeof item.vpcEndpointId === 'string' ? item.vpcEndpointId : JSON.stringify(item);
        out.push({ change: 'modified', kind: 'endpoint-connection', id, detail: 'rejected by the hub' });
      }
      continue;
    }
    const change = CREATED_KEYS.test(key)
      ? 'created'
      : REMOVED_KEYS.test(key)
        ? 'removed'
        : UNCHANGED_KEYS.test(key)
          ? 'unchanged'
          : undefined;
    if (!change) continue;
    for (const item of value) {
      const described = describeItem(item);
      const kind = key.startsWith('principals') ? 'endpoint-service-permission' : described.kind;
      const detail =
        described.detail ?? (kind === 'endpoint-service-permission' ? principalOf(context.input) : undefined);
      out.push({ change, kind, id: described.id, ...(detail ? { detail } : {}) });
    }
  }

  // Counters: security group rules (the consumer function counts them; the plan lists them).
  for (const [key, value] of Object.entries(r)) {
    const match = COUNT_KEYS.exec(key);
    if (!match || typeof value !== 'number' || value === 0) continue;
    const change = match[2] === 'Created' ? 'created' : 'removed';
    const noun = match[1]!;
    if (noun === 'rules') out.push(...ruleChanges(change, value, r, context.input));
    else out.push({ change, kind: 'other', id: `${value} ${noun}` });
  }

  // Status tags on the VPC (the status function), registry and lease bookkeeping.
  if (typeof r.status === 'string' && (r.written === true || typeof r.tagLimit === 'string')) {
    out.push({
      change: r.written === true ? 'modified' : 'unchanged',
      kind: 'status-tags',
      id: `spokelink:status=${r.status}`,
      // At the tag limit: `TagLimitExceeded: ...` says what was written and what was not.
      ...(typeof r.tagLimit === 'string' ? { detail: r.tagLimit } : {}),
    });
  }
  if (typeof r.owner === 'string' && typeof r.acquiredAt === 'string') {
    out.push({ change: 'created', kind: 'lease', id: `VPC#${String(r.vpcId ?? '?')}`, detail: 'held until released' });
    for (const bucket of strings(r.claimedBuckets)) out.push({ change: 'created', kind: 'cidr-claim', id: bucket });
  }
  if (r.released === true) {
    out.push({ change: 'removed', kind: 'lease', id: `VPC#${context.vpcId ?? '?'}`, detail: 'released' });
  }
  if (typeof r.summary === 'string' && typeof r.status === 'string' && r.written === undefined) {
    out.push({ change: 'modified', kind: 'registry-record', id: `status ${r.status}` });
  }
  if (typeof r.step === 'string' && typeof r.error === 'string') {
    out.push({ change: 'modified', kind: 'registry-record', id: 'status failed', detail: `${r.step}: ${r.error}` });
  }
  return out;
}

function principalOf(input: unknown): string | undefined {
  const principal = planOf(input)?.principal;
  return typeof principal === 'string' ? principal : undefined;
}

/** Security group rules: listed from the plan when every planned rule was created, else counted. */
function ruleChanges(change: 'created' | 'removed', count: number, result: Json, input: unknown): ResourceChange[] {
  const planned = planOf(input)?.securityGroupRules;
  const existing = typeof result.rulesExisting === 'number' ? result.rulesExisting : 0;
  if (change === 'created' && Array.isArray(planned) && planned.length === count && existing === 0) {
    return planned.map((rule) => ({ change, ...describeItem(rule), kind: 'sg-ingress-rule' }));
  }
  return [{ change, kind: 'sg-ingress-rule', id: `${count} rule(s)` }];
}

/** What a plan (ValidateAndPlan's result) asks for, in one line; undefined for other results. */
export function planSummary(result: unknown): string | undefined {
  if (!isObject(result) || typeof result.segment !== 'string' || !Array.isArray(result.cidrs)) return undefined;
  const services = strings(result.services);
  const subnets = Array.isArray(result.attachmentSubnets)
    ? result.attachmentSubnets
        .filter(isObject)
        .map((s) => `${String(s.subnetId)}${typeof s.availabilityZone === 'string' ? ` (${s.availabilityZone})` : ''}`)
    : [];
  return [
    `segment ${result.segment}`,
    `services ${services.join(',') || '(none)'}`,
    `CIDRs ${strings(result.cidrs).join(', ')}`,
    subnets.length ? `attachment subnets ${subnets.join(', ')}` : undefined,
  ]
    .filter(Boolean)
    .join('; ');
}
