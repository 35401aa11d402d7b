import { loadConfigFile } from '#shared/config';
import type { ConsumerRecord } from '#shared/registry/model';
import {
  type Change,
  type ConfigPlan,
  catalogAdditions,
  planConfiguration,
} from '../../functions/reconcile/plan-change';
import { type RegistryReader, registryFor, splitSourceFlags } from '../audit/source';
import { helpPrinted, parseFlags, UsageError, withExitCodes } from './command';
import type { CommandIo } from './cost';

export const PLAN_USAGE = `usage: spokelink plan --config NEW (--from-registry | --local [--run-dir DIR]) [--current FILE] [--json]
  what a configuration would do to the hub's member VPCs, before it is deployed: per VPC the routes, zones,
  endpoint rules and endpoint service principals added and removed (docs/deploy.md, "Rolling out a configuration
  change")
  --config NEW       the configuration to deploy
  --from-registry    the members as the hub's registry table records them (AWS: --region R, --profile P)
  --local            the members of the last "spokelink simulate" run (.spokelink/last-run/registry.json)
  --run-dir DIR      with --local: another saved run folder
  --current FILE     the configuration deployed now: lists the catalog entries NEW adds (they reach VPCs asking "*")
  --json             one JSON document on stdout
`;

const OPTIONS = {
  config: { type: 'string' },
  current: { type: 'string' },
  'from-registry': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** Dependencies of the command (tests: a registry of their own). */
export interface PlanDeps {
  open?: typeof registryFor;
}

function renderChange(label: string, change: Change): string[] {
  return [...change.added.map((x) => `    + ${label} ${x}`), ...change.removed.map((x) => `    - ${label} ${x}`)];
}

function render(plan: ConfigPlan, source: string, config: string, canary: number): string {
  const lines = [
    `spokelink plan: ${config} against the ${source}`,
    `${plan.changes.length} of ${plan.members} member VPC(s) would change`,
  ];
  for (const vpc of plan.changes) {
    lines.push(`  ${vpc.vpcId} (account ${vpc.accountId}, segment ${vpc.segment})`);
    if (vpc.refused) lines.push(`    ! ${vpc.refused}`);
    lines.push(
      ...renderChange('service', vpc.services),
      ...renderChange('route', vpc.routes),
      ...renderChange('zone', vpc.zones),
      ...renderChange('rule', vpc.rules),
      ...renderChange('principal', vpc.principals),
    );
  }
  for (const entry of plan.catalogAdded) {
    const segments = entry.segments === '*' ? 'every segment' : `segments ${entry.segments.join(', ')}`;
    lines.push(`catalog: + ${entry.name} (${segments}): reaches the member VPCs that ask "*"`);
  }
  if (plan.changes.length > 0) {
    lines.push(`rollout: a canary of ${canary} VPC(s) first, the rest on a later reconcile (operations.rollout)`);
  }
  return `${lines.join('\n')}\n`;
}

async function execute(argv: string[], io: CommandIo, deps: PlanDeps): Promise<number> {
  const { selection, rest } = splitSourceFlags(argv);
  const flags = parseFlags(rest, OPTIONS).values;
  if (helpPrinted(flags, io, PLAN_USAGE)) return 0;
  if (flags.config === undefined) throw new UsageError('missing --config NEW (the configuration to plan)');
  if (selection.local === (flags['from-registry'] === true)) {
    throw new UsageError(
      'name the members to plan against: --from-registry (the registry table in AWS) or --local (the last simulate run)',
    );
  }
  const config = loadConfigFile(flags.config);
  const registry: RegistryReader = (deps.open ?? registryFor)(selection, config);
  const records = (await registry.consumerRecords(false)) as unknown as ConsumerRecord[];
  const plan = planConfiguration(records, config);
  if (flags.current !== undefined) plan.catalogAdded = catalogAdditions(loadConfigFile(flags.current), config);
  io.stdout(
    flags.json
      ? `${JSON.stringify({ config: flags.config, registry: registry.describe, ...plan }, null, 2)}\n`
      : render(plan, registry.describe, flags.config, config.operations.rollout.canaryVpcs),
  );
  return 0;
}

/** `spokelink plan`: exit 0 with the plan, 2 on bad flags or inputs, 1 on anything unexpected. */
export async function run(argv: string[], io: CommandIo, deps: PlanDeps = {}): Promise<number> {
  return withExitCodes('plan', io, () => execute(argv, io, deps));
}
