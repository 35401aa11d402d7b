import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { type HubConfig, loadConfigFile, servedRegions } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import { REQUEST_TAG_KEYS } from '#shared/tags';
import { loadWorldFile, TwinWorldError, type World } from '#twin/world';
import { ProgressPrinter } from '../render/progress';
import { renderReport } from '../render/report';
import { helpPrinted, parseFlags } from './command';
import type { CommandIo } from './cost';
import { hubOptionsOf } from './hub-options';

export const SIMULATE_USAGE = `usage: spokelink simulate --config FILE --world FILE [options]
  Runs spokelink's onboarding on the local AWS twin: the real state machine and Lambda handlers, every AWS call
  answered by the twin, the registry on an in-process DynamoDB emulator. Every VPC of the world that carries
  spokelink request tags is treated as just tagged by its app team (or the events of --events are delivered).

  --config FILE       hub configuration (e.g. config/example.hub.json)
  --world FILE        world file seeding the twin (e.g. worlds/example.world.json)
  --events FILE       EventBridge events to deliver instead (a JSON array, or one JSON event per line)
  --scenario FILE     a lifecycle scenario instead: steps tag, untag, delete-vpc, approve, deny, advance-time,
                      config-change, reconcile, drop-next-event, region-down, region-up, expect, expect-peering;
                      a step with "at": N acts N s after the previous step began, mid-flight (docs/lifecycle.md)
  --clock MODE        virtual (default: simulated time, a run of minutes takes seconds) or real (AWS pace)
  --stagger SECONDS   app teams tag their VPCs this many seconds apart, in world order (default 15; 0: all at once)
  --latency MS        simulated latency of every AWS call (default 0: only AWS's asynchronous work takes time)
  --json              print only the report, as JSON
  --quiet             no live progress
  --seed N            seed of the twin's ids and timing draws (default: the twin's)
  --save DIR          where to save executions, histories, registry and report (default .spokelink/last-run;
                      "none" to skip); \`spokelink audit\`, \`cost --from-registry\` and \`chargeback\` read it
  --verbose           the handlers' Powertools logs (INFO) too
  -h, --help          this help
`;

const OPTIONS = {
  config: { type: 'string' },
  world: { type: 'string' },
  events: { type: 'string' },
  scenario: { type: 'string' },
  clock: { type: 'string' },
  stagger: { type: 'string' },
  latency: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  seed: { type: 'string' },
  save: { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

/** Where `simulate` saves its run by default (relative to the working directory). */
export const DEFAULT_RUN_DIR = '.spokelink/last-run';

/** Bad flags or inputs: exit code 2, nothing run. */
export class SimulateUsageError extends ConfigurationError {}

/** Longest simulated run before the driver gives up (a workflow waiting forever is a bug worth reporting). */
const MAX_VIRTUAL_MS = 7 * 24 * 3_600_000;
const MAX_WALL_MS = 60 * 60_000;

interface Inputs {
  config: HubConfig;
  world: World;
  events?: unknown[];
  clock: 'virtual' | 'real';
  seed?: number;
  staggerMs: number;
  latencyMs: number;
  saveDir?: string;
}

const parse = (argv: string[]) => parseFlags(argv, OPTIONS, { usageError: SimulateUsageError }).values;

/** Reads an events file: a JSON array of events, or one JSON event per line. */
export function parseEventsFile(text: string, source: string): unknown[] {
  const trimmed = text.trim();
  let events: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      events = JSON.parse(trimmed) as unknown[];
    } catch (error) {
      throw new SimulateUsageError(`${source} is not valid JSON: ${(error as Error).message}`);
    }
  } else {
    events = trimmed
      .split('\n')
      .map((line, i) => [line.trim(), i + 1] as const)
      .filter(([line]) => line !== '')
      .map(([line, n]) => {
        try {
          return JSON.parse(line) as unknown;
        } catch (error) {
          throw new SimulateUsageError(`${source} line ${n} is not valid JSON: ${(error as Error).message}`);
        }
      });
  }
  events.forEach((event, i) => {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new SimulateUsageError(`${source}: event ${i + 1} is not a JSON object`);
    }
  });
  if (events.length === 0) throw new SimulateUsageError(`${source} holds no event`);
  return events;
}

function inputs(flags: ReturnType<typeof parse>): Inputs {
  if (flags.config === undefined) throw new SimulateUsageError('--config FILE is required');
  if (flags.world === undefined) throw new SimulateUsageError('--world FILE is required');
  const clock = flags.clock ?? 'virtual';
  if (clock !== 'virtual' && clock !== 'real') {
    throw new SimulateUsageError(`--clock must be "virtual" or "real", not ${JSON.stringify(clock)}`);
  }
  let seed: number | undefined;
  if (flags.seed !== undefined) {
    if (!/^\d{1,10}$/.test(flags.seed))
      throw new SimulateUsageError(`--seed must be a whole number, not ${flags.seed}`);
    seed = Number(flags.seed);
  }
  const stagger = flags.stagger ?? '15';
  if (!/^\d+(\.\d+)?$/.test(stagger)) {
    throw new SimulateUsageError(`--stagger must be a number of seconds, not ${JSON.stringify(stagger)}`);
  }
  const latency = flags.latency ?? '0';
  if (!/^\d+$/.test(latency))
    throw new SimulateUsageError(`--latency must be whole milliseconds, not ${JSON.stringify(latency)}`);
  const config = loadConfigFile(flags.config);
  let world: World;
  try {
    world = loadWorldFile(flags.world);
  } catch (error) {
    if (error instanceof TwinWorldError) throw new SimulateUsageError(error.message);
    throw error;
  }
  let events: unknown[] | undefined;
  if (flags.events !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.events, 'utf8');
    } catch (error) {
      throw new SimulateUsageError(`cannot read events ${flags.events}: ${(error as Error).message}`);
    }
    events = parseEventsFile(text, flags.events);
  }
  const save = flags.save ?? DEFAULT_RUN_DIR;
  return {
    config,
    world,
    events,
    clock,
    seed,
    staggerMs: Math.round(Number(stagger) * 1000),
    latencyMs: Number(latency),
    saveDir: save === 'none' ? undefined : resolve(save),
  };
}

/** VPCs of the world that carry request tags (their tag event is announced), in world order. */
export function taggedVpcs(world: World): string[] {
  return world.ec2.vpcs.filter((v) => REQUEST_TAG_KEYS.some((key) => key in v.tags)).map((v) => v.id);
}

async function execute(argv: string[], io: CommandIo): Promise<number> {
  const flags = parse(argv);
  if (helpPrinted(flags, io, SIMULATE_USAGE)) return 0;
  const input = inputs(flags);
  if (flags.verbose) process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  if (flags.scenario !== undefined) {
    if (flags.events !== undefined) throw new SimulateUsageError('--scenario and --events cannot be combined');
    // A lifecycle scenario drives its own hub, step by step (cli/commands/scenario.ts).
    const { runScenario } = require('./scenario') as typeof import('./scenario');
    return runScenario(
      flags.scenario,
      { ...input, json: flags.json === true, quiet: flags.quiet === true, verbose: flags.verbose === true },
      io,
    );
  }

  // Loaded only now: the hub pulls in the interpreter, the twin and the handlers.
  const { createLocalHub } = require('../../local/hub') as typeof import('../../local/hub');
  const hub = await createLocalHub(hubOptionsOf({ ...input, verbose: flags.verbose === true }));
  try {
    const live = !flags.json && !flags.quiet;
    if (live) {
      const printer = new ProgressPrinter((line) => io.stdout(`${line}\n`), { showEntered: input.clock === 'real' });
      hub.onProgress((p) => printer.handle(p));
      io.stdout(
        `spokelink simulate: hub ${input.config.hub.accountId} (${servedRegions(input.config).join(', ')}), ` +
          `${input.clock} clock${input.clock === 'virtual' ? ' (simulated time; --clock real for AWS pace)' : ''}\n`,
      );
    }

    // Triggers go out `stagger` apart on the simulation clock, as app teams tag their VPCs one after another.
    const triggers: (() => void)[] = input.events
      ? input.events.map((event) => () => hub.deliver(event as Record<string, unknown>))
      : taggedVpcs(input.world).map((vpcId) => () => {
          hub.announceTags(vpcId);
        });
    let fired = 0;
    triggers.forEach((trigger, i) => {
      const fire = () => {
        trigger();
        fired += 1;
      };
      if (i === 0 || input.staggerMs === 0) fire();
      else setTimeout(fire, i * input.staggerMs);
    });
    if (live) {
      const what = input.events
        ? `${triggers.length} event(s) from ${flags.events}`
        : `the tag events of ${triggers.length} tagged VPC(s): ${taggedVpcs(input.world).join(', ')}`;
      io.stdout(
        triggers.length === 0
          ? 'no VPC of the world carries spokelink request tags: nothing to do\n'
          : `delivering ${what}${input.staggerMs > 0 && triggers.length > 1 ? `, ${input.staggerMs / 1000} s apart` : ''}\n\n`,
      );
    }

    const run = await hub.runUntil(() => fired === triggers.length && hub.idle(), {
      maxVirtualMs: MAX_VIRTUAL_MS,
      maxWallMs: MAX_WALL_MS,
    });
    const report = await hub.report();
    if (input.saveDir) await hub.save(input.saveDir);

    if (flags.json) {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const savedTo = input.saveDir ? relative(process.cwd(), input.saveDir) || '.' : undefined;
      io.stdout(`\n${renderReport(report, { savedTo })}`);
    }

    const stuck = report.executions.filter((e) => e.status === 'RUNNING');
    if (run.reason !== 'predicate') {
      io.stderr(
        `spokelink simulate: the run did not settle (${run.reason === 'limit' ? 'time limit reached' : 'nothing left to run'}` +
          `${stuck.length > 0 ? `; still running: ${stuck.map((e) => e.name).join(', ')}` : ''})\n`,
      );
      return 1;
    }
    const broken = report.executions.filter((e) => e.status === 'FAILED' || e.status === 'TIMED_OUT');
    if (broken.length > 0) {
      io.stderr(
        `spokelink simulate: ${broken.length} execution(s) ended ${broken.map((e) => `${e.name} ${e.status}`).join(', ')}\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    await hub.close();
  }
}

/**
 * `spokelink simulate`. Exit code 0 when every execution ended (rejections included: they are answers), 1 when an
 * execution failed or the run did not settle, 2 on bad flags, configuration, world or events, or a world the hub
 * cannot be deployed into (nothing run).
 */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  try {
    return await execute(argv, io);
  } catch (error) {
    // A world the hub cannot be deployed into (a served region without its hub, the organization share refused).
    if (error instanceof ConfigurationError || error instanceof TwinWorldError) {
      io.stderr(`spokelink simulate: ${error.message}\n`);
      if (error instanceof SimulateUsageError) io.stderr('run "spokelink simulate --help" for the flags\n');
      return 2;
    }
    io.stderr(`spokelink simulate: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
