import type { TwinError } from './errors';
import type { CallContext, OperationInput, ServiceName } from './types';

/**
 * Fault injection at any AWS call position, for reliability tests and simulations.
 * - `error` before the call: the call has no effect and fails (throttling, 5xx, ...).
 * - `error` with `afterEffect: true`: the call takes effect, then the response is lost (a timeout as the SDK sees it).
 * - `delayMs`: the call takes that long (on the twin's clock).
 */
export interface FaultRule {
  service?: ServiceName;
  operation?: string;
  accountId?: string;
  /** Further condition on the call. */
  when?: (ctx: CallContext, input: OperationInput) => boolean;
  /** Skip this many matching calls before the rule starts applying. */
  skip?: number;
  /** Apply to at most this many matching calls (default: unlimited). */
  times?: number;
  error?: () => TwinError | Error;
  afterEffect?: boolean;
  delayMs?: number;
}

export interface ActiveFault {
  rule: FaultRule;
  matched: number;
  applied: number;
}

export class Faults {
  private rules: ActiveFault[] = [];

  add(rule: FaultRule): ActiveFault {
    const active = { rule, matched: 0, applied: 0 };
    this.rules.push(active);
    return active;
  }

  clear(): void {
    this.rules = [];
  }

  /** The faults that apply to this call (each counted once per call). */
  match(ctx: CallContext, input: OperationInput): FaultRule[] {
    const out: FaultRule[] = [];
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.service && rule.service !== ctx.service) continue;
      if (rule.operation && rule.operation !== ctx.operation) continue;
      if (rule.accountId && rule.accountId !== ctx.caller.accountId) continue;
      if (rule.when && !rule.when(ctx, input)) continue;
      active.matched += 1;
      if (active.matched <= (rule.skip ?? 0)) continue;
      if (rule.times !== undefined && active.applied >= rule.times) continue;
      active.applied += 1;
      out.push(rule);
    }
    return out;
  }
}
