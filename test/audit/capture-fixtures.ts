/**
 * Captures the recorded execution histories of test/fixtures/histories/ from runs of the local hub (the real
 * onboarding state machine and handlers on the twin), read back through the Step Functions API exactly as
 * `spokelink audit` reads them (DescribeExecution, GetExecutionHistory with includeExecutionData, all pages).
 *
 *   npx tsx test/audit/capture-fixtures.ts            # rewrites every fixture
 *   npx tsx test/audit/capture-fixtures.ts failed     # only the named scenario(s)
 *
 * Runs are deterministic (seeded twin, virtual clock from a fixed start), so a capture repeats byte for byte until
 * the workflow or the twin changes; then re-run it and review the diff of the fixtures with the tests.
 * The twin's attachment and RAM timings are shortened so that the histories stay small (a few dozen retries of the
 * attachment wait instead of hundreds of events).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { createLocalHub, type LocalHub, type LocalHubOptions } from '#local/hub';
import { type HubConfig, loadConfigFile } from '#shared/config';
import { errors } from '#twin/errors';
import { loadWorldFile } from '#twin/world';
import { HISTORIES, hubSfnClient, ROOT } from './helpers';

interface Scenario {
  name: string;
  description: string;
  /** The VPC whose (single) execution is captured. */
  vpcId: string;
  options?: Partial<LocalHubOptions>;
  /** Changes to the example hub configuration. */
  configure?: (config: HubConfig) => void;
  /** Faults to inject once the hub runs. */
  arrange?: (hub: LocalHub) => void;
  /** What the app team (or CloudTrail) does. */
  act: (hub: LocalHub) => Promise<void>;
}

/** 2026-03-02 09:00:00 UTC: the start of every captured run. */
export const CAPTURE_START = Date.UTC(2026, 2, 2, 9, 0, 0);

const SHORT_TIMINGS = { attachmentPendingMs: 12_000, ramShareVisibilityMs: 4_000 };

export const SCENARIOS: Scenario[] = [
  {
    name: 'connected',
    description: 'analytics-dev (333333333333) tags spokelink:connect=true: onboarded to nonprod, connected',
    vpcId: 'vpc-0b300000000000001',
    act: async (hub) => {
      hub.announceTags('vpc-0b300000000000001');
    },
  },
  {
    name: 'rejected',
    description: 'sandbox (333333333333) asks for segment prod, which its account may not use: rejected',
    vpcId: 'vpc-0b300000000000002',
    act: async (hub) => {
      await hub.tagVpc('vpc-0b300000000000002', { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    },
  },
  {
    name: 'retries',
    description:
      'ledger-prod (222222222222) connects while Lambda throttles AssociateZones twice and EC2 throttles ' +
      'CreateRoute beyond the SDK retries: retried by the state machine, connected',
    vpcId: 'vpc-0a200000000000002',
    arrange: (hub) => {
      hub.lambdas.inject({
        state: 'AssociateZones',
        phase: 'before-handler',
        error: 'Lambda.TooManyRequestsException',
        occurrences: [1, 2],
      });
      // The handlers' SDK clients make 3 attempts: 3 throttled calls fail one invocation with RequestLimitExceeded.
      hub.twin.inject({ service: 'ec2', operation: 'CreateRoute', times: 3, error: () => errors.throttled('ec2') });
    },
    act: async (hub) => {
      hub.announceTags('vpc-0a200000000000002');
    },
  },
  {
    name: 'failed',
    description:
      'payments-prod (222222222222) connects but every AssociateZones invocation fails with AccessDenied: the ' +
      'zones branch fails, the failure is recorded and the execution fails (the TGW branch had already attached)',
    vpcId: 'vpc-0a200000000000001',
    arrange: (hub) => {
      hub.lambdas.inject({
        state: 'AssociateZones',
        phase: 'before-handler',
        error: {
          name: 'AccessDenied',
          message:
            'User: arn:aws:sts::111111111111:assumed-role/spokelink-fn-zones/spokelink-zones is not authorized to ' +
            'perform: route53:CreateVPCAssociationAuthorization on resource: arn:aws:route53:::hostedzone/Z0SSM00000000000000001',
        },
      });
    },
    act: async (hub) => {
      hub.announceTags('vpc-0a200000000000001');
    },
  },
  {
    name: 'pending-approval',
    description:
      'payments-prod (222222222222) asks for segment prod, which requires approval: the execution waits for the ' +
      'approval task token (still RUNNING when captured)',
    vpcId: 'vpc-0a200000000000001',
    configure: (config) => {
      config.segments.prod!.requiresApproval = true;
    },
    act: async (hub) => {
      hub.announceTags('vpc-0a200000000000001');
    },
  },
  {
    name: 'cloudtrail-created',
    description:
      'partner-integration (555555555555, outside the organization) arrives by a CloudTrail CreateVpc event made by ' +
      'an assumed role: connected through the RAM invitation path',
    vpcId: 'vpc-0d500000000000001',
    act: async (hub) => {
      hub.deliver({
        version: '0',
        id: '4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.ec2',
        account: '555555555555',
        time: new Date(Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: 'us-east-1',
        resources: [],
        detail: {
          eventVersion: '1.09',
          userIdentity: {
            type: 'AssumedRole',
            principalId: 'AROA5555555555EXAMPLE:maria',
            arn: 'arn:aws:sts::555555555555:assumed-role/partner-admin/maria',
            accountId: '555555555555',
            accessKeyId: 'ASIA5555555555EXAMPLE',
          },
          eventTime: new Date(Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          eventSource: 'ec2.amazonaws.com',
          eventName: 'CreateVpc',
          awsRegion: 'us-east-1',
          sourceIPAddress: '203.0.113.24',
          userAgent: 'aws-cli/2.17.0',
          recipientAccountId: '555555555555',
          requestParameters: {
            cidrBlock: '10.5.0.0/16',
            tagSpecificationSet: {
              items: [
                {
                  resourceType: 'vpc',
                  tags: [
                    { key: 'spokelink:connect', value: 'true' },
                    { key: 'spokelink:segment', value: 'nonprod' },
                    { key: 'spokelink:services', value: 'ssm' },
                  ],
                },
              ],
            },
          },
          responseElements: {
            vpc: {
              vpcId: 'vpc-0d500000000000001',
              ownerId: '555555555555',
              cidrBlock: '10.5.0.0/16',
              tagSet: {
                items: [
                  { key: 'Name', value: 'partner-integration' },
                  { key: 'spokelink:connect', value: 'true' },
                  { key: 'spokelink:segment', value: 'nonprod' },
                  { key: 'spokelink:services', value: 'ssm' },
                ],
              },
            },
          },
        },
      });
    },
  },
];

async function fullHistory(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetExecutionHistoryCommand({ executionArn, includeExecutionData: true, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** Runs one scenario on a fresh local hub and returns the fixture's JSON text. */
export async function capture(scenario: Scenario): Promise<string> {
  const config = loadConfigFile(join(ROOT, 'config/example.hub.json'));
  scenario.configure?.(config);
  const hub = await createLocalHub({
    config,
    world: loadWorldFile(join(ROOT, 'worlds/example.world.json')),
    startTime: CAPTURE_START,
    twinOptions: { timings: SHORT_TIMINGS },
    ...scenario.options,
  });
  try {
    scenario.arrange?.(hub);
    await scenario.act(hub);
    const run = await hub.runUntilIdle({ maxVirtualMs: 3_600_000 });
    if (run.reason === 'limit') throw new Error(`${scenario.name}: the run did not settle (${run.reason})`);
    const executions = hub.executions().filter((e) => e.name.startsWith(`${scenario.vpcId}-`));
    if (executions.length !== 1) {
      throw new Error(`${scenario.name}: expected one execution for ${scenario.vpcId}, got ${executions.length}`);
    }
    const client = hubSfnClient(hub);
    const executionArn = executions[0]!.executionArn;
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    const events = await fullHistory(client, executionArn);
    const execution = {
      executionArn: described.executionArn,
      stateMachineArn: described.stateMachineArn,
      name: described.name,
      status: described.status,
      startDate: described.startDate?.toISOString(),
      stopDate: described.stopDate?.toISOString(),
      input: described.input,
      output: described.output,
      error: described.error,
      cause: described.cause,
    };
    const fixture = {
      scenario: scenario.description,
      execution,
      events: events.map((e) => ({ ...e, timestamp: e.timestamp?.toISOString() })),
    };
    // Pretty-printed as Biome formats JSON, so `npm run lint` passes on the committed fixtures.
    return `${JSON.stringify(fixture, null, 2)}\n`;
  } finally {
    await hub.close();
  }
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario(s) ${unknown.join(', ')} (${SCENARIOS.map((s) => s.name).join(', ')})`);
  }
  mkdirSync(HISTORIES, { recursive: true });
  for (const scenario of SCENARIOS) {
    if (only.length > 0 && !only.includes(scenario.name)) continue;
    const text = await capture(scenario);
    const path = join(HISTORIES, `${scenario.name}.json`);
    writeFileSync(path, text);
    process.stdout.write(`${scenario.name}: ${path} (${Math.round(text.length / 1024)} KB)\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
