import { parseArgs } from 'node:util';
import { loadConfigFile } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import { DEFAULT_CONFIG, splitSourceFlags } from '../audit/source';
import { type Finding, HUB_CHECKS, type PreflightClients, runPreflight } from '../preflight/checks';
import { type CommandIo, UsageError } from './cost';

export const PREFLIGHT_USAGE = `usage: spokelink preflight --config FILE --aws [--json] [--region R] [--profile P]
  checks a hub before its first onboarding (docs/deploy.md, "First run in a sandbox"): the configured TGW, its
  route tables, the private hosted zones, endpoint security groups and endpoint services exist; the TGW is shared
  with the organization; StackSets has trusted access; every hub function's role allows every call spokelink makes
  (iam:SimulatePrincipalPolicy against the policies the CDK app synthesizes). Exit 1 when something is missing.
  --config FILE   the hub configuration (default ${DEFAULT_CONFIG})
  --aws           read the hub account (standard credential chain; --region, default the hub region; --profile)
  --json          one JSON document on stdout
`;

const OPTIONS = {
  config: { type: 'string' },
  aws: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

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

function render(findings: Finding[], header: string): string {
  const width = Math.max(...findings.map((f) => f.check.length));
  const lines = [header];
  for (const f of findings) {
    lines.push(`  ${f.ok ? 'ok     ' : 'MISSING'}  ${f.check.padEnd(width)}  ${f.detail}`);
    for (const m of f.missing) lines.push(`           ${' '.repeat(width)}  - ${m}`);
  }
  const failed = findings.filter((f) => !f.ok).length;
  lines.push(failed === 0 ? 'ready: every check passed' : `not ready: ${failed} check(s) found something missing`);
  return `${lines.join('\n')}\n`;
}

async function execute(argv: string[], io: CommandIo, deps: PreflightDeps): Promise<number> {
  const { selection, rest } = splitSourceFlags(argv);
  if (selection.local) throw new UsageError('preflight reads a hub in AWS (--aws): --local has no hub to read');
  let flags: { config?: string; aws?: boolean; json?: boolean; help?: boolean };
  try {
    flags = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (flags.help) {
    io.stdout(PREFLIGHT_USAGE);
    return 0;
  }
  const path = flags.config ?? DEFAULT_CONFIG;
  const config = loadConfigFile(path);
  if (!flags.aws) {
    throw new UsageError(`${path} is valid; add --aws to check the hub account it describes`);
  }
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

/** `spokelink preflight`: exit 0 when the hub is ready, 1 when something is missing, 2 on bad flags or files. */
export async function run(argv: string[], io: CommandIo, deps: PreflightDeps = {}): Promise<number> {
  try {
    return await execute(argv, io, deps);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.stderr(`spokelink preflight: ${error.message}\n`);
      if (error instanceof UsageError) io.stderr('run "spokelink preflight --help" for the flags\n');
      return 2;
    }
    io.stderr(`spokelink preflight: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
