import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { LocalHub } from '#local/hub';
import { twinPlugin } from '#twin/plugin';
import type { ExecutionData, HistoryEventLike } from '../../cli/audit/history';

export const ROOT = join(__dirname, '..', '..');
export const HISTORIES = join(ROOT, 'test', 'fixtures', 'histories');

/** A recorded execution: DescribeExecution's answer and the whole GetExecutionHistory, as the API returned them. */
export interface HistoryFixture {
  scenario: string;
  execution: ExecutionData;
  events: HistoryEventLike[];
}

/** An SFNClient of the hub account answered by a running local hub (what `spokelink audit` reads in a test). */
export function hubSfnClient(hub: LocalHub): SFNClient {
  const reader = hub.twin.credentialsFor(`arn:aws:iam::${hub.config.hub.accountId}:role/spokelink-auditor`);
  const client = new SFNClient({
    region: hub.config.hub.region,
    credentials: { accessKeyId: reader.accessKeyId, secretAccessKey: reader.secretAccessKey },
    maxAttempts: 1,
  });
  client.middlewareStack.use(twinPlugin(hub.twin));
  return client;
}

/** Reads `test/fixtures/histories/<name>.json` with timestamps as Dates, as the SDK returns them. */
export function loadHistoryFixture(name: string): HistoryFixture {
  const raw = JSON.parse(readFileSync(join(HISTORIES, `${name}.json`), 'utf8')) as HistoryFixture;
  const revive = (value: unknown) => (typeof value === 'string' ? new Date(value) : value);
  return {
    scenario: raw.scenario,
    execution: {
      ...raw.execution,
      startDate: revive(raw.execution.startDate) as Date,
      ...(raw.execution.stopDate ? { stopDate: revive(raw.execution.stopDate) as Date } : {}),
    },
    events: raw.events.map((e) => ({ ...e, timestamp: revive(e.timestamp) as Date })),
  };
}
