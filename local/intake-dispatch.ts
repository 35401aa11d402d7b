import { accountOfExecutionInput } from '#shared/events';
import type { LocalLambdas } from './lambda';
import type { ExecutionRecord } from './sfn';

/**
 * What the hub stack wires around the intake queue (functions/shared/intake-queue.ts), locally:
 * - the Step Functions status-change events of the onboarding and offboarding executions (EventBridge, `aws.states`,
 *   "Step Functions Execution Status Change") delivered to the dispatcher and, for the failed ones, to the failure
 *   notifier;
 * - the minute schedule (EventBridge Scheduler `rate(1 minute)`) of the dispatcher and of the notifier's flush, at
 *   the minute boundaries of the clock. Locally the schedule only ticks while it has work (requests waiting, failures
 *   not yet told): a tick with nothing to do changes nothing.
 *
 * It also keeps what the run shows of the queue: its depth now and its peak, per account.
 */

/** How an execution ended, as the status-change event says it. */
export type EndStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** The EventBridge event Step Functions emits when an execution ends (as the hub's rules receive it). */
export function statusChangeEvent(execution: ExecutionRecord, status: EndStatus, account: string, region: string) {
  return {
    version: '0',
    id: `status-${execution.name}`,
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account,
    time: new Date(execution.stopDate ?? Date.now()).toISOString(),
    region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status,
      startDate: execution.startDate,
      stopDate: execution.stopDate ?? null,
      input: execution.input,
      output: execution.output ?? null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}

export interface QueueView {
  /** Requests waiting now, per account (accounts with none are left out). */
  depthByAccount: Record<string, number>;
  depth: number;
  /** The most requests that waited at one time, and per account. */
  peakDepth: number;
  peakByAccount: Record<string, number>;
}

interface DispatchOutcome {
  queueDepthByAccount?: Record<string, number>;
  heldByAccount?: Record<string, number>;
}

const MINUTE = 60_000;

export class LocalIntakeDispatch {
  private readonly depth = new Map<string, number>();
  /** Of the waiting requests, those the pause holds (`operations.paused`): they wait for the platform team. */
  private readonly held = new Map<string, number>();
  private readonly peakByAccount = new Map<string, number>();
  private peak = 0;
  private inFlight = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private suspended = false;
  /** Failures the notifier holds back (their window is not over): the flush tick runs while there are any. */
  private notificationsPending = false;
  /**
   * A dispatch failed (a Lambda that died, throttling): the rule would retry it; locally the next minute's pass over
   * every account does (it also forgets the executions recorded as running that have ended).
   */
  private dispatchRetry = false;
  readonly errors: string[] = [];

  constructor(
    private readonly options: {
      lambdas: LocalLambdas;
      /** The state machines whose ends free a slot (onboard, offboard). */
      workflowArns: ReadonlySet<string>;
      hubAccount: string;
      region: string;
      now: () => number;
    },
  ) {}

  /**
   * True when no dispatch runs and no request waits, but those the pause holds: they wait for a person, not for the
   * clock (the minute tick still runs while they wait, and starts them once the hub is unpaused).
   */
  get idle(): boolean {
    return this.inFlight === 0 && this.total() - this.totalHeld() === 0 && !this.dispatchRetry;
  }

  view(): QueueView {
    return {
      depthByAccount: Object.fromEntries([...this.depth].filter(([, n]) => n > 0).sort()),
      depth: this.total(),
      peakDepth: this.peak,
      peakByAccount: Object.fromEntries([...this.peakByAccount].sort()),
    };
  }

  /** What the intake answered for an event of `accountId`. */
  observeIntake(accountId: string | undefined, result: unknown): void {
    if (!accountId || typeof result !== 'object' || result === null) return;
    const r = result as { queued?: { queueDepth?: number; heldDepth?: number }; started?: { queueDepth?: number } };
    const depth = r.queued?.queueDepth ?? r.started?.queueDepth;
    if (typeof depth === 'number') this.setDepth(accountId, depth);
    if (typeof depth === 'number') this.held.set(accountId, r.queued?.heldDepth ?? 0);
    this.arm();
  }

  /** An execution ended: its status-change event goes to the dispatcher (and to the notifier when it failed). */
  executionEnded(execution: ExecutionRecord, status: EndStatus): void {
    if (this.stopped || !this.options.workflowArns.has(execution.stateMachineArn)) return;
    const event = statusChangeEvent(execution, status, this.options.hubAccount, this.options.region);
    void this.invoke('dispatch', event);
    if (status !== 'SUCCEEDED') void this.invoke('notify-failures', event);
  }

  /**
   * The region down (`false`): its schedule's minute tick stops (the dispatcher's Lambda is down with it); back
   * (`true`): the tick is armed again if requests wait.
   */
  setRunning(running: boolean): void {
    this.suspended = !running;
    if (this.suspended && this.timer) clearTimeout(this.timer);
    if (this.suspended) this.timer = undefined;
    else this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private total(): number {
    let sum = 0;
    for (const n of this.depth.values()) sum += n;
    return sum;
  }

  private totalHeld(): number {
    let sum = 0;
    for (const n of this.held.values()) sum += n;
    return sum;
  }

  private setDepth(accountId: string, n: number): void {
    this.depth.set(accountId, n);
    this.peakByAccount.set(accountId, Math.max(this.peakByAccount.get(accountId) ?? 0, n));
    this.peak = Math.max(this.peak, this.total());
  }

  private async invoke(name: 'dispatch' | 'notify-failures', payload: unknown): Promise<void> {
    this.inFlight += 1;
    try {
      const result = (await this.options.lambdas.invoke(name, payload)) as DispatchOutcome & { pending?: number };
      if (name === 'notify-failures') this.notificationsPending = (result?.pending ?? 0) > 0;
      else {
        this.observeDispatch(payload, result);
        if ((payload as { source?: string }).source === 'schedule') this.dispatchRetry = false;
      }
    } catch (error) {
      // The rule and the schedule retry; locally the next tick does.
      this.errors.push(`${name}: ${(error as Error).message}`);
      if (name === 'dispatch') this.dispatchRetry = true;
      else this.notificationsPending = true;
    } finally {
      this.inFlight -= 1;
      this.arm();
    }
  }

  private observeDispatch(payload: unknown, result: DispatchOutcome | undefined): void {
    const byAccount = result?.queueDepthByAccount ?? {};
    const heldByAccount = result?.heldByAccount ?? {};
    const scoped = (payload as { source?: string }).source === 'aws.states';
    if (scoped) {
      const account = accountOfExecutionInput((payload as { detail: { input: string } }).detail.input);
      if (account) this.setDepth(account, byAccount[account] ?? 0);
      if (account) this.held.set(account, heldByAccount[account] ?? 0);
    } else {
      for (const account of this.depth.keys()) this.depth.set(account, 0);
      this.held.clear();
      for (const [account, n] of Object.entries(byAccount)) this.setDepth(account, n);
      for (const [account, n] of Object.entries(heldByAccount)) this.held.set(account, n);
    }
  }

  /** Arms the next minute tick while requests wait (or failures wait to be told). */
  private arm(): void {
    if (
      this.stopped ||
      this.suspended ||
      this.timer ||
      (this.total() === 0 && !this.notificationsPending && !this.dispatchRetry)
    )
      return;
    const now = this.options.now();
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (this.total() > 0 || this.dispatchRetry) void this.invoke('dispatch', { source: 'schedule' });
        if (this.notificationsPending) void this.invoke('notify-failures', { source: 'schedule' });
      },
      MINUTE - (now % MINUTE) || MINUTE,
    );
  }
}
