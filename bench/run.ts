import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { DEFAULT_TIMINGS } from '#twin/twin';
import { type BulkResult, SIMULATION_CPU_BASELINE } from './bulk';
import { type BundleMeasurement, measureBundles } from './bundles';
import {
  convergenceProblems,
  FAULT_VPCS,
  type FaultRunResult,
  faultFree,
  faultScenarios,
  offboardingProblems,
  runFaultScenario,
  successStatus,
} from './faults';
import { violations } from './invariants';
import { type Job, JobPool } from './jobs';
import { LOWER_BOUND_FORMULA } from './lower-bound';
import {
  CALL_LATENCY_MS,
  FIRST_IN_ACCOUNT_VPC,
  FIRST_OUTSIDE_ORG_VPC,
  MEASURED_VPC,
  measureOnboarding,
  minimumCalls,
  WARMUP_VPC,
  withBaselineStateMachine,
} from './onboarding';
import { exampleConfig, fullTransitGatewayWorld, ZONES_DAY_HUB_EXECUTIONS } from './worlds';

/**
 * `npm run bench`: the performance and reliability figures of spokelink, each measured in the same run as its
 * baseline, written to bench/results.json and printed as a table. docs/performance.md explains every figure.
 *
 *   npm run bench                      # everything, full sizes (about an hour on 2 cores, set by bulk5000: docs/performance.md)
 *   npm run bench -- --only onboarding,bundles
 *   npm run bench -- --accounts 10 --vpcs-per-account 10 --fault-runs 20 --out /tmp/results.json
 */

const SECTIONS = ['onboarding', 'bulk', 'bulk5000', 'limits', 'faults', 'bundles'] as const;
type Section = (typeof SECTIONS)[number];

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    accounts: { type: 'string', default: '100' },
    'vpcs-per-account': { type: 'string', default: '10' },
    'fault-runs': { type: 'string', default: '100' },
    'import-runs': { type: 'string', default: '9' },
    seed: { type: 'string', default: '7' },
    /** bulk5000: accounts and VPCs (default 500 accounts and every VPC that fits the TGW, plus the next one). */
    'bulk5000-accounts': { type: 'string', default: '500' },
    'bulk5000-vpcs': { type: 'string' },
    /** bulk5000 reduced: fill the rest of the TGW with VPCs attached before the run, so that the next VPC meets it. */
    'bulk5000-fill': { type: 'boolean', default: false },
    /** Bulk: also run profile mode at half and double the AssociateProfile timing (two more runs). */
    'profile-timings': { type: 'boolean', default: true },
    /** Bulk: the DNS modes of the 1,000-VPC day (`profile` alone: the profile day and its sensitivity, no zones run). */
    'bulk-modes': { type: 'string', default: 'zones,profile' },
    /**
     * Bulk: the half/double timing runs (and the stated timing as their reference) use this many accounts: 10 (100
     * VPCs each) by default, as the committed figures do; at --accounts they would take as long as the profile day each.
     */
    'sensitivity-accounts': { type: 'string', default: '10' },
    /** Bulk: the zones day's `intake.maxConcurrentExecutions` (see ZONES_DAY_HUB_EXECUTIONS; the profile day's is the default). */
    'zones-hub-executions': { type: 'string', default: String(ZONES_DAY_HUB_EXECUTIONS) },
    out: { type: 'string', default: join(__dirname, 'results.json') },
    /** Simulations (bulk, bulk5000) run in child processes, this many at once (default: the machine's cores). */
    jobs: { type: 'string' },
  },
});
const only = new Set((flags.only?.split(',') ?? SECTIONS).map((s) => s.trim()) as Section[]);
const bulkModes = new Set(flags['bulk-modes'].split(',').map((s) => s.trim()));
for (const m of bulkModes)
  if (m !== 'zones' && m !== 'profile') throw new Error(`--bulk-modes: unknown mode ${m} (zones, profile)`);
if (!bulkModes.has('profile')) throw new Error('--bulk-modes: profile is always run (zones is the optional one)');
for (const s of only)
  if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s} (${SECTIONS.join(', ')})`);

const log = (text: string) => process.stderr.write(`${text}\n`);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Seeds of the onboarding measurements: each draws another attachment time (60-300 s), so polls meet it at another phase. */
const ONBOARDING_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const PENDING: [number, number] = [60_000, 300_000];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function onboardingSection() {
  log(`onboarding: the example world, ${ONBOARDING_SEEDS.length} seeds, then the sequential 15 s-polling baseline ...`);
  const vpcs = [WARMUP_VPC, MEASURED_VPC];
  const runs = async (vpcList: string[], stateMachinesDir?: string) => {
    const out = [];
    for (const seed of ONBOARDING_SEEDS) {
      out.push(
        await measureOnboarding({
          vpcs: vpcList,
          seed,
          attachmentPendingMs: PENDING,
          ...(stateMachinesDir ? { stateMachinesDir } : {}),
        }),
      );
    }
    return out;
  };
  const ours = await runs(vpcs);
  const first = await runs([FIRST_IN_ACCOUNT_VPC]);
  const baseline = await withBaselineStateMachine((dir) => runs(vpcs, dir));
  const baselineFirst = await withBaselineStateMachine((dir) => runs([FIRST_IN_ACCOUNT_VPC], dir));
  const outside = await runs([FIRST_OUTSIDE_ORG_VPC]);
  const baselineOutside = await withBaselineStateMachine((dir) => runs([FIRST_OUTSIDE_ORG_VPC], dir));
  const minimum = minimumCalls(exampleConfig(), 'prod', 1);
  type Run = (typeof ours)[number];
  const avg = (xs: Run[], key: 'apiCalls' | 'stateTransitions' | 'lambdaInvocations' | 'criticalPathOverheadSeconds') =>
    round(mean(xs.map((x) => x[key])), 2);
  const worst = (xs: Run[]) => round(Math.max(...xs.map((x) => x.criticalPathOverheadSeconds)), 2);
  function firstOf(vpcId: string, xs: Run[], baselines: Run[]) {
    return {
      vpcId,
      criticalPathOverheadSeconds: avg(xs, 'criticalPathOverheadSeconds'),
      criticalPathOverheadWorstSeconds: worst(xs),
      baselineOverheadSeconds: avg(baselines, 'criticalPathOverheadSeconds'),
      apiCalls: avg(xs, 'apiCalls'),
      baselineApiCalls: avg(baselines, 'apiCalls'),
      stateTransitions: avg(xs, 'stateTransitions'),
      lambdaInvocations: avg(xs, 'lambdaInvocations'),
    };
  }
  return {
    vpcId: MEASURED_VPC,
    runs: ONBOARDING_SEEDS.length,
    callLatencyMs: CALL_LATENCY_MS,
    attachmentPendingSeconds: ours.map((x) => round(x.attachmentSeconds)),
    associationSeconds: ours.map((x) => round(x.associationSeconds)),
    apiCalls: avg(ours, 'apiCalls'),
    minimumApiCalls: minimum.reduce((sum, c) => sum + c.count, 0),
    minimumCalls: minimum,
    callsByOperation: ours[0]!.callsByOperation,
    stateTransitions: avg(ours, 'stateTransitions'),
    lambdaInvocations: avg(ours, 'lambdaInvocations'),
    criticalPathOverheadSeconds: avg(ours, 'criticalPathOverheadSeconds'),
    criticalPathOverheadWorstSeconds: worst(ours),
    criticalPathOverheadRuns: ours.map((x) => round(x.criticalPathOverheadSeconds, 2)),
    baselineOverheadSeconds: avg(baseline, 'criticalPathOverheadSeconds'),
    baselineOverheadWorstSeconds: worst(baseline),
    baselineOverheadRuns: baseline.map((x) => round(x.criticalPathOverheadSeconds, 2)),
    baselineApiCalls: avg(baseline, 'apiCalls'),
    baselineStateTransitions: avg(baseline, 'stateTransitions'),
    baselineLambdaInvocations: avg(baseline, 'lambdaInvocations'),
    // The first VPC of an organization account (the TGW is shared with the organization at deploy time) and of an
    // account outside it (a share of its own, accepted through a RAM invitation, then RAM's visibility delay).
    firstInAccount: firstOf(FIRST_IN_ACCOUNT_VPC, first, baselineFirst),
    firstInAccountOutsideOrg: firstOf(FIRST_OUTSIDE_ORG_VPC, outside, baselineOutside),
  };
}

function bulkFigures(result: BulkResult) {
  const throttlingRetries = Object.entries(result.stateRetries)
    .filter(([key]) => /RequestLimitExceeded|Throttling|ThrottlingException|TooManyRequests/.test(key))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    vpcs: result.vpcs,
    connected: result.connected,
    failed: result.executions.failed,
    executions: result.executions,
    duplicates: result.invariants.duplicates.length,
    lostRecords: result.invariants.lost.length,
    orphans: result.invariants.orphans.length,
    makespanSeconds: round(result.makespanSeconds),
    lowerBoundSeconds: result.lowerBound.seconds,
    lowerBoundBucketsAndLatencySeconds: result.lowerBound.bucketsAndLatencySeconds,
    makespanOverLowerBound: round(result.makespanSeconds / result.lowerBound.seconds, 3),
    lowerBound: result.lowerBound,
    throttledCalls: result.throttledCalls,
    throttlingRetries,
    stateRetries: result.stateRetries,
    throttledByOperation: result.throttledByOperation,
    awsCalls: result.awsCalls,
    stateTransitions: result.stateTransitions,
    lambdaInvocations: result.lambdaInvocations,
    wallSeconds: round(result.wallSeconds),
    cpuSeconds: round(result.cpuSeconds),
    cpuSecondsPerVpc: round(result.cpuSecondsPerVpc, 3),
    notConnected: result.notConnected.slice(0, 20),
    failures: result.failures.slice(0, 20),
  };
}

/**
 * The migration day in both DNS modes, same world and seed: `zones` (each VPC associated with each zone, the top-level
 * figures as before) and `profile` (one AssociateProfile per VPC), then profile mode at half and double the stated
 * AssociateProfile timing (AWS publishes none: DEFAULT_TIMINGS.profileAssociationMs).
 */
async function bulkSection(pool: JobPool) {
  const accounts = Number(flags.accounts);
  const vpcsPerAccount = Number(flags['vpcs-per-account']);
  const seed = Number(flags.seed);
  const sensitivityAccounts = Math.min(Number(flags['sensitivity-accounts']), accounts);
  if (!Number.isInteger(sensitivityAccounts) || sensitivityAccounts < 1) {
    throw new Error(
      `--sensitivity-accounts: a positive whole number of accounts, not ${flags['sensitivity-accounts']}`,
    );
  }
  const zonesHubExecutions = Number(flags['zones-hub-executions']);
  if (!Number.isInteger(zonesHubExecutions) || zonesHubExecutions < 1) {
    throw new Error(
      `--zones-hub-executions: a positive whole number of executions, not ${flags['zones-hub-executions']}`,
    );
  }
  const job = (mode: 'zones' | 'profile', profileAssociationMs?: number, jobAccounts = accounts): Job => ({
    kind: 'bulk',
    accounts: jobAccounts,
    vpcsPerAccount,
    mode,
    seed,
    ...(mode === 'zones' ? { hubExecutions: zonesHubExecutions } : {}),
    ...(profileAssociationMs === undefined ? {} : { profileAssociationMs }),
  });
  const profileRun = (profileAssociationMs: number, jobAccounts = accounts) => {
    log(
      `bulk: profile mode, ${jobAccounts * vpcsPerAccount} VPCs, AssociateProfile ${profileAssociationMs / 1000} s (job) ...`,
    );
    return pool
      .run(job('profile', profileAssociationMs, jobAccounts))
      .then((r) => ({ profileAssociationMs, ...bulkFigures(r) }));
  };
  log(`bulk: ${accounts * vpcsPerAccount} VPCs in ${accounts} accounts tagged within one minute, zones mode (job) ...`);
  const stated = DEFAULT_TIMINGS.profileAssociationMs;
  // Every run is its own process (same world, same seed): all four at once, as many in parallel as the pool allows.
  const zonesRun = bulkModes.has('zones') ? pool.run(job('zones')).then(bulkFigures) : undefined;
  const profileStated = profileRun(stated);
  // The sensitivity to the stated timing: the stated timing again at the sensitivity's size (the reference), half, double.
  const sized = sensitivityAccounts !== accounts;
  const referenceRun = flags['profile-timings'] && sized ? profileRun(stated, sensitivityAccounts) : undefined;
  const halfRun = flags['profile-timings'] ? profileRun(stated / 2, sensitivityAccounts) : undefined;
  const doubleRun = flags['profile-timings'] ? profileRun(stated * 2, sensitivityAccounts) : undefined;
  const zones = await zonesRun;
  const profile = await profileStated;
  if (!zones) log('bulk: --bulk-modes profile: no zones run (the top-level bulk figures are those of profile mode)');
  const brief = (r: ReturnType<typeof bulkFigures> & { profileAssociationMs?: number; vpcs?: number }) => ({
    ...(r.profileAssociationMs === undefined ? {} : { profileAssociationMs: r.profileAssociationMs }),
    ...(r.vpcs === undefined ? {} : { vpcs: r.vpcs }),
    connected: r.connected,
    failed: r.failed,
    makespanSeconds: r.makespanSeconds,
    lowerBoundSeconds: r.lowerBoundSeconds,
    makespanOverLowerBound: r.makespanOverLowerBound,
    binding: r.lowerBound.binding,
    cpuSecondsPerVpc: r.cpuSecondsPerVpc,
  });
  const sensitivity =
    halfRun && doubleRun
      ? {
          ...(referenceRun ? { stated: brief(await referenceRun) } : {}),
          half: brief(await halfRun),
          double: brief(await doubleRun),
        }
      : undefined;
  return {
    accounts,
    zonesHubExecutions,
    ...(zones ?? profile),
    ...(zones ? { zones: brief(zones) } : {}),
    profile: { ...brief(profile), ...(sensitivity ? { sensitivity } : {}) },
    ...(zones ? { profileSpeedUp: round(zones.makespanSeconds / profile.makespanSeconds, 2) } : {}),
    profileDetail: profile,
  };
}

/**
 * issue 19's `bulk5000`: every spoke VPC that fits one TGW (5,000 attachments minus the hub's own and peering ones) in
 * 500 accounts, Profile mode with aggregated ingress, adjustable quotas raised (stated with their pages); then the
 * next VPC asks and is rejected naming the attachment quota (`next.rejectedNamingQuota`). With `--bulk5000-vpcs N`
 * (reduced) the TGW is not full (`full: false`) unless `--bulk5000-fill` fills it with VPCs attached before the run
 * (stated in `capacity.otherAttachments`).
 */
async function bulk5000Section(pool: JobPool) {
  const accounts = Number(flags['bulk5000-accounts']);
  const vpcs = flags['bulk5000-vpcs'] === undefined ? undefined : Number(flags['bulk5000-vpcs']);
  const fill = flags['bulk5000-fill'];
  const bulk = fullTransitGatewayWorld({
    accounts,
    ...(vpcs === undefined ? {} : { vpcs }),
    ...(fill ? { fillWithAttached: true } : {}),
  });
  log(`bulk5000: ${bulk.spokes.length} VPCs in ${accounts} accounts, Profile mode, then the next VPC (job) ...`);
  const result = await pool.run({
    kind: 'bulk5000',
    accounts,
    ...(vpcs === undefined ? {} : { vpcs }),
    ...(fill ? { fill } : {}),
    seed: Number(flags.seed),
  });
  const figures = bulkFigures(result);
  return {
    vpcs: figures.vpcs,
    connected: figures.connected,
    failed: figures.failed,
    duplicates: figures.duplicates,
    makespanSeconds: figures.makespanSeconds,
    lowerBoundSeconds: figures.lowerBoundSeconds,
    makespanOverLowerBound: figures.makespanOverLowerBound,
    wallSeconds: figures.wallSeconds,
    cpuSeconds: figures.cpuSeconds,
    cpuSecondsPerVpc: figures.cpuSecondsPerVpc,
    accounts,
    full: bulk.spokes.length + bulk.config.capacity.otherAttachments === 5_000,
    filledWithAttached: fill,
    hubAttachments: bulk.hubAttachments,
    raisedQuotas: bulk.raisedQuotas,
    next: result.next!,
    detail: figures,
  };
}

async function limitsSection(pool: JobPool) {
  log(
    'limits: 5,000 attachments on one TGW (4,899 attached before, 110 asking), then the 300-VPC zone limit (310 VPCs asking for the same zones) (jobs) ...',
  );
  const seed = Number(flags.seed);
  const [tgw, zone] = await Promise.all([
    pool.run({ kind: 'limits', limit: 'transitGateway5000', seed }),
    pool.run({ kind: 'limits', limit: 'zone300', seed }),
  ]);
  const summary = (r: BulkResult) => ({
    vpcs: r.vpcs,
    connected: r.connected,
    failed: r.executions.failed,
    violations: violations(r.invariants),
    invariants: r.invariants,
    statuses: [
      ...new Set(r.notConnected.map((v) => `${v.status}: ${(v.detail ?? '').replace(/vpc-[0-9a-f]+/g, 'vpc-…')}`)),
    ],
    failureErrors: [...new Set(r.failures.map((f) => f.error))],
    makespanSeconds: round(r.makespanSeconds),
    wallSeconds: round(r.wallSeconds),
  });
  return { transitGateway5000: { alreadyAttached: 4_899 + 1, ...summary(tgw) }, zone300: summary(zone) };
}

async function faultsSection() {
  const runs = Number(flags['fault-runs']);
  const out: Record<string, unknown> = {};
  for (const workflow of ['onboard', 'offboard'] as const) {
    log(`faults: ${workflow}, ${runs} fault schedules ...`);
    const references = new Map<string, FaultRunResult>();
    for (const vpcId of FAULT_VPCS) references.set(vpcId, await faultFree(vpcId, workflow));
    const tally = { runs: 0, faultsInjected: 0, endedAsFaultFree: 0, failedThenConverged: 0, problems: [] as string[] };
    await fc.assert(
      fc.asyncProperty(faultScenarios(workflow === 'onboard' ? 90 : 60, workflow), async (scenario) => {
        const outcome = await runFaultScenario(scenario);
        tally.runs += 1;
        tally.faultsInjected += outcome.first.injected;
        if (outcome.first.status === successStatus(scenario)) tally.endedAsFaultFree += 1;
        else if (outcome.rerun?.status === successStatus(scenario)) tally.failedThenConverged += 1;
        const problems = convergenceProblems(outcome, references.get(scenario.vpcId)!);
        for (const p of problems) tally.problems.push(`${JSON.stringify(scenario)}: ${p}`);
        return true;
      }),
      { numRuns: runs, seed: workflow === 'onboard' ? 7_000 : 7_001 },
    );
    out[workflow] = tally;
  }
  // Offboarding after a faulted onboarding (which may have ended failed): nothing may be left behind.
  log(`faults: onboarding then offboarding, ${runs} fault schedules ...`);
  const afterOffboarding = new Map<string, FaultRunResult>();
  for (const vpcId of FAULT_VPCS) afterOffboarding.set(vpcId, await faultFree(vpcId, 'offboard'));
  const tally = { runs: 0, faultsInjected: 0, onboardingFailed: 0, problems: [] as string[] };
  await fc.assert(
    fc.asyncProperty(faultScenarios(90, 'onboard'), async (schedule) => {
      const scenario = { ...schedule, thenOffboard: true };
      const outcome = await runFaultScenario(scenario);
      tally.runs += 1;
      tally.faultsInjected += outcome.first.injected;
      if (outcome.first.status !== 'connected') tally.onboardingFailed += 1;
      const problems = offboardingProblems(outcome, afterOffboarding.get(scenario.vpcId)!);
      for (const p of problems) tally.problems.push(`${JSON.stringify(scenario)}: ${p}`);
      return true;
    }),
    { numRuns: runs, seed: 7_002 },
  );
  out.onboardThenOffboard = tally;
  return out;
}

async function bundlesSection(): Promise<BundleMeasurement[]> {
  log('bundles: esbuild as the CDK app bundles, then cold imports ...');
  return measureBundles(Number(flags['import-runs']));
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function printTable(results: Record<string, unknown>): void {
  const rows: [string, string, string][] = [];
  const o = results.onboarding as Awaited<ReturnType<typeof onboardingSection>> | undefined;
  if (o) {
    rows.push([
      'onboarding.apiCalls',
      String(o.apiCalls),
      `minimum ${o.minimumApiCalls}, baseline ${o.baselineApiCalls}`,
    ]);
    rows.push(['onboarding.stateTransitions', String(o.stateTransitions), `baseline ${o.baselineStateTransitions}`]);
    rows.push(['onboarding.lambdaInvocations', String(o.lambdaInvocations), `baseline ${o.baselineLambdaInvocations}`]);
    rows.push([
      'onboarding.criticalPathOverheadSeconds',
      `${o.criticalPathOverheadSeconds} (worst ${o.criticalPathOverheadWorstSeconds})`,
      `baseline ${o.baselineOverheadSeconds} (worst ${o.baselineOverheadWorstSeconds}); target < 5`,
    ]);
    rows.push([
      'onboarding.firstInAccount.overhead',
      `${o.firstInAccount.criticalPathOverheadSeconds} (worst ${o.firstInAccount.criticalPathOverheadWorstSeconds})`,
      `baseline ${o.firstInAccount.baselineOverheadSeconds}; organization share, target < 5`,
    ]);
    rows.push([
      'onboarding.firstInAccountOutsideOrg',
      `${o.firstInAccountOutsideOrg.criticalPathOverheadSeconds} (worst ${o.firstInAccountOutsideOrg.criticalPathOverheadWorstSeconds})`,
      `baseline ${o.firstInAccountOutsideOrg.baselineOverheadSeconds}; RAM invitation and share visibility`,
    ]);
  }
  const b = results.bulk as Awaited<ReturnType<typeof bulkSection>> | undefined;
  if (b) {
    rows.push([
      'bulk.vpcs / connected / failed',
      `${b.vpcs} / ${b.connected} / ${b.failed}`,
      `duplicates ${b.duplicates}`,
    ]);
    rows.push([
      'bulk.makespanSeconds',
      String(b.makespanSeconds),
      `lower bound ${b.lowerBoundSeconds} (${b.lowerBound.binding}); ratio ${b.makespanOverLowerBound} (target <= 1.25)`,
    ]);
    rows.push([
      'bulk.lowerBound without the zones',
      String(b.lowerBoundBucketsAndLatencySeconds),
      'token buckets and attachment latency only',
    ]);
    rows.push(['bulk.throttledCalls / retries', `${b.throttledCalls} / ${b.throttlingRetries}`, '']);
    rows.push([
      'bulk.profile.makespanSeconds',
      String(b.profile.makespanSeconds),
      `lower bound ${b.profile.lowerBoundSeconds} (${b.profile.binding}); ratio ${b.profile.makespanOverLowerBound} ` +
        `(target <= 1.25); ${b.profile.connected} connected` +
        (b.profileSpeedUp === undefined ? '' : `; speed-up over zones ${b.profileSpeedUp}x`),
    ]);
    for (const [name, r] of Object.entries(b.profile.sensitivity ?? {})) {
      rows.push([
        `bulk.profile at ${name} timing`,
        String(r.makespanSeconds),
        `AssociateProfile ${r.profileAssociationMs! / 1000} s; lower bound ${r.lowerBoundSeconds}; ratio ${r.makespanOverLowerBound}`,
      ]);
    }
    rows.push(['bulk.wallSeconds', String(b.wallSeconds), `${b.lambdaInvocations} Lambda invocations`]);
    rows.push([
      'bulk.cpuSecondsPerVpc',
      `${b.cpuSecondsPerVpc} / ${b.profile.cpuSecondsPerVpc}`,
      `zones / profile; baseline ${SIMULATION_CPU_BASELINE.zones} / ${SIMULATION_CPU_BASELINE.profile} ` +
        `(${SIMULATION_CPU_BASELINE.vpcs} VPCs at ${SIMULATION_CPU_BASELINE.commit})`,
    ]);
  }
  const t = results.bulk5000 as Awaited<ReturnType<typeof bulk5000Section>> | undefined;
  if (t) {
    rows.push([
      'bulk5000.vpcs / connected / failed',
      `${t.vpcs} / ${t.connected} / ${t.failed}`,
      `duplicates ${t.duplicates}; ${t.accounts} accounts; TGW ${t.full ? 'full' : 'not full (reduced run)'}`,
    ]);
    rows.push([
      'bulk5000.makespanSeconds',
      String(t.makespanSeconds),
      `lower bound ${t.lowerBoundSeconds}; ratio ${t.makespanOverLowerBound} (target <= 1.25); wall ${t.wallSeconds} s`,
    ]);
    rows.push([
      'bulk5000.next',
      String(t.next.status),
      `${t.full ? (t.next.rejectedNamingQuota ? 'as expected: ' : 'NOT rejected naming the quota: ') : ''}` +
        `${t.next.detail ?? ''}; TGW at ${t.next.attachments}`,
    ]);
  }
  const l = results.limits as Awaited<ReturnType<typeof limitsSection>> | undefined;
  if (l) {
    for (const [name, x] of Object.entries(l)) {
      rows.push([`limits.${name}`, `${x.connected} connected, ${x.failed} failed`, x.statuses[0] ?? '']);
    }
  }
  const f = results.faults as Record<
    string,
    { runs: number; failedThenConverged: number; onboardingFailed?: number; problems: string[] }
  >;
  if (f) {
    for (const [name, x] of Object.entries(f)) {
      const outcome =
        x.onboardingFailed === undefined
          ? `${x.failedThenConverged} failed then converged`
          : `${x.onboardingFailed} onboardings ended failed before the offboarding`;
      rows.push([`faults.${name}`, `${x.runs} runs`, `${outcome}; ${x.problems.length} problems`]);
    }
  }
  for (const bundle of (results.bundles as BundleMeasurement[] | undefined) ?? []) {
    rows.push([
      `bundle ${bundle.name}`,
      `${round(bundle.bytes / 1024)} KiB`,
      `import ${bundle.importMs} ms vs node -e 0 ${bundle.baselineMs} ms`,
    ]);
  }
  const width = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`${r[0].padEnd(width[0]!)}  ${r[1].padEnd(width[1]!)}  ${r[2]}\n`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const results: Record<string, unknown> = {
    meta: {
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      date: new Date().toISOString(),
      commit: git(['rev-parse', '--short', 'HEAD']),
      node: process.version,
      cpus: cpus().length,
      /** The machine's load when the run started (1, 5, 15 min): wall times depend on it, simulated times do not. */
      loadAverage: loadavg().map((x) => round(x, 2)),
      lowerBoundFormula: LOWER_BOUND_FORMULA,
    },
  };
  // The bundles' cold import times first, on an otherwise idle bench; then the simulations in child processes
  // (bulk, bulk5000) while this process runs the in-process sections (onboarding, limits, faults).
  if (only.has('bundles')) results.bundles = await bundlesSection();
  const pool = new JobPool(Number(flags.jobs ?? cpus().length));
  // The longest job first (bulk5000's day is one job, several times a 1,000-VPC day): queued behind the bulk days
  // it would start only when one of them ended, and the bench would last that much longer.
  const bulk5000 = only.has('bulk5000') ? bulk5000Section(pool) : undefined;
  const bulk = only.has('bulk') ? bulkSection(pool) : undefined;
  const limits = only.has('limits') ? limitsSection(pool) : undefined;
  // The in-process sections take a place in the pool too (after the jobs above, in turn): no more simulations run at
  // once than the pool's size, so bulk5000's day, the bench's longest, keeps a core to itself.
  const onboarding = only.has('onboarding') ? pool.hold(onboardingSection) : undefined;
  const faults = only.has('faults') ? pool.hold(faultsSection) : undefined;
  // A rejected section must not go unhandled while another is awaited: each is awaited below.
  for (const section of [bulk, bulk5000, limits, onboarding, faults]) section?.catch(() => undefined);
  if (onboarding) results.onboarding = await onboarding;
  if (limits) results.limits = await limits;
  if (faults) results.faults = await faults;
  if (bulk) results.bulk = await bulk;
  if (bulk5000) results.bulk5000 = await bulk5000;
  (results.meta as Record<string, unknown>).benchWallSeconds = round((performance.now() - started) / 1000);
  (results.meta as Record<string, unknown>).loadAverageAtEnd = loadavg().map((x) => round(x, 2));
  writeFileSync(flags.out, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  log(`written to ${flags.out}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
