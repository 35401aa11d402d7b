import { realDelay, SimClock } from '#local/clock';

describe('SimClock (virtual)', () => {
  let clock: SimClock;
  afterEach(() => clock?.uninstall());

  it('fires timers in due order and Date.now() reads each timer its due time', async () => {
    const start = Date.UTC(2026, 0, 1);
    clock = new SimClock('virtual', { now: start }).install();
    const seen: [string, number][] = [];
    setTimeout(() => seen.push(['c', Date.now() - start]), 300_000);
    setTimeout(() => seen.push(['a', Date.now() - start]), 1_000);
    setTimeout(() => seen.push(['b', Date.parse(new Date().toISOString()) - start]), 90_000);

    const result = await clock.runUntilIdle();

    expect(seen).toEqual([
      ['a', 1_000],
      ['b', 90_000],
      ['c', 300_000],
    ]);
    expect(result).toMatchObject({ reason: 'idle', elapsedMs: 300_000, timersFired: 3 });
  });

  it('lets promise chains scheduled by a timer run before the next timer fires', async () => {
    clock = new SimClock('virtual', { now: 0 }).install();
    const seen: string[] = [];
    setTimeout(async () => {
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
      seen.push('chain-done');
      setTimeout(() => seen.push('from-chain@5'), 0);
    }, 5);
    setTimeout(() => seen.push('t@10'), 10);

    await clock.runUntilIdle();

    expect(seen).toEqual(['chain-done', 'from-chain@5', 't@10']);
  });

  it('never advances the clock while tracked IO is in flight', async () => {
    clock = new SimClock('virtual', { now: 0 }).install();
    const seen: string[] = [];
    setTimeout(() => seen.push(`timer@${Date.now()}`), 1);
    void clock.trackIo(async () => {
      await realDelay(40);
      seen.push(`io-done@${Date.now()}`);
    });

    await clock.runUntilIdle();

    expect(seen).toEqual(['io-done@0', 'timer@1']);
  });

  it('stops when the predicate holds, leaving later timers pending', async () => {
    clock = new SimClock('virtual', { now: 0 }).install();
    let ticks = 0;
    const interval = setInterval(() => {
      ticks += 1;
    }, 1_000);

    const result = await clock.runUntil(() => ticks >= 3);

    expect(result.reason).toBe('predicate');
    expect(clock.now()).toBe(3_000);
    expect(clock.pendingTimers()).toBe(1);
    clearInterval(interval);
  });

  it('stops at maxVirtualMs without firing timers due after it', async () => {
    clock = new SimClock('virtual', { now: 0 }).install();
    let fired = false;
    setTimeout(() => {
      fired = true;
    }, 60_000);

    const result = await clock.runUntilIdle({ maxVirtualMs: 10_000 });

    expect(result.reason).toBe('limit');
    expect(fired).toBe(false);
    expect(clock.now()).toBe(10_000);
  });

  it('reports virtual time far beyond the wall time it took', async () => {
    clock = new SimClock('virtual', { now: 0 }).install();
    setTimeout(() => undefined, 3_600_000);
    await clock.runUntilIdle();

    const stats = clock.stats();

    expect(stats.virtualMs).toBe(3_600_000);
    expect(stats.wallMs).toBeLessThan(5_000);
    expect(stats.speedup).toBeGreaterThan(100);
  });

  it('restores the real timers and Date on uninstall', () => {
    clock = new SimClock('virtual', { now: 0 }).install();
    expect(Date.now()).toBe(0);
    clock.uninstall();
    expect(Date.now()).toBeGreaterThan(1_700_000_000_000);
  });
});

describe('SimClock (real)', () => {
  it('polls the predicate on the real clock without faking timers', async () => {
    const clock = new SimClock('real').install();
    let done = false;
    setTimeout(() => {
      done = true;
    }, 30);

    const result = await clock.runUntil(() => done, { maxWallMs: 5_000 });

    expect(result.reason).toBe('predicate');
    expect(result.wallMs).toBeGreaterThanOrEqual(25);
    expect(clock.installed).toBe(false);
  });
});

describe('SimClock random seed', () => {
  it('makes Math.random repeat for the same seed while installed, and restores it after', () => {
    const draw = () => {
      const clock = new SimClock('virtual', { now: 0, randomSeed: 42 }).install();
      const values = [Math.random(), Math.random(), Math.random()];
      clock.uninstall();
      return values;
    };
    const original = Math.random;

    const first = draw();
    const second = draw();

    expect(second).toEqual(first);
    expect(new Set(first).size).toBe(3);
    expect(Math.random).toBe(original);
  });
});
