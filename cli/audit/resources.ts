import * as z from 'zod';
import type { OutputOf } from '../../functions/shared/contract';
import { CONTRACTS, type FunctionContracts } from '../../workflows/contracts';

/**
 * What a step changed, read from its Task result (the Lambda function's return value in the history's
 * `LambdaFunctionSucceeded` / `TaskSucceeded` output). The step functions return what they did (ids of what they
 * created, records of what they associated or removed, counts of rules), so the audit needs no call to the resource
 * APIs. Each result is read with its step's contract (`functions/<name>/contract.ts`): the function is the Task's
 * Lambda, the action the one its input names; the output schema says which list holds what was made, what was
 * already there and what was removed, so nothing is guessed from key names. Pure.
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

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * DNS mode `profile`: AssociateZones made (or found) the VPC's association with the hub's Route 53 Profile, and for an
 * account outside the organization accepted the Profile share's invitation first.
 */
function profileChanges(
  r: { profileAssociationId?: string; profileAssociated?: boolean; profileInvitationAccepted?: boolean },
  plan: Json | undefined,
): ResourceChange[] {
  const planned = plan?.profile;
  const profileId = isObject(planned) ? textOf(planned.profileId) : undefined;
  return [
    {
      change: r.profileAssociated ? 'created' : 'unchanged',
      kind: 'profile-association',
      id: r.profileAssociationId!,
      ...(profileId ? { detail: `Profile ${profileId}` } : {}),
    },
    ...(r.profileInvitationAccepted
      ? [
          {
            change: 'modified' as const,
            kind: 'ram-invitation',
            id: profileId ? `the share of Profile ${profileId}` : 'the Profile share',
            detail: 'accepted by the spoke account',
          },
        ]
      : []),
  ];
}

type FunctionName = keyof FunctionContracts;
/**
 * A step's result as the audit reads it: the contract's output, each field optional (an execution of an older release
 * may not report a list a later one added; what it does report is read by the contract's field names and shapes).
 */
type Reported<F extends FunctionName, A extends keyof FunctionContracts[F]> = Partial<
  OutputOf<FunctionContracts[F], A>
>;

type Describer<F extends FunctionName> = {
  [A in keyof FunctionContracts[F]]?: (result: Reported<F, A>, context: ChangeContext) => ResourceChange[];
};

/** The items of a result list, each described, as one kind of change. */
const items =
  (change: ResourceChange['change'], kind?: string, detail?: string) =>
  (item: unknown): ResourceChange => {
    const described = describeItem(item);
    const d = described.detail ?? detail;
    return { change, ...described, ...(kind ? { kind } : {}), ...(d ? { detail: d } : {}) };
  };

const routeRemoval = (r: Reported<'routes', 'remove'>) => (r.removed ?? []).map(items('removed'));

const dnsRemoval = (r: Reported<'zones', 'remove'>): ResourceChange[] => [
  ...(r.disassociated ?? []).map(items('removed')),
  ...(r.profilesDisassociated ?? []).map((p) => ({
    change: 'removed' as const,
    kind: 'profile-association',
    id: p.associationId,
    detail: `Profile ${p.profileId}`,
  })),
];

const accessRemoval = (r: Reported<'consumer', 'remove'>): ResourceChange[] => [
  ...(r.rulesRevoked ?? []).map(items('removed', 'sg-ingress-rule')),
  ...(r.principalsRemoved ?? []).map(items('removed', 'endpoint-service-permission')),
  ...(r.connectionsRejected ?? []).map((c) => ({
    change: 'modified' as const,
    kind: 'endpoint-connection',
    id: c.vpcEndpointId,
    detail: 'rejected by the hub',
  })),
];

const leaseId = (vpcId: string | undefined) => `VPC#${vpcId ?? '?'}`;

/**
 * How each step's typed result reads as changes: what a step made (`created`), found already there (`unchanged`,
 * `reused`) or removed. A step absent here only reads (a plan, an inventory, a check).
 */
const DESCRIBE: { [F in FunctionName]: Describer<F> } = {
  routes: {
    create: (r) => [
      ...(r.created ?? []).map(items('created')),
      ...(r.existing ?? []).map(items('unchanged', undefined, 'already to the TGW')),
    ],
    prune: routeRemoval,
    remove: routeRemoval,
  },
  zones: {
    associate: (r, context) => [
      ...(r.associated ?? []).map(items('created')),
      ...(r.alreadyAssociated ?? []).map(items('unchanged', undefined, 'already associated')),
      ...(r.profileAssociationId ? profileChanges(r, planOf(context.input)) : []),
    ],
    prune: dnsRemoval,
    remove: dnsRemoval,
  },
  consumer: {
    register: (r, context) => [
      ...(r.rulesCreated ? ruleChanges(r.rulesCreated, r.rulesExisting ?? 0, context.input) : []),
      ...(r.principalsAdded ?? []).map(
        items('created', 'endpoint-service-permission', textOf(planOf(context.input)?.principal)),
      ),
      ...(r.connectionsAccepted ?? []).map((id) => ({
        change: 'modified' as const,
        kind: 'endpoint-connection',
        id,
        detail: 'accepted by the hub',
      })),
    ],
    prune: accessRemoval,
    remove: accessRemoval,
  },
  'transit-gateway': {
    share: (r, context) => {
      if (!r.shareArn) return [];
      const account = textOf(planOf(context.input)?.accountId) ?? r.shareArn;
      const added = { change: 'created' as const, kind: 'ram-share-principal', id: account, detail: r.shareArn };
      const accepted = {
        change: 'modified' as const,
        kind: 'ram-invitation',
        id: r.shareArn,
        detail: 'accepted by the spoke account',
      };
      return [...(r.principalAdded ? [added] : []), ...(r.invitationAccepted ? [accepted] : [])];
    },
    create: (r) => [
      {
        change: r.reused ? 'reused' : 'created',
        kind: 'tgw-attachment',
        id: r.attachmentId ?? '?',
        detail: [r.state, r.subnetIds?.length ? `subnets ${r.subnetIds.join(', ')}` : ''].filter(Boolean).join('; '),
      },
    ],
    accept: (r) =>
      r.accepted
        ? [{ change: 'modified', kind: 'tgw-attachment', id: r.attachmentId ?? '?', detail: 'accepted by the hub' }]
        : [],
    associate: (r) => (r.changes ?? []).map(tgwChange),
    remove: (r) => [
      ...(r.deleted ?? []).map((id) => ({ change: 'removed' as const, kind: 'tgw-attachment', id })),
      ...(r.routesRemoved ?? []).map((id) => ({ change: 'removed' as const, kind: 'tgw-route', id })),
    ],
    unshare: (r, context) => {
      const vpc = isObject(context.input) && isObject(context.input.vpc) ? context.input.vpc : undefined;
      return r.unshared ? [{ change: 'removed', kind: 'ram-share-principal', id: textOf(vpc?.accountId) ?? '?' }] : [];
    },
  },
  lease: {
    acquire: (r) => [{ change: 'created', kind: 'lease', id: leaseId(r.vpcId), detail: 'held until released' }],
    'acquire-lease-only': (r) => [
      { change: 'created', kind: 'lease', id: leaseId(r.vpcId), detail: 'held until released' },
    ],
    begin: (r) => (r.claimedBuckets ?? []).map((id) => ({ change: 'created' as const, kind: 'cidr-claim', id })),
    release: (r, context) =>
      r.released ? [{ change: 'removed', kind: 'lease', id: leaseId(context.vpcId), detail: 'released' }] : [],
  },
  status: {
    set: (r) =>
      r.written || r.tagLimit
        ? [
            {
              change: r.written ? 'modified' : 'unchanged',
              kind: 'status-tags',
              id: `spokelink:status=${r.status ?? '?'}`,
              // At the tag limit: `TagLimitExceeded: ...` says what was written and what was not.
              ...(r.tagLimit ? { detail: r.tagLimit } : {}),
            },
          ]
        : [],
  },
  records: {
    connected: (r) => [{ change: 'modified', kind: 'registry-record', id: `status ${r.status ?? '?'}` }],
    failure: (r) => [
      {
        change: 'modified',
        kind: 'registry-record',
        id: 'status failed',
        detail: `${r.step ?? '?'}: ${r.error ?? '?'}`,
      },
    ],
    offboarding: (r) => (r.recorded ? [{ change: 'modified', kind: 'registry-record', id: 'status offboarding' }] : []),
    disconnected: (r) => [{ change: 'modified', kind: 'registry-record', id: `status ${r.status ?? '?'}` }],
  },
  approval: {},
  rollback: {},
  reconcile: {},
  validate: {},
};

/**
 * Function and action names of earlier releases (docs/deploy.md, the rename list): the histories the audit reads keep
 * the executions of the release that ran them.
 */
const EARLIER_FUNCTIONS: Readonly<Record<string, FunctionName>> = { offboard: 'rollback', registry: 'records' };
const EARLIER_ACTIONS: Partial<Record<FunctionName, Readonly<Record<string, string>>>> = {
  consumer: { revoke: 'remove' },
  'transit-gateway': { detach: 'remove' },
};

/** The workflow function a Task's Lambda is (`<prefix>-<function>`, or its earlier name), if it is one. */
export function functionOf(resource: string | undefined): FunctionName | undefined {
  if (!resource) return undefined;
  const names = [...Object.keys(CONTRACTS), ...Object.keys(EARLIER_FUNCTIONS)].sort((a, b) => b.length - a.length);
  const found = names.find((fn) => resource === fn || resource.endsWith(`-${fn}`));
  return found === undefined ? undefined : (EARLIER_FUNCTIONS[found] ?? (found as FunctionName));
}

/** The action a Task's input names; an action-less input is the function's original (first) action. */
export function actionOf(fn: FunctionName, input: unknown): string {
  const named = isObject(input) ? textOf(input.action) : undefined;
  if (named === undefined) return Object.keys(CONTRACTS[fn])[0]!;
  return EARLIER_ACTIONS[fn]?.[named] ?? named;
}

export interface StepChanges {
  changes: ResourceChange[];
  /** A field of the result is not in its contract's shape: nothing is read from it. */
  unreadable?: string;
}

/**
 * The changes a Task result reports, read with the step's contract (`fn`: the Task's function, see `functionOf`).
 * A step whose function has no contract, or whose action only reads, gives none.
 */
export function changesOfStep(fn: FunctionName | undefined, result: unknown, context: ChangeContext = {}): StepChanges {
  if (!fn) return { changes: [] };
  const action = actionOf(fn, context.input);
  const contract = CONTRACTS[fn] as Record<string, { output: z.ZodType } | undefined>;
  const describers = DESCRIBE[fn] as Record<string, ((r: unknown, c: ChangeContext) => ResourceChange[]) | undefined>;
  const output = contract[action]?.output;
  const describe = describers[action];
  if (!output || !describe) return { changes: [] };
  const reported = output instanceof z.ZodObject ? output.partial() : output;
  const parsed = reported.safeParse(result);
  if (!parsed.success) {
    const where = parsed.error.issues
      .map((i) => i.path.join('.') || '(result)')
      .slice(0, 3)
      .join(', ');
    return { changes: [], unreadable: `${fn} ${action}: the result is not in its contract's shape (${where})` };
  }
  return { changes: describe(parsed.data, context) };
}

/** Security group rules: listed from the plan when every planned rule was created, else counted. */
function ruleChanges(count: number, existing: number, input: unknown): ResourceChange[] {
  const change = 'created';
  const planned = planOf(input)?.securityGroupRules;
  if (Array.isArray(planned) && planned.length === count && existing === 0) {
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
