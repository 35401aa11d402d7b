import { STSClient } from '@aws-sdk/client-sts';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { LocalHub } from '#local/hub';
import { type HubConfig, loadConfigFile } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import type { DecisionBody } from '../../functions/decision/decision';
import { NodeSha256 } from '../../sdk/sha256';
import { helpPrinted, parseFlags } from './command';
import type { CommandIo } from './cost';

/**
 * `spokelink approve VPC_ID` and `spokelink deny VPC_ID`: the answer to an onboarding that waits for an approval
 * (a segment with `requiresApproval`). The decision is POSTed to the hub's decision function URL (`AWS_IAM` auth),
 * SigV4-signed with the approver's credentials (standard credential chain): Lambda authenticates the approver and the
 * function records the approver's IAM ARN, answers the waiting execution and removes the pending request. The
 * approver needs `lambda:InvokeFunctionUrl` on that function, no Step Functions or DynamoDB permission, and never
 * sees the task token. Locally, `approve`/`deny` are steps of a `spokelink simulate --scenario` file, sent to the
 * local hub's function URL the same way.
 */

const usage = (decision: Decision) => `usage: spokelink ${decision} VPC_ID --url URL [options]
  ${decision === 'approve' ? 'Lets' : 'Refuses'} the onboarding of VPC_ID into a segment that requires approval ${
    decision === 'approve' ? '(it resumes and connects)' : '(status rejected, nothing changed)'
  }.
  The approver is the IAM identity that signs the request (recorded as the decision's author).

  --url URL           the decision function URL (the hub stack's DecisionUrl output; or SPOKELINK_DECISION_URL)
  --request DIGEST    the request digest of the approval notification: refused if the VPC now asks for another request
  --reason TEXT       why (recorded in the execution${decision === 'deny' ? ' and the status detail' : ''})
  --config FILE       hub configuration: the hub region (default config/example.hub.json)
  --region REGION     the hub region (default: from --config)
  --profile NAME      a named profile of the standard credential chain (default: AWS_PROFILE or the chain)
  -h, --help          this help

  Exit codes: 0 decided; 1 nothing waits for a decision (never asked, already answered, withdrawn, timed out), the
  request changed, or AWS refused; 2 bad arguments.
`;

type Decision = 'approve' | 'deny';

const OPTIONS = {
  url: { type: 'string' },
  request: { type: 'string' },
  reason: { type: 'string' },
  config: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
} as const;

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const DIGEST = /^[0-9a-f]{8,64}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const LAMBDA_URL = /^https:\/\/[a-z0-9]+\.lambda-url\.[a-z0-9-]+\.on\.aws\/?$/;
const DEFAULT_CONFIG = 'config/example.hub.json';

/** Bad arguments: exit code 2. */
export class ApproveUsageError extends ConfigurationError {}

/** What the decision function URL answered. */
export interface DecisionReply {
  statusCode: number;
  body: string;
}

/** Sends a decision to the decision function URL as the caller (injected by tests and local runs). */
export type DecisionTransport = (body: DecisionBody) => Promise<DecisionReply>;

export interface ApproveDeps {
  transport?: (target: { url: string; region: string; profile?: string }) => DecisionTransport;
}

/** The decision POSTed to the function URL, SigV4-signed (service `lambda`) with the standard credential chain. */
export function signedTransport(target: { url: string; region: string; profile?: string }): DecisionTransport {
  const sts = new STSClient({ region: target.region, ...(target.profile ? { profile: target.profile } : {}) });
  return async (body) => {
    const credentials = (await sts.config.credentials()) as AwsCredentialIdentity;
    const url = new URL(target.url);
    const payload = JSON.stringify(body);
    const request = new HttpRequest({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      headers: { host: url.hostname, 'content-type': 'application/json' },
      body: payload,
    });
    const signer = new SignatureV4({ credentials, region: target.region, service: 'lambda', sha256: NodeSha256 });
    const signed = await signer.sign(request);
    const response = await fetch(url, { method: 'POST', headers: signed.headers, body: payload });
    return { statusCode: response.status, body: await response.text() };
  };
}

/**
 * The local hub's decision function URL, as `approverArn` (a principal of the hub account): what `signedTransport`
 * does in AWS, for scenarios and tests; `region`: the regional hub whose function decides (default: the first).
 */
export function localTransport(hub: LocalHub, approverArn: string, region?: string): DecisionTransport {
  return (body) =>
    hub.invokeFunctionUrl(
      'decision',
      { method: 'POST', body: JSON.stringify(body) },
      hub.twin.credentialsFor(approverArn),
      region,
    );
}

/** A principal of the hub account that approves in local runs: the role `name` (default `approver`). */
export function localApprover(hub: LocalHub, name = 'approver'): string {
  return `arn:aws:iam::${hub.config.hub.accountId}:role/${name}`;
}

const parse = (argv: string[]) => parseFlags(argv, OPTIONS, { usageError: ApproveUsageError, allowPositionals: true });

const messageOf = (body: string): string => {
  try {
    const parsed = JSON.parse(body) as { error?: string; Message?: string };
    return parsed.error ?? parsed.Message ?? body;
  } catch {
    return body;
  }
};

async function execute(decision: Decision, argv: string[], io: CommandIo, deps: ApproveDeps): Promise<number> {
  const { values, positionals } = parse(argv);
  if (helpPrinted(values, io, usage(decision))) return 0;
  const [vpcId, ...extra] = positionals;
  if (vpcId === undefined || !VPC_ID.test(vpcId) || extra.length > 0) {
    throw new ApproveUsageError(`give exactly one VPC id (vpc-...), got ${JSON.stringify(positionals)}`);
  }
  if (values.region !== undefined && !REGION.test(values.region)) {
    throw new ApproveUsageError(
      `--region must be an AWS region such as us-east-1, not ${JSON.stringify(values.region)}`,
    );
  }
  if (values.request !== undefined && !DIGEST.test(values.request)) {
    throw new ApproveUsageError('--request must be the request digest of the notification (8 to 64 hex characters)');
  }
  const url = values.url ?? process.env.SPOKELINK_DECISION_URL;
  if (url === undefined) {
    throw new ApproveUsageError('--url is required: the hub stack output DecisionUrl (or set SPOKELINK_DECISION_URL)');
  }
  if (!LAMBDA_URL.test(url)) {
    throw new ApproveUsageError(`--url must be a Lambda function URL (https://<id>.lambda-url.<region>.on.aws/)`);
  }
  let config: HubConfig | undefined;
  if (values.region === undefined) config = loadConfigFile(values.config ?? DEFAULT_CONFIG);
  const region = values.region ?? config!.hub.region;
  const send = (deps.transport ?? signedTransport)({ url, region, profile: values.profile });
  const reply = await send({
    vpcId,
    decision,
    ...(values.reason !== undefined ? { reason: values.reason } : {}),
    ...(values.request !== undefined ? { request: values.request } : {}),
  });
  if (reply.statusCode !== 200) {
    io.stderr(`spokelink ${decision}: ${messageOf(reply.body)} (HTTP ${reply.statusCode})\n`);
    return 1;
  }
  const result = JSON.parse(reply.body) as { segment: string; executionArn: string; by: string };
  const execution = result.executionArn.split(':').at(-1);
  io.stdout(
    decision === 'approve'
      ? `approved ${vpcId} into segment ${result.segment} as ${result.by}: execution ${execution} resumes\n`
      : `denied ${vpcId} (segment ${result.segment}) as ${result.by}: execution ${execution} ends rejected, nothing changed\n`,
  );
  return 0;
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
