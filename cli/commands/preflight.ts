import { type HubConfig, loadConfigFile } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import { type HubUsage, usageFromRecords } from '#shared/headroom';
import type { ConsumerRecord } from '#shared/registry/model';
import type { World } from '#twin/world';
import { DEFAULT_CONFIG, type SourceSelection, savedRunRegistry, splitSourceFlags } from '../audit/source';
import { CAPACITY_CHECKS, firstLimit, usageFromWorld } from '../preflight/capacity';
import { type Finding, HUB_CHECKS, type PreflightClients, runPreflight } from '../preflight/checks';
import { type FlagsOf, helpPrinted, parseFlags, UsageError, withExitCodes } from './command';
import type { CommandIo } from './cost';

export const PREFLIGHT_USAGE = `usage: spokelink preflight --config FILE --aws [--json] [--region R] [--profile P]
       spokelink preflight --config FILE [--world FILE | --local [--run-dir DIR]] [--add N] [--segment S]
                           [--accounts A] [--json]
  --aws: checks a hub before its first onboarding (docs/deploy.md, "First run in a sandbox"): the configured TGW,
  its route tables, the private hosted zones, endpoint security groups, the segments' aggregated ingress rules and
  endpoint services exist; the TGW is shared with the organization; StackSets has trusted access; every hub
  function's role allows every call spokelink makes (iam:SimulatePrincipalPolicy against the policies the CDK app
  synthesizes). Exit 1 when something is missing.
  Without --aws: capacity, offline (README, "Capacity planning"): what the hub uses of each quota a migration day
  meets (TGW attachments and routes, endpoint security group rules, VPCs per zone or Profile, Profiles, zone
  authorizations, the per-account budgets), read from a world file or a saved local run's registry, and which quota
  a wave of N more VPCs hits first. Exit 1 when the wave does not fit.
  --config FILE   the hub configuration (default ${DEFAULT_CONFIG})
  --aws           read the hub account (standard credential chain; --region, default the hub region; --profile)
  --world FILE    capacity: the hub as a world file (the twin's format) holds it
  --local         capacity: the registry of the last "spokelink simulate" run (--run-dir DIR: another saved run)
  --add N         capacity: the wave, N more VPCs (default 0: the hub as it is)
  --segment S     capacity: the wave's segment (default the configuration's defaultSegment)
  --accounts A    capacity: accounts the wave spreads over, evenly (default 1), for the per-account budgets
  --json          one JSON document on stdout
`;

const OPTIONS = {
  config: { type: 'string' },
  aws: { type: 'boolean' },
  world: { type: 'string' },
  add: { type: 'string' },
  segment: { type: 'string' },
  accounts: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Flags = FlagsOf<typeof OPTIONS>;

/** Dependencies of the command (tests: clients answered by the twin). */
export interface PreflightDeps {
  clients?: (region: string, profile: string | undefined) => PreflightClients;
}

function awsClients(region: string, profile: string | undefined): PreflightClients {
  const options = { region, maxAttempts: 8, ...(profile ? { profile } : {}) };
  const { EC2Client } = require('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2');
  const { Route53Client } = require('@aws-sdk/client-route-53') as typeof import('@aws-sdk/client-route-53');
  const { RAMClient } = require('@aws-sdk/client-ram') as typeof import('@aws-sdk/client-ram');
  const { OrganizationsClient } =
    require('@aws-sdk/client-organizations') as typeof import('@aws-sdk/client-organizations');
  const { IAMClient } = require('@aws-sdk/client-iam') as typeof import('@aws-sdk/client-iam');
  return {
    ec2: new EC2Client(options),
    route53: new Route53Client(options),
    ram: new RAMClient(options),
    // Organizations and IAM are global: their endpoints are in us-east-1 (the commercial partition).
    organizations: new OrganizationsClient({ ...options, region: 'us-east-1' }),
    iam: new IAMClient({ ...options, region: 'us-east-1' }),
  };
}

function render(findings: Finding[], header: string, failed = 'MISSING'): string {
  const width = Math.max(...findings.map((f) => f.check.length));
  const lines = [header];
  for (const f of findings) {
    lines.push(`  ${(f.ok ? 'ok' : failed).padEnd(7)}  ${f.check.padEnd(width)}  ${f.detail}`);
    for (const m of f.missing) lines.push(`           ${' '.repeat(width)}  - ${m}`);
  }
  const missing = findings.filter((f) => !f.ok).length;
  lines.push(missing === 0 ? 'ready: every check passed' : `not ready: ${missing} check(s) found something missing`);
  return `${lines.join('\n')}\n`;
}

async function execute(argv: string[], io: CommandIo, deps: PreflightDeps): Promise<number> {
  const { selection, rest } = splitSourceFlags(argv);
  const flags: Flags = parseFlags(rest, OPTIONS).values;
  if (helpPrinted(flags, io, PREFLIGHT_USAGE)) return 0;
  const path = flags.config ?? DEFAULT_CONFIG;
  if (!flags.aws) return capacity(path, flags, selection, io);
  const offline = (['world', 'add', 'segment', 'accounts'] as const).filter((f) => flags[f] !== undefined);
  if (offline.length > 0 || selection.local) {
    throw new UsageError(
      `${[...offline.map((f) => `--${f}`), ...(selection.local ? ['--local'] : [])].join(', ')}: capacity is ` +
        "checked offline (without --aws); reading a real account's capacity is not supported yet",
    );
  }
  const config = loadConfigFile(path);
  // Loaded when used: the synthesized policies of the hub functions, for this configuration.
  const { expectedFunctionPolicies } = require('../../local/iam') as typeof import('../../local/iam');
  const region = selection.region ?? config.hub.region;
  const clients = (deps.clients ?? awsClients)(region, selection.profile);
  const findings = await runPreflight(HUB_CHECKS, {
    config,
    clients,
    expectedPolicies: expectedFunctionPolicies(config),
  });
  const ready = findings.every((f) => f.ok);
  io.stdout(
    flags.json
      ? `${JSON.stringify({ config: path, hub: config.hub.accountId, region, ready, findings }, null, 2)}\n`
      : render(findings, `spokelink preflight: hub ${config.hub.accountId} (${region}), ${path}`),
  );
  return ready ? 0 : 1;
}

/** A whole number flag in [min, max], or a usage error naming it. */
function count(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  }
  return n;
}

/** Capacity, offline: the usage of the world file or saved registry against the quotas, and the wave. */
async function capacity(path: string, flags: Flags, selection: SourceSelection, io: CommandIo): Promise<number> {
  if (flags.world !== undefined && selection.local) {
    throw new UsageError("--world and --local name two sources of the hub's usage: pick one");
  }
  // Flags first (a bad flag is reported before any file is read), then the files.
  const add = count('add', flags.add, 0, 0, 100_000);
  const accounts = count('accounts', flags.accounts, 1, 1, 100_000);
  const config = loadConfigFile(path);
  const segment = flags.segment ?? config.defaultSegment;
  if (!Object.hasOwn(config.segments, segment)) {
    throw new UsageError(
      `--segment ${JSON.stringify(segment)} is not a segment of ${path} (${Object.keys(config.segments).join(', ')})`,
    );
  }
  const usage = await loadUsage(config, flags.world, selection);
  const wave = { add, segment, accounts };
  const findings = await runPreflight(CAPACITY_CHECKS, { config, usage, wave });
  const fits = findings.every((f) => f.ok);
  const first = firstLimit(findings);
  if (flags.json) {
    io.stdout(
      `${JSON.stringify(
        {
          config: path,
          hub: config.hub.accountId,
          region: config.hub.region,
          usage: usage.source,
          wave,
          fits,
          firstLimit: first ?? null,
          findings,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    const header = [
      `spokelink preflight: capacity of hub ${config.hub.accountId} (${config.hub.region}), ${path}`,
      `  usage: ${usage.source}`,
      `  wave: ${add} VPC(s) of segment ${segment} over ${accounts} account(s) (each: every endpoint the segment may ` +
        'use, one IPv4 block)',
    ].join('\n');
    const body = render(findings, header, 'FULL').split('\n').slice(0, -2);
    if (first) {
      body.push(
        `first limit: ${first.name} on ${first.on}: ${first.used}/${first.limit}, room for ${first.headroomVpcs} more ` +
          `VPC(s) (${first.page})`,
      );
    }
    body.push(
      fits
        ? `fits: a wave of ${add} VPC(s) fits every quota and budget`
        : `does not fit: ${findings
            .filter((f) => !f.ok)
            .map((f) => f.check)
            .join(', ')} (see above)`,
    );
    io.stdout(`${body.join('\n')}\n`);
  }
  return fits ? 0 : 1;
}

/** The hub's usage: from a world file, a saved run's registry, or none (an empty hub). */
async function loadUsage(config: HubConfig, world: string | undefined, selection: SourceSelection): Promise<HubUsage> {
  if (world !== undefined) {
    const { loadWorldFile } = require('#twin/world') as typeof import('#twin/world');
    let parsed: World;
    try {
      parsed = loadWorldFile(world);
    } catch (error) {
      throw new ConfigurationError((error as Error).message);
    }
    return usageFromWorld(config, parsed, `world ${world}`);
  }
  if (selection.local) {
    const registry = savedRunRegistry(selection.runDir);
    const records = (await registry.consumerRecords(false)) as unknown as ConsumerRecord[];
    return usageFromRecords(config, records, registry.describe);
  }
  return usageFromRecords(config, [], 'none given (--world or --local): an empty hub');
}

/** `spokelink preflight`: exit 0 when the hub is ready, 1 when something is missing, 2 on bad flags or files. */
export async function run(argv: string[], io: CommandIo, deps: PreflightDeps = {}): Promise<number> {
  return withExitCodes('preflight', io, () => execute(argv, io, deps));
}
