import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TwinTransport } from '#twin/plugin';
import { type BulkResult, type NextVpcOutcome, runBulk, runFullTransitGateway } from './bulk';
import { bulkWorld, fullTransitGatewayWorld } from './worlds';

/**
 * The bench's simulations as jobs: each runs in a fresh Node.js process (`tsx bench/jobs.ts <job file>`), so the
 * handlers' module-level caches (a warm Lambda container) never carry from one run into the next (a run's figures do
 * not depend on which ran before it), and independent runs use both cores of the machine at once (`runJobs`).
 */

export type Job =
  | {
      kind: 'bulk';
      accounts: number;
      vpcsPerAccount: number;
      mode: 'zones' | 'profile';
      seed: number;
      profileAssociationMs?: number;
      /** `intake.maxConcurrentExecutions` of the day (default: the configuration's). */
      hubExecutions?: number;
    }
  | { kind: 'bulk5000'; accounts: number; vpcs?: number; fill?: boolean; seed: number }
  | { kind: 'limits'; limit: LimitRun; seed: number };

/**
 * The limits section's runs: 110 VPCs asking a TGW that has 4,900 attachments already (4,899 VPCs and the hub's), and
 * 310 VPCs asking for zones whose VPC limit is 300.
 */
export type LimitRun = 'transitGateway5000' | 'zone300';

function limitWorld(limit: LimitRun) {
  return limit === 'transitGateway5000'
    ? bulkWorld({ accounts: 11, vpcsPerAccount: 10, attachedVpcs: 4_899 })
    : bulkWorld({ accounts: 31, vpcsPerAccount: 10, prodEvery: Number.POSITIVE_INFINITY, zoneMaxVpcs: 300 });
}

export type JobResult = BulkResult & { next?: NextVpcOutcome };

/**
 * Runs one job in this process. The twin answers the SDK clients through the direct transport (twin/plugin.ts,
 * `TwinTransport`): the same answers and call records as the full SDK path, without serializing and signing each
 * call (docs/performance.md, "Simulation speed"). `transport: 'sdk'` runs the job on the full path.
 */
export async function runJob(job: Job, transport: TwinTransport = 'direct'): Promise<JobResult> {
  // Counts, not records: a day's histories and invocation records grow with every retry and poll.
  const sdkTransport = { sdkTransport: transport, keepRecords: false };
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  if (job.kind === 'bulk5000') {
    const bulk = fullTransitGatewayWorld({
      accounts: job.accounts,
      ...(job.vpcs === undefined ? {} : { vpcs: job.vpcs }),
      ...(job.fill ? { fillWithAttached: true } : {}),
    });
    return runFullTransitGateway({ bulk, seed: job.seed, hubOptions: sdkTransport, progress });
  }
  if (job.kind === 'limits') return runBulk({ bulk: limitWorld(job.limit), seed: job.seed, hubOptions: sdkTransport });
  const base = bulkWorld({ accounts: job.accounts, vpcsPerAccount: job.vpcsPerAccount });
  const { config } = base;
  const bulk = {
    ...base,
    config: {
      ...config,
      dns: { ...config.dns, mode: job.mode },
      intake: { ...config.intake, maxConcurrentExecutions: job.hubExecutions ?? config.intake.maxConcurrentExecutions },
    },
  };
  return runBulk({
    bulk,
    seed: job.seed,
    progress,
    hubOptions: {
      ...sdkTransport,
      ...(job.profileAssociationMs === undefined
        ? {}
        : { twinOptions: { timings: { profileAssociationMs: job.profileAssociationMs } } }),
    },
  });
}

/** Runs one job in a child process (`tsx bench/jobs.ts`); its result comes back through a file. */
function runInChild(job: Job): Promise<JobResult> {
  const dir = mkdtempSync(join(tmpdir(), 'spokelink-bench-'));
  const input = join(dir, 'job.json');
  const output = join(dir, 'result.json');
  writeFileSync(input, JSON.stringify({ job, output }));
  const tsx = join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  return new Promise<JobResult>((resolve, reject) => {
    // A young generation of 64 MB instead of V8's default 16 (https://nodejs.org/api/cli.html#--max-semi-space-sizesize-in-mib):
    // a day allocates short-lived objects by the gigabyte (every call's input, output and context), and fewer of them
    // survive into the old generation to be marked and compacted there (about 5% of a 1,000-VPC job's CPU).
    const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=64`.trim() };
    const options = { maxBuffer: 64 * 1024 * 1024, env };
    const child = execFile(tsx, [__filename, input], options, (error, _stdout, stderr) => {
      try {
        if (error) reject(new Error(`bench job ${JSON.stringify(job)} failed: ${stderr || error.message}`));
        else resolve(JSON.parse(readFileSync(output, 'utf8')) as JobResult);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    // A long job's progress lines, as they come (the bench's own log is stderr too).
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  });
}

/** Runs jobs in child processes, at most `parallel` at once (in the order submitted). */
export class JobPool {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly parallel: number) {}

  run(job: Job): Promise<JobResult> {
    return this.hold(() => runInChild(job));
  }

  /**
   * Runs work of this process (a section measured in process) in one of the pool's places: with the jobs' processes,
   * never more at once than the pool's size, so that a long job keeps a core of its own.
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= Math.max(1, this.parallel)) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
      this.queue.shift()?.();
    }
  }
}

if (require.main === module) {
  // No stack traces in a job: the simulation throws (and catches) errors by the thousand as control flow (jsonpath-plus
  // signals every scalar result with one, each failed Lambda invocation and AWS call is one) and capturing their
  // stacks cost about 3% of a job's CPU; nothing of a run's figures reads a stack (the local Lambda runtime reports
  // an empty trace). A job that fails reports its error's message only: run it with `runJob` in a test for a stack.
  Error.stackTraceLimit = 0;
  const { job, output, transport } = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
    job: Job;
    output: string;
    transport?: TwinTransport;
  };
  runJob(job, transport)
    .then((result) => writeFileSync(output, JSON.stringify(result)))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
