import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import {
  DeleteSubnetCommand,
  DeleteTransitGatewayVpcAttachmentCommand,
  DeleteVpcCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { appTeamEc2Client } from '#local/app-team';
import { deployConfig } from '#local/config-file';
import type { LocalHub, LocalRegion } from '#local/hub';
import { peeringsOf } from '#local/report';
import { type HubConfig, parseConfig, resetConfigCache, servedRegions } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import { invalidFile } from '#shared/zod-issues';
import { ec2State } from '#twin/services/ec2/model';
import { ProgressPrinter } from '../render/progress';
import { renderReport } from '../render/report';
import { localApprover, localTransport } from './approve';
import type { CommandIo } from './cost';
import { hubOptionsOf, type LocalRunInput } from './hub-options';

/**
 * `spokelink simulate --scenario FILE`: a VPC's whole life on the local hub, step by step. Each step acts like the
 * people and events around spokelink (an app team tags, untags or deletes its VPC; an approver approves or denies; the
 * platform team changes the hub configuration; the schedule runs the reconcile; time passes; EventBridge loses an
 * event), then the hub runs until nothing can progress. `expect` steps check the outcome, so a scenario file is also
 * an executable specification. A step with `at` acts at a set time after the previous one instead, mid-flight (see
 * `Note`). The file is JSON: `{ "description": "...", "steps": [ { "do": "tag", ... } ] }`.
 */

const VpcId = z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id (vpc-...)');
/** A served region of the configuration (checked against it when the step acts). */
const Region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region (us-east-1)');
/**
 * Fields every step takes: `note` (printed with the step) and `at`, the scenario timing: the step acts `at` simulated
 * seconds after the previous step began acting (the first step: after the scenario began), without waiting for the
 * hub to settle in between. A step without `at` acts once the hub has settled after the previous one (nothing can
 * progress: every execution ended or waits for a person). `at` makes mid-flight changes writable: untag 30 s after a
 * tag, while the attachment is still `pending`.
 */
const Note = {
  note: z.string().optional(),
  at: z.number().min(0, 'must be seconds after the previous step began (0 or more)').optional(),
};

/**
 * An approver's decision: `by` is the approver, an IAM role of the hub account (default `approver`), whose ARN the
 * decision function records; `request` the request digest the approver saw (refused if another one is pending).
 */
const Decision = {
  vpc: VpcId,
  reason: z.string().optional(),
  by: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name of the hub account (the approver)')
    .optional(),
  request: z
    .string()
    .regex(/^[0-9a-f]{8,64}$/, 'must be a request digest (8 to 64 hex characters)')
    .optional(),
};

export const ScenarioStepSchema = z.discriminatedUnion('do', [
  z.strictObject({ do: z.literal('tag'), vpc: VpcId, tags: z.record(z.string(), z.string()), ...Note }),
  z.strictObject({ do: z.literal('untag'), vpc: VpcId, keys: z.array(z.string()).min(1), ...Note }),
  z.strictObject({ do: z.literal('delete-vpc'), vpc: VpcId, ...Note }),
  z.strictObject({ do: z.literal('approve'), ...Decision, ...Note }),
  z.strictObject({ do: z.literal('deny'), ...Decision, ...Note }),
  z.strictObject({ do: z.literal('advance-time'), seconds: z.number().positive(), ...Note }),
  z.strictObject({ do: z.literal('config-change'), set: z.record(z.string(), z.unknown()), ...Note }),
  z.strictObject({
    do: z.literal('reconcile'),
    maxConcurrency: z.number().int().min(1).max(40).optional(),
    /** The regional hub whose schedule fires (default: every served region's). */
    region: Region.optional(),
    ...Note,
  }),
  /**
   * A served region's workflows go down (`LocalHub.regionDown`: its Lambda, Step Functions and SNS unavailable, its
   * events held by EventBridge) or come back; the other regions go on.
   */
  z.strictObject({ do: z.literal('region-down'), region: Region, ...Note }),
  z.strictObject({ do: z.literal('region-up'), region: Region, ...Note }),
  z.strictObject({ do: z.literal('drop-next-event'), vpc: VpcId, ...Note }),
  z.strictObject({
    do: z.literal('expect'),
    vpc: VpcId,
    /** The VPC's `spokelink:status` tag (`none`: no status tag). */
    status: z.string().optional(),
    /** A text the status detail contains. */
    detail: z.string().optional(),
    /** The status of the VPC's registry record (`none`: no record). */
    registry: z.string().optional(),
    ...Note,
  }),
  /**
   * The TGW peering of a region's hub with a peer region: its attachment's state (`none`: no attachment) and, when
   * given, how many static routes of the region's TGW route tables go to it (what the reconcile maintains).
   */
  z.strictObject({
    do: z.literal('expect-peering'),
    region: Region,
    peerRegion: Region,
    state: z.string(),
    staticRoutes: z.number().int().min(0).optional(),
    ...Note,
  }),
]);

export const ScenarioSchema = z.strictObject({
  description: z.string().optional(),
  steps: z.array(ScenarioStepSchema).min(1),
});

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioStep = z.infer<typeof ScenarioStepSchema>;

/** A scenario file that cannot be used (exit code 2, nothing run). */
export class ScenarioFileError extends ConfigurationError {}

/** Reads and validates a scenario file; errors name the step and field. */
export function loadScenario(path: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ScenarioFileError(`cannot read scenario ${path}: ${(error as Error).message}`);
  }
  const parsed = ScenarioSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ScenarioFileError(invalidFile(`${path} is not a valid scenario`, parsed.error));
  }
  return parsed.data;
}

export interface ScenarioRun extends LocalRunInput {
  saveDir?: string;
  json: boolean;
  quiet: boolean;
}

const MAX_VIRTUAL_MS = 7 * 24 * 3_600_000;
const MAX_WALL_MS = 60 * 60_000;

/** Describes a step in one line (progress and failures name steps this way). */
export function describeStep(step: ScenarioStep): string {
  const text = describeAction(step);
  return step.at === undefined ? text : `${text} at +${step.at} s`;
}

function describeAction(step: ScenarioStep): string {
  switch (step.do) {
    case 'tag':
      return `tag ${step.vpc} ${Object.entries(step.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`;
    case 'untag':
      return `untag ${step.vpc} ${step.keys.join(' ')}`;
    case 'delete-vpc':
    case 'drop-next-event':
      return `${step.do} ${step.vpc}`;
    case 'approve':
    case 'deny':
      return `${step.do} ${step.vpc}${step.reason ? ` (${step.reason})` : ''}`;
    case 'advance-time':
      return `advance-time ${step.seconds} s`;
    case 'config-change':
      return `config-change ${Object.keys(step.set).join(', ')}`;
    case 'reconcile':
      return `reconcile${step.region ? ` ${step.region}` : ''}${step.maxConcurrency ? ` (maxConcurrency ${step.maxConcurrency})` : ''}`;
    case 'region-down':
    case 'region-up':
      return `${step.do} ${step.region}`;
    case 'expect-peering':
      return `expect-peering ${step.region} -> ${step.peerRegion} ${step.state}${step.staticRoutes === undefined ? '' : ` with ${step.staticRoutes} static route(s)`}`;
    case 'expect':
      return `expect ${step.vpc}${step.status ? ` status ${step.status}` : ''}${step.registry ? ` registry ${step.registry}` : ''}`;
  }
}

/** The app team tears its VPC down: the attachment (until AWS has deleted it), the subnets, then the VPC. */
export async function deleteVpcAsAppTeam(hub: LocalHub, vpcId: string, ec2: EC2Client): Promise<void> {
  const s = ec2State(hub.twin);
  for (const att of Object.values(s.attachments).filter((a) => a.vpcId === vpcId)) {
    await ec2.send(new DeleteTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: att.id })).catch(() => {
      // already deleting or deleted
    });
  }
  await passTime(hub, 5 * 60_000);
  for (const subnet of Object.values(s.subnets).filter((x) => x.vpcId === vpcId)) {
    await ec2.send(new DeleteSubnetCommand({ SubnetId: subnet.id }));
  }
  await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
}

/**
 * Runs the hub until simulated time reaches `at` (epoch ms), whether or not it is idle then: the moment a timed step
 * (`at`) acts, with executions still in flight.
 */
export async function runUntilTime(hub: LocalHub, at: number): Promise<void> {
  let reached = false;
  setTimeout(
    () => {
      reached = true;
    },
    Math.max(0, at - Date.now()),
  );
  const run = await hub.runUntil(() => reached, { maxVirtualMs: at - Date.now() + MAX_VIRTUAL_MS });
  if (run.reason !== 'predicate') throw new ScenarioStepError(`the hub did not reach the step's time (${run.reason})`);
}

/** Lets simulated time pass (the virtual clock jumps from timer to timer: this one marks the end). */
export async function passTime(hub: LocalHub, ms: number): Promise<void> {
  let reached = false;
  setTimeout(() => {
    reached = true;
  }, ms);
  await hub.runUntil(() => reached && hub.idle(), { maxVirtualMs: ms + MAX_VIRTUAL_MS });
}

/** Replaces top-level fields of the configuration; an object value is merged one level (adds an endpoint, say). */
export function changedConfig(current: HubConfig, set: Record<string, unknown>): HubConfig {
  const raw = JSON.parse(JSON.stringify(current)) as Record<string, unknown>;
  for (const [key, value] of Object.entries(set)) {
    const before = raw[key];
    const plain = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
    raw[key] = plain(before) && plain(value) ? { ...before, ...value } : value;
  }
  return parseConfig(raw, 'config-change');
}

function appTeamEc2(hub: LocalHub, vpcId: string, plugin: Parameters<EC2Client['middlewareStack']['use']>[0]) {
  const vpc = ec2State(hub.twin).vpcs[vpcId];
  if (!vpc) throw new ScenarioStepError(`no VPC ${vpcId} in the world`);
  return appTeamEc2Client(hub.twin, vpc, plugin);
}

/** A step that could not be carried out (the run stops, exit code 1). */
export class ScenarioStepError extends Error {
  override name = 'ScenarioStepError';
}

/** Runs a scenario on a local hub; exit code 0 when every step ran, every expectation held and no execution failed. */
export async function runScenario(path: string, input: ScenarioRun, io: CommandIo): Promise<number> {
  const scenario = loadScenario(path);
  // A region no hub of the configuration serves is refused before anything runs.
  const served = servedRegions(input.config);
  for (const [index, step] of scenario.steps.entries()) {
    const named = [
      'region' in step ? step.region : undefined,
      'peerRegion' in step ? step.peerRegion : undefined,
    ].filter((r): r is string => r !== undefined);
    const unknown = named.find((r) => !served.includes(r));
    if (unknown !== undefined) {
      throw new ScenarioFileError(
        `${path}: step ${index + 1} (${describeStep(step)}): ${unknown} is not a region this hub serves (${served.join(', ')})`,
      );
    }
  }
  const { createLocalHub, localPlugin } = require('../../local/hub') as typeof import('../../local/hub');
  const dropNext = new Set<string>();
  const hub = await createLocalHub({
    ...hubOptionsOf(input),
    events: {
      drop: (event) => {
        const text = JSON.stringify(event);
        const vpcId = [...dropNext].find((id) => text.includes(id));
        if (vpcId === undefined) return false;
        dropNext.delete(vpcId);
        return true;
      },
    },
  });
  const live = !input.json && !input.quiet;
  const say = (text: string) => {
    if (live) io.stdout(text);
  };
  const failures: string[] = [];
  let config = input.config;
  let reconciles = 0;
  try {
    if (live) {
      const printer = new ProgressPrinter((line) => io.stdout(`${line}\n`), { showEntered: input.clock === 'real' });
      hub.onProgress((p) => printer.handle(p));
    }
    say(`spokelink simulate --scenario ${path}${scenario.description ? `: ${scenario.description}` : ''}\n`);
    const settle = async () => {
      const run = await hub.runUntilIdle({ maxVirtualMs: MAX_VIRTUAL_MS, maxWallMs: MAX_WALL_MS });
      if (run.reason !== 'predicate') throw new ScenarioStepError(`the hub did not settle (${run.reason})`);
    };

    // When the previous step began acting (simulated time): the origin of the next step's `at`.
    let previousStart = Date.now();
    for (const [index, step] of scenario.steps.entries()) {
      if (step.at !== undefined) {
        const at = previousStart + step.at * 1000;
        if (Date.now() > at) {
          throw new ScenarioStepError(
            `step ${index + 1} (${describeStep(step)}): at +${step.at} s is already past: the previous step took ` +
              `${((Date.now() - previousStart) / 1000).toFixed(1)} s to act`,
          );
        }
        await runUntilTime(hub, at);
      } else {
        await settle();
      }
      previousStart = Date.now();
      say(`\n── step ${index + 1}: ${describeStep(step)}${step.note ? `  (${step.note})` : ''}\n`);
      switch (step.do) {
        case 'tag':
          await hub.tagVpc(step.vpc, step.tags);
          break;
        case 'untag':
          await hub.untagVpc(step.vpc, step.keys);
          break;
        case 'delete-vpc':
          await deleteVpcAsAppTeam(hub, step.vpc, appTeamEc2(hub, step.vpc, localPlugin(hub.twin, hub.clock)));
          break;
        case 'approve':
        case 'deny': {
          // Through the local hub's decision function URL, as the approver's IAM principal (`by`: a role name of
          // the hub account), as `spokelink approve|deny` does in AWS; the VPC's regional hub decides.
          const reply = await localTransport(
            hub,
            localApprover(hub, step.by),
            regionOfVpc(hub, step.vpc),
          )({
            vpcId: step.vpc,
            decision: step.do,
            ...(step.reason !== undefined ? { reason: step.reason } : {}),
            ...(step.request !== undefined ? { request: step.request } : {}),
          });
          const answer = JSON.parse(reply.body) as { executionArn?: string; error?: string; Message?: string };
          if (reply.statusCode === 200) {
            say(`   ${step.do === 'approve' ? 'approved' : 'denied'}: ${answer.executionArn?.split(':').at(-1)}\n`);
          } else {
            const message = answer.error ?? answer.Message ?? reply.body;
            failures.push(`step ${index + 1} (${describeStep(step)}): ${message}`);
            say(`   ${message}\n`);
          }
          break;
        }
        case 'advance-time':
          await passTime(hub, step.seconds * 1000);
          break;
        case 'config-change':
          config = changedConfig(config, step.set);
          // What a redeploy of the hub stack does: the functions read the new configuration file.
          deployConfig(config);
          resetConfigCache();
          break;
        case 'reconcile': {
          reconciles += 1;
          // Each regional hub has its own schedule; with one region the execution keeps its one-region name.
          const regions = step.region ? [servedRegion(hub, step.region)] : hub.regions;
          for (const r of regions) {
            if (!r.up) {
              say(`   ${r.region} is down: its schedule cannot start the reconcile\n`);
              continue;
            }
            r.sfn.start(
              r.sfn.arnOf(`${config.prefix}-reconcile`),
              hub.regions.length > 1
                ? `scenario-reconcile-${r.region}-${reconciles}`
                : `scenario-reconcile-${reconciles}`,
              JSON.stringify({
                source: 'schedule',
                maxConcurrency: step.maxConcurrency ?? config.reconcile.maxConcurrency,
              }),
            );
          }
          break;
        }
        case 'region-down':
          hub.regionDown(servedRegion(hub, step.region).region);
          break;
        case 'region-up':
          hub.regionUp(servedRegion(hub, step.region).region);
          break;
        case 'expect-peering': {
          const problems = checkPeering(hub, step);
          for (const p of problems) failures.push(`step ${index + 1} (${describeStep(step)}): ${p}`);
          say(problems.length === 0 ? '   ✓ as expected\n' : problems.map((p) => `   ✗ ${p}\n`).join(''));
          break;
        }
        case 'drop-next-event':
          dropNext.add(step.vpc);
          break;
        case 'expect': {
          const problems = await check(hub, step);
          for (const p of problems) failures.push(`step ${index + 1} (${describeStep(step)}): ${p}`);
          say(problems.length === 0 ? '   ✓ as expected\n' : problems.map((p) => `   ✗ ${p}\n`).join(''));
          break;
        }
      }
    }
    await settle();

    const report = await hub.report();
    if (input.saveDir) await hub.save(input.saveDir);
    if (input.json) io.stdout(`${JSON.stringify({ ...report, scenario: { path, failures } }, null, 2)}\n`);
    else {
      const savedTo = input.saveDir ? relative(process.cwd(), input.saveDir) || '.' : undefined;
      io.stdout(`\n${renderReport(report, { savedTo })}`);
    }
    const broken = report.executions.filter((e) => e.status === 'FAILED' || e.status === 'TIMED_OUT');
    for (const e of broken) failures.push(`execution ${e.name} ended ${e.status}`);
    if (failures.length > 0) {
      io.stderr(
        `spokelink simulate: the scenario did not go as expected:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`,
      );
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof ScenarioStepError) {
      io.stderr(`spokelink simulate: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await hub.close();
  }
}

/** A served region's hub, or the step fails naming the served regions. */
function servedRegion(hub: LocalHub, region: string): LocalRegion {
  const found = hub.regions.find((r) => r.region === region);
  if (!found) {
    throw new ScenarioStepError(
      `${region} is not a region this hub serves (${hub.regions.map((r) => r.region).join(', ')})`,
    );
  }
  return found;
}

/** The served region of a VPC of the world (the first region for a VPC of another region). */
function regionOfVpc(hub: LocalHub, vpcId: string): string {
  const region = ec2State(hub.twin).vpcs[vpcId]?.region;
  return hub.regions.find((r) => r.region === region)?.region ?? hub.regions[0]!.region;
}

function checkPeering(hub: LocalHub, step: Extract<ScenarioStep, { do: 'expect-peering' }>): string[] {
  servedRegion(hub, step.peerRegion);
  const peerings = peeringsOf(hub, servedRegion(hub, step.region).region).filter(
    (p) => p.peerRegion === step.peerRegion,
  );
  const live = peerings.filter((p) => !['deleted', 'rejected', 'failed'].includes(p.state));
  const peering = live[0] ?? peerings.at(-1);
  const problems: string[] = [];
  const state = peering?.state ?? 'none';
  if (state !== step.state) problems.push(`the peering is ${state}, not ${step.state}`);
  if (step.staticRoutes !== undefined && (peering?.staticRoutes.length ?? 0) !== step.staticRoutes) {
    problems.push(
      `${peering?.staticRoutes.length ?? 0} static route(s) to the peering (${peering?.staticRoutes.join(', ') || 'none'}), not ${step.staticRoutes}`,
    );
  }
  return problems;
}

async function check(hub: LocalHub, step: Extract<ScenarioStep, { do: 'expect' }>): Promise<string[]> {
  const problems: string[] = [];
  const tags = ec2State(hub.twin).vpcs[step.vpc]?.tags ?? {};
  const status = tags['spokelink:status'] ?? 'none';
  if (step.status !== undefined && status !== step.status) problems.push(`status is ${status}, not ${step.status}`);
  if (step.detail !== undefined && !(tags['spokelink:detail'] ?? '').includes(step.detail)) {
    problems.push(
      `the status detail ${JSON.stringify(tags['spokelink:detail'] ?? '')} does not say ${JSON.stringify(step.detail)}`,
    );
  }
  if (step.registry !== undefined) {
    const items = await hub.registry();
    const record = items.find((i) => i.pk === `VPC#${step.vpc}` && i.sk === 'CURRENT');
    const actual = record ? String(record.status) : 'none';
    if (actual !== step.registry) problems.push(`the registry record is ${actual}, not ${step.registry}`);
  }
  return problems;
}
