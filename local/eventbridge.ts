import { mulberry32 } from '#twin/random';
import type { Twin } from '#twin/twin';
import type { TwinEvent } from '#twin/types';
import { INTAKE_EVENT_PATTERNS, INTAKE_TARGET_RETRY } from '../infra/event-patterns';

/**
 * EventBridge, locally: the twin's events (tag changes, CloudTrail API calls) land on the default bus of the account
 * that emitted them; the spoke stack's rule forwards those matching the intake patterns to the hub bus (only from
 * accounts where the spoke stack is deployed, and only once: events are not re-forwarded a second hop); the hub
 * bus accepts them from the accounts its resource policy allows; the hub rules deliver matches to the intake Lambda
 * as an asynchronous invocation (retried twice on a function error, as Lambda does for async invokes).
 *
 * Delivery is best effort in AWS; the knobs drop, duplicate or delay events so tests can prove the workflow does not
 * depend on exactly-once, in-order delivery.
 */

/** An EventBridge event as the matcher reads it. */
export type BusEvent = TwinEvent | Record<string, unknown>;

type Matcher = string | number | boolean | null | Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function globMatch(pattern: string, value: string): boolean {
  const parts = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's').test(value);
}

function numericMatch(conditions: unknown[], value: unknown): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const op = conditions[i];
    const bound = conditions[i + 1];
    if (typeof bound !== 'number') return false;
    const ok =
      op === '='
        ? value === bound
        : op === '<'
          ? value < bound
          : op === '<='
            ? value <= bound
            : op === '>'
              ? value > bound
              : op === '>='
                ? value >= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

/** `prefix` or `suffix` matching: a string, or `{ "equals-ignore-case": string }` compared in lower case. */
function affixMatches(value: unknown, affix: unknown, test: (value: string, affix: string) => boolean): boolean {
  if (typeof value !== 'string') return false;
  if (typeof affix === 'string') return test(value, affix);
  if (isObject(affix) && typeof affix['equals-ignore-case'] === 'string') {
    return test(value.toLowerCase(), affix['equals-ignore-case'].toLowerCase());
  }
  return false;
}

/** One pattern element against one (non-array) event value. `present` is false when the field is absent. */
function matchOne(matcher: Matcher, value: unknown, present: boolean): boolean {
  if (!isObject(matcher)) return present && value === matcher;
  if ('exists' in matcher) return matcher.exists === present;
  if (!present) return false;
  if ('prefix' in matcher) return affixMatches(value, matcher.prefix, (v, prefix) => v.startsWith(prefix));
  if ('suffix' in matcher) return affixMatches(value, matcher.suffix, (v, suffix) => v.endsWith(suffix));
  if ('equals-ignore-case' in matcher) {
    return typeof value === 'string' && value.toLowerCase() === String(matcher['equals-ignore-case']).toLowerCase();
  }
  if ('wildcard' in matcher) return typeof value === 'string' && globMatch(String(matcher.wildcard), value);
  if ('numeric' in matcher) return numericMatch(matcher.numeric as unknown[], value);
  if ('anything-but' in matcher) {
    const but = matcher['anything-but'];
    if (Array.isArray(but)) return !but.some((b) => matchOne(b as Matcher, value, true));
    return !matchOne(but as Matcher, value, true);
  }
  throw new Error(`event pattern: unsupported matcher ${JSON.stringify(matcher)}`);
}

/** A leaf: the event value (or, for a list value, any of its elements) matches any element of the pattern list. */
function matchLeaf(patternList: readonly unknown[], value: unknown, present: boolean): boolean {
  if (Array.isArray(value)) {
    // An empty list in the event matches nothing but `exists` checks.
    return patternList.some((m) =>
      isObject(m) && 'exists' in m ? matchOne(m, value, present) : value.some((v) => matchOne(m as Matcher, v, true)),
    );
  }
  return patternList.some((m) => matchOne(m as Matcher, value, present));
}

/**
 * EventBridge pattern matching (the subset spokelink and its tests use): exact values, `prefix`, `suffix`,
 * `anything-but` (value, list or prefix), `exists`, `numeric`, `equals-ignore-case`, `wildcard`, `$or`; every field of
 * the pattern must match; a pattern list matches when any element does; an event list matches when any of its
 * elements does (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html).
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error('event pattern: must be an object');
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(expected) || !expected.some((alternative) => matchesPattern(alternative, event))) return false;
      continue;
    }
    const present = isObject(event) && key in event && event[key] !== undefined;
    const value = isObject(event) ? event[key] : undefined;
    if (Array.isArray(expected)) {
      if (!matchLeaf(expected, value, present)) return false;
    } else if (isObject(expected)) {
      if (!present || !isObject(value)) {
        // Only `exists: false` leaves below can match an absent object.
        if (!matchesPattern(expected, {})) return false;
        continue;
      }
      if (!matchesPattern(expected, value)) return false;
    } else {
      throw new Error(`event pattern: "${key}" must be a list or an object`);
    }
  }
  return true;
}

// ---- buses --------------------------------------------------------------------------------------------------------

export interface DeliveryKnobs {
  /** Delay between the event and the delivery to the intake, in ms of the simulation clock (default 0). */
  delayMs?: number | ((event: BusEvent) => number);
  /** Drop this event (best-effort delivery). */
  drop?: (event: BusEvent, n: number) => boolean;
  /** Deliver this event twice. */
  duplicate?: (event: BusEvent, n: number) => boolean;
  /** Random drop / duplicate probabilities, drawn from a seeded generator (`seed`, default 7). */
  dropRate?: number;
  duplicateRate?: number;
  seed?: number;
}

export interface LocalEventBridgeOptions {
  twin: Twin;
  /**
   * Which of the twin's events reach this bridge's default buses, by the event's region (default: all). A hub of
   * several regions has one bridge per region, each taking its region's events (an account's default bus is regional).
   */
  receives?: (region: string) => boolean;
  /** Whether the spoke stack (the forwarding rule) is deployed in this account and region. */
  forwardsFrom: (accountId: string, region: string) => boolean;
  /** Whether the hub bus's resource policy accepts events from this account. */
  hubAccepts: (accountId: string) => boolean;
  hubAccountId: string;
  hubRegion: string;
  /** The target: the intake Lambda (asynchronous invocation). */
  target: (event: BusEvent) => Promise<unknown>;
  /** Hub rules: name -> pattern (default: the CDK app's INTAKE_EVENT_PATTERNS). */
  patterns?: Readonly<Record<string, unknown>>;
  knobs?: DeliveryKnobs;
  /** Lambda async invocation retries on a function error (default 2, after 60 s then 120 s). */
  retryDelaysMs?: number[];
}

export type DeliveryOutcome =
  | 'not-forwarded'
  | 'denied'
  | 'unmatched'
  | 'dropped'
  | 'delivered'
  | 'failed'
  | 'retrying';

/** What happened to one event (per rule for matched events). */
export interface DeliveryRecord {
  eventId: string;
  account: string;
  detailType: string;
  resource?: string;
  rule?: string;
  outcome: DeliveryOutcome;
  at: number;
  attempt?: number;
  duplicate?: boolean;
  error?: string;
}

/**
 * How long the hub rules keep retrying an event the intake cannot take (its region down): the maximum event age of
 * their target's retry policy (INTAKE_TARGET_RETRY, what the hub stack deploys), after which EventBridge sends the
 * event to the rule's dead-letter queue (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html).
 * EventBridge publishes no schedule for the retries (exponential back-off with jitter): the twin's stated timing is
 * that they span the whole age, so an event reaches the intake when its region is back within it, and is
 * dead-lettered otherwise (the reconcile then finds its VPC).
 */
export const MAXIMUM_EVENT_AGE_MS = INTAKE_TARGET_RETRY.maxEventAgeHours * 3_600_000;

/** The local EventBridge of a hub (see the module comment). */
export class LocalEventBridge {
  readonly records: DeliveryRecord[] = [];
  private pendingCount = 0;
  /** Deliveries waiting for the target's region to come back (`suspend`), with when their event reached the bus. */
  private readonly heldDeliveries: { since: number; resume: (expired: boolean) => void }[] = [];
  private suspended = false;
  private seen = 0;
  private readonly random: () => number;
  private unsubscribe: (() => void) | undefined;
  readonly knobs: DeliveryKnobs;

  constructor(private readonly options: LocalEventBridgeOptions) {
    this.knobs = { ...options.knobs };
    this.random = mulberry32(options.knobs?.seed ?? 7);
  }

  /** Starts receiving the twin's events. */
  start(): void {
    const receives = this.options.receives;
    this.unsubscribe ??= this.options.twin.onEvent((event) => {
      if (!receives || receives(String((event as { region?: unknown }).region ?? ''))) this.putOnDefaultBus(event);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Deliveries scheduled or running (the intake included), held ones too. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Deliveries held while the target's region is down (`suspend`). */
  get held(): number {
    return this.heldDeliveries.length;
  }

  /**
   * The intake's region down: from now on each delivery attempt is held instead of made, as EventBridge keeps
   * retrying a target it cannot reach (`MAXIMUM_EVENT_AGE_MS`).
   */
  suspend(): void {
    this.suspended = true;
  }

  /**
   * The intake's region back: held deliveries are made now, oldest first, except those whose event is older than the
   * rule's maximum event age (`MAXIMUM_EVENT_AGE_MS`): those are recorded `failed` (sent to the dead-letter queue; the
   * reconcile finds their VPCs, docs/lifecycle.md "Reconcile").
   */
  resume(): void {
    this.suspended = false;
    const now = Date.now();
    for (const held of this.heldDeliveries.splice(0)) held.resume(now - held.since > MAXIMUM_EVENT_AGE_MS);
  }

  /** An event arriving on the default bus of its account (as the twin emits them, or from an events file). */
  putOnDefaultBus(event: BusEvent): void {
    const account = String((event as { account?: unknown }).account ?? '');
    const region = String((event as { region?: unknown }).region ?? '');
    if (!this.options.forwardsFrom(account, region)) {
      this.record(event, { outcome: 'not-forwarded' });
      return;
    }
    const patterns = this.patterns();
    if (!Object.values(patterns).some((p) => matchesPattern(p, event))) {
      this.record(event, { outcome: 'unmatched' });
      return;
    }
    this.putOnHubBus(event);
  }

  /** An event arriving on the hub bus (forwarded from a spoke, or put directly). */
  putOnHubBus(event: BusEvent): void {
    const account = String((event as { account?: unknown }).account ?? '');
    if (account !== this.options.hubAccountId && !this.options.hubAccepts(account)) {
      this.record(event, { outcome: 'denied' });
      return;
    }
    let matched = false;
    for (const [rule, pattern] of Object.entries(this.patterns())) {
      if (!matchesPattern(pattern, event)) continue;
      matched = true;
      this.seen += 1;
      const n = this.seen;
      const drop = this.knobs.drop?.(event, n) ?? (this.knobs.dropRate ? this.random() < this.knobs.dropRate : false);
      if (drop) {
        this.record(event, { rule, outcome: 'dropped' });
        continue;
      }
      const twice =
        this.knobs.duplicate?.(event, n) ??
        (this.knobs.duplicateRate ? this.random() < this.knobs.duplicateRate : false);
      this.schedule(event, rule, false);
      if (twice) this.schedule(event, rule, true);
    }
    if (!matched) this.record(event, { outcome: 'unmatched' });
  }

  private patterns(): Readonly<Record<string, unknown>> {
    return this.options.patterns ?? INTAKE_EVENT_PATTERNS;
  }

  private schedule(event: BusEvent, rule: string, duplicate: boolean): void {
    const delay = typeof this.knobs.delayMs === 'function' ? this.knobs.delayMs(event) : (this.knobs.delayMs ?? 0);
    this.pendingCount += 1;
    const retries = this.options.retryDelaysMs ?? [60_000, 120_000];
    const since = Date.now();
    const attempt = async (n: number): Promise<void> => {
      if (this.suspended) {
        this.heldDeliveries.push({
          since,
          resume: (expired) => {
            if (!expired) return void attempt(n);
            const error = `dead-lettered: the intake was unavailable for more than the rule's maximum event age (${MAXIMUM_EVENT_AGE_MS / 3_600_000} h)`;
            this.record(event, { rule, outcome: 'failed', attempt: n, duplicate, error });
            this.pendingCount -= 1;
          },
        });
        return;
      }
      try {
        await this.options.target(structuredClone(event));
        this.record(event, { rule, outcome: 'delivered', attempt: n, duplicate });
        this.pendingCount -= 1;
      } catch (error) {
        const retryIn = retries[n - 1];
        if (retryIn === undefined) {
          this.record(event, { rule, outcome: 'failed', attempt: n, duplicate, error: describeError(error) });
          this.pendingCount -= 1;
          return;
        }
        this.record(event, { rule, outcome: 'retrying', attempt: n, duplicate, error: describeError(error) });
        setTimeout(() => void attempt(n + 1), retryIn);
      }
    };
    // Deliveries are asynchronous even without a delay: the tag write returns before the intake runs.
    if (delay > 0) setTimeout(() => void attempt(1), delay);
    else queueMicrotask(() => void attempt(1));
  }

  private record(event: BusEvent, fields: Omit<DeliveryRecord, 'eventId' | 'account' | 'detailType' | 'at'>): void {
    const e = event as { id?: unknown; account?: unknown; 'detail-type'?: unknown; resources?: unknown };
    this.records.push({
      eventId: String(e.id ?? ''),
      account: String(e.account ?? ''),
      detailType: String(e['detail-type'] ?? ''),
      ...(Array.isArray(e.resources) && e.resources.length > 0 ? { resource: String(e.resources[0]) } : {}),
      at: Date.now(),
      ...fields,
    });
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return String(error).slice(0, 500);
}
