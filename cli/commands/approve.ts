import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type HubConfig, loadConfigFile, registryTableName } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import type { RegistryTable } from '#shared/registry';
import { ApprovalExpiredError, decide, NoPendingApprovalError } from '../../functions/approval/decide';
import type { CommandIo } from './cost';

/**
 * `spokelink approve VPC_ID` and `spokelink deny VPC_ID`: the answer to an onboarding that waits for an approval
 * (a segment with `requiresApproval`). The pending approval is looked up in the registry by VPC id and the waiting
 * execution answered with SendTaskSuccess / SendTaskFailure, in AWS, with the standard credential chain. The task
 * token is never printed. A paused execution exists only while a hub runs: for local runs, `approve`/`deny` are steps
 * of a `spokelink simulate --scenario` file.
 */

const usage = (decision: Decision) => `usage: spokelink ${decision} VPC_ID [options]
  ${decision === 'approve' ? 'Lets' : 'Refuses'} the onboarding of VPC_ID into a segment that requires approval ${
    decision === 'approve' ? '(it resumes and connects)' : '(status rejected, nothing changed)'
  }.

  --reason TEXT       why (recorded in the execution${decision === 'deny' ? ' and the status detail' : ''})
  --by NAME           who decides (default: the caller's IAM identity)
  --config FILE       hub configuration: the registry table and region (default config/example.hub.json)
  --table NAME        the registry table (default: from --config)
  --region REGION     the hub region (default: from --config)
  --profile NAME      a named profile of the standard credential chain (default: AWS_PROFILE or the chain)
  -h, --help          this help

  Exit codes: 0 decided; 1 nothing waits for a decision (never asked, already answered, timed out) or AWS refused;
  2 bad arguments.
`;

type Decision = 'approve' | 'deny';

const OPTIONS = {
  reason: { type: 'string' },
  by: { type: 'string' },
  config: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const DEFAULT_CONFIG = 'config/example.hub.json';

/** Bad arguments: exit code 2. */
export class ApproveUsageError extends ConfigurationError {}

/** The AWS clients the command uses (injected by tests and local runs). */
export interface ApproveClients {
  registry: RegistryTable;
  sfn: SFNClient;
  /** The caller's identity ARN, for `by` (undefined when it cannot be told). */
  caller: () => Promise<string | undefined>;
}

export interface ApproveDeps {
  clients?: (target: { region: string; profile?: string; tableName: string }) => ApproveClients;
  now?: () => number;
}

function awsClients(target: { region: string; profile?: string; tableName: string }): ApproveClients {
  const base = { region: target.region, ...(target.profile ? { profile: target.profile } : {}) };
  const sts = new STSClient(base);
  return {
    registry: { dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(base)), tableName: target.tableName },
    sfn: new SFNClient(base),
    caller: async () => (await sts.send(new GetCallerIdentityCommand({})).catch(() => undefined))?.Arn,
  };
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new ApproveUsageError((error as Error).message);
  }
}

async function execute(decision: Decision, argv: string[], io: CommandIo, deps: ApproveDeps): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    io.stdout(usage(decision));
    return 0;
  }
  const [vpcId, ...extra] = positionals;
  if (vpcId === undefined || !VPC_ID.test(vpcId) || extra.length > 0) {
    throw new ApproveUsageError(`give exactly one VPC id (vpc-...), got ${JSON.stringify(positionals)}`);
  }
  if (values.region !== undefined && !REGION.test(values.region)) {
    throw new ApproveUsageError(
      `--region must be an AWS region such as us-east-1, not ${JSON.stringify(values.region)}`,
    );
  }
  let config: HubConfig | undefined;
  if (values.table === undefined || values.region === undefined)
    config = loadConfigFile(values.config ?? DEFAULT_CONFIG);
  const region = values.region ?? config!.hub.region;
  const tableName = values.table ?? registryTableName(config!);
  const clients = (deps.clients ?? awsClients)({ region, profile: values.profile, tableName });
  const by = values.by ?? (await clients.caller()) ?? 'unknown caller';

  try {
    const result = await decide(
      { vpcId, decision, reason: values.reason, by },
      { registry: clients.registry, sfn: clients.sfn, now: deps.now ?? (() => Date.now()) },
    );
    const execution = result.executionArn.split(':').at(-1);
    io.stdout(
      decision === 'approve'
        ? `approved ${vpcId} into segment ${result.segment}: execution ${execution} resumes\n`
        : `denied ${vpcId} (segment ${result.segment}): execution ${execution} ends rejected, nothing changed\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof NoPendingApprovalError || error instanceof ApprovalExpiredError) {
      io.stderr(`spokelink ${decision}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function runDecision(decision: Decision, argv: string[], io: CommandIo, deps: ApproveDeps = {}) {
  try {
    return await execute(decision, argv, io, deps);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.stderr(`spokelink ${decision}: ${error.message}\n`);
      if (error instanceof ApproveUsageError) io.stderr(`run "spokelink ${decision} --help" for the options\n`);
      return 2;
    }
    const name = error instanceof Error ? error.name : 'Error';
    io.stderr(`spokelink ${decision}: ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** `spokelink approve VPC_ID`: resumes the VPC's onboarding. */
export const runApprove = (argv: string[], io: CommandIo, deps?: ApproveDeps) => runDecision('approve', argv, io, deps);

/** `spokelink deny VPC_ID`: the VPC's onboarding ends rejected (`approval-denied: <reason>`), nothing changed. */
export const runDeny = (argv: string[], io: CommandIo, deps?: ApproveDeps) => runDecision('deny', argv, io, deps);
