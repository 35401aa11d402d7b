import { type Clock as InstalledClock, withGlobal } from '@sinonjs/fake-timers';
import { mulberry32 } from '#twin/random';

/**
 * The simulation clock. In `virtual` mode, `setTimeout`/`setInterval`/`Date` are faked (@sinonjs/fake-timers) while
 * `setImmediate`, `process.nextTick` and real IO stay real: the driver lets real work settle (promise chains, the
 * in-process DynamoDB emulator's HTTP round trips), then jumps straight to the next timer. A simulated hour of
 * attachment waits and retry backoffs takes the wall time of the code that actually runs.
 *
 * In `real` mode nothing is faked: the same driver polls its predicate on the real clock (the demo for a first-time
 * user who wants to watch the pace of a real onboarding).
 *
 * Everything that reads the time (the twin, aws-local-stepfunctions' Wait/Retry/timeouts, the SDK's retry delays,
 * event timestamps) calls the globals, so it follows whichever clock is installed.
 */

export type ClockMode = 'virtual' | 'real';

/** Real scheduling primitives, captured before any faking, for the driver's own waiting. */
const real = {
  setImmediate: globalThis.setImmediate,
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  dateNow: Date.now,
};

function realTurn(): Promise<void> {
  return new Promise((resolve) => real.setImmediate(resolve));
}

function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => real.setTimeout(resolve, ms));
}

/** Why a run stopped. */
export type StopReason =
  /** The predicate became true. */
  | 'predicate'
  /** No timer pending and no IO in flight: nothing can happen any more. */
  | 'idle'
  /** `maxVirtualMs` (or, in real mode, `maxWallMs`) reached. */
  | 'limit';

export interface RunResult {
  reason: StopReason;
  /** Virtual (or, in real mode, real) ms elapsed during this run. */
  elapsedMs: number;
  /** Wall-clock ms this run took. */
  wallMs: number;
  /** Timers fired by the driver (virtual mode). */
  timersFired: number;
}

export interface RunOptions {
  /** Stop before the clock would pass this many ms from the start of the run. Default: 30 simulated days. */
  maxVirtualMs?: number;
  /** Real mode: stop after this many real ms. Default: 15 minutes. */
  maxWallMs?: number;
}

export interface ClockOptions {
  /** Start time of the virtual clock (epoch ms or Date). Default: the real current time. */
  now?: number | Date;
  /** Real event-loop turns with nothing in flight that count as "settled" (default 3). */
  settleTurns?: number;
  /**
   * Virtual mode: replace `Math.random` with a generator seeded with this value while installed, so retry jitter
   * (the interpreter's `JitterStrategy: FULL`, the SDK's back-off) and everything else random repeats run to run.
   */
  randomSeed?: number;
}

const DEFAULT_MAX_VIRTUAL_MS = 30 * 24 * 3_600_000;
const DEFAULT_MAX_WALL_MS = 15 * 60_000;

interface TimerPeek {
  callAt: number;
}

/** A clock the simulation runs on; see the module comment. */
export class SimClock {
  readonly mode: ClockMode;
  private fake: InstalledClock | undefined;
  private inflight = 0;
  private readonly settleTurns: number;
  private readonly startNow: number;
  private startWall = 0;
  private startVirtual = 0;
  private fired = 0;
  private readonly randomSeed: number | undefined;
  private realRandom: (() => number) | undefined;

  constructor(mode: ClockMode, options: ClockOptions = {}) {
    this.mode = mode;
    const now = options.now ?? real.dateNow();
    this.startNow = typeof now === 'number' ? now : now.getTime();
    this.settleTurns = options.settleTurns ?? 3;
    this.randomSeed = options.randomSeed;
  }

  /** Installs the fake timers (virtual mode; no-op in real mode). Idempotent. */
  install(): this {
    if (this.mode === 'virtual' && !this.fake) {
      this.fake = withGlobal(globalThis).install({
        now: this.startNow,
        toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
        // Timers created before the install (and the -1 "no timer" ids the SDK's HTTP handler clears) are
        // cleared by the real clearTimeout instead of a warning.
        shouldClearNativeTimers: true,
      });
      if (this.randomSeed !== undefined) {
        this.realRandom = Math.random;
        Math.random = mulberry32(this.randomSeed);
      }
    }
    this.startWall = real.dateNow();
    this.startVirtual = this.now();
    return this;
  }

  /** Restores the real timers. Pending fake timers are dropped. Idempotent. */
  uninstall(): void {
    if (this.fake) {
      this.fake.uninstall();
      this.fake = undefined;
    }
    if (this.realRandom) {
      Math.random = this.realRandom;
      this.realRandom = undefined;
    }
  }

  get installed(): boolean {
    return this.fake !== undefined;
  }

  /** The clock's current time (epoch ms). */
  now(): number {
    return this.fake ? this.fake.now : Date.now();
  }

  /** Timers pending on the fake clock (0 in real mode: real timers cannot be counted). */
  pendingTimers(): number {
    return this.fake ? this.fake.countTimers() : 0;
  }

  /** Real IO requests in flight (DynamoDB HTTP round trips). The driver never advances time while this is > 0. */
  get ioInFlight(): number {
    return this.inflight;
  }

  /** Marks the start of a real IO operation; call the returned function once it has completed. */
  ioStarted(): () => void {
    this.inflight += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inflight -= 1;
    };
  }

  /** Runs `work` as tracked IO. */
  async trackIo<T>(work: () => Promise<T>): Promise<T> {
    const done = this.ioStarted();
    try {
      return await work();
    } finally {
      done();
    }
  }

  /**
   * Lets real work settle: runs real event-loop turns until `settleTurns` consecutive turns saw no IO in flight.
   * Promise chains drain within a turn; socket round trips need turns of the poll phase.
   */
  async settle(): Promise<void> {
    let quiet = 0;
    let spins = 0;
    while (quiet < this.settleTurns) {
      await realTurn();
      if (this.inflight > 0) {
        quiet = 0;
        spins += 1;
        // Yield to the poll phase for real: a long IO (dynalite under load) should not spin a core.
        if (spins % 64 === 0) await realSleep(1);
      } else {
        quiet += 1;
      }
    }
  }

  /** Virtual mode: runs until no timer is pending and no IO is in flight. Real mode: see `runUntil`. */
  runUntilIdle(options: RunOptions = {}): Promise<RunResult> {
    return this.runUntil(() => false, options);
  }

  /**
   * Drives the clock until `predicate()` holds (checked after every settle), nothing more can happen (virtual mode:
   * no timer and no IO), or the limit is reached. In virtual mode each step settles real work then fires the next
   * timer (`clock.next()`), so timers fire in time order and `Date.now()` reads each timer's due time.
   * In real mode it polls the predicate every 10 ms of real time (idle when `predicate` has no opinion: use it).
   */
  async runUntil(predicate: () => boolean, options: RunOptions = {}): Promise<RunResult> {
    const wallStart = real.dateNow();
    const start = this.now();
    const firedStart = this.fired;
    const result = (reason: StopReason): RunResult => ({
      reason,
      elapsedMs: this.now() - start,
      wallMs: real.dateNow() - wallStart,
      timersFired: this.fired - firedStart,
    });

    if (!this.fake) {
      const maxWall = options.maxWallMs ?? DEFAULT_MAX_WALL_MS;
      for (;;) {
        await this.settle();
        if (predicate()) return result('predicate');
        if (real.dateNow() - wallStart >= maxWall) return result('limit');
        await realSleep(10);
      }
    }

    const fake = this.fake;
    const limitAt = start + (options.maxVirtualMs ?? DEFAULT_MAX_VIRTUAL_MS);
    for (;;) {
      await this.settle();
      if (predicate()) return result('predicate');
      if (fake.countTimers() === 0) return result('idle');
      const nextAt = peekNextTimer(fake);
      if (nextAt !== undefined && nextAt > limitAt) {
        fake.setSystemTime(limitAt);
        return result('limit');
      }
      fake.next();
      this.fired += 1;
      if (nextAt === undefined && fake.now > limitAt) return result('limit');
    }
  }

  /** Virtual and wall ms since `install()`. */
  stats(): { mode: ClockMode; virtualMs: number; wallMs: number; timersFired: number; speedup: number } {
    const virtualMs = this.now() - this.startVirtual;
    const wallMs = Math.max(1, real.dateNow() - this.startWall);
    return { mode: this.mode, virtualMs, wallMs, timersFired: this.fired, speedup: virtualMs / wallMs };
  }
}

/**
 * Due time of the earliest fake timer. fake-timers keeps its timers in a min-heap (`clock.timerHeap.peek()`) without
 * a public peek; undefined when that internal shape is absent (the driver then checks the limit after firing).
 */
function peekNextTimer(clock: InstalledClock): number | undefined {
  const heap = (clock as unknown as { timerHeap?: { peek?: () => TimerPeek | undefined } }).timerHeap;
  const first = typeof heap?.peek === 'function' ? heap.peek() : undefined;
  return typeof first?.callAt === 'number' ? first.callAt : undefined;
}

/** Real (unfaked) wall-clock milliseconds: for measuring how long a simulation took. */
export function wallNow(): number {
  return real.dateNow();
}

/** Sleeps on the real clock even while fake timers are installed. */
export function realDelay(ms: number): Promise<void> {
  return realSleep(ms);
}
