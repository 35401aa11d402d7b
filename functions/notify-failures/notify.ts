import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { HubConfig } from '#shared/config';
import { escapeControl } from '#shared/display';
import { isAwsError } from '#shared/errors';
import { logger } from '#shared/logger';
import type { RegistryTable } from '#shared/registry';

/**
 * Failure notifications, summed up per account: a tenant whose VPCs fail by the hundred (or who makes them fail)
 * must not flood the platform team's mailbox, nor bury the one failure of another account. Each failed, timed-out or
 * aborted execution adds to its account's counts (registry item `NOTIFY#FAILURES` / `<accountId>`); a message goes
 * out when the account has had none for `notifications.failureWindowMinutes` (15 by default), with the counts of
 * everything since the last one. What arrives within the window waits for the next message, which the minute
 * schedule sends once the window is over. So: at most one message per account per window, none lost.
 */

export interface NotifyDeps {
  config: HubConfig;
  registry: RegistryTable;
  sns: SNSClient;
  topicArn: string;
  now: () => number;
}

export const NOTIFY_PK = 'NOTIFY#FAILURES';

/** An ended execution, from its Step Functions status-change event. */
export interface EndedExecution {
  accountId: string;
  name: string;
  status: string;
  error?: string;
}

const STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

interface Counts {
  accountId: string;
  pending: number;
  byStatus: Record<string, number>;
  since?: number;
  latest?: string;
  lastSentAt?: number;
}

function countsOf(item: Record<string, unknown>): Counts {
  return {
    accountId: String(item.sk),
    pending: Number(item.pending ?? 0),
    byStatus: Object.fromEntries(STATUSES.map((s) => [s, Number(item[`n${s}`] ?? 0)]).filter(([, n]) => n !== 0)),
    since: item.since === undefined ? undefined : Number(item.since),
    latest: item.latest === undefined ? undefined : String(item.latest),
    lastSentAt: item.lastSentAt === undefined ? undefined : Number(item.lastSentAt),
  };
}

/** The message of an account's counts (control and bidi characters escaped: names and errors carry tag values). */
export function failureMessage(counts: Counts, windowMinutes: number): { subject: string; message: string } {
  const statuses = Object.entries(counts.byStatus)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const since = counts.since === undefined ? '' : ` since ${new Date(counts.since).toISOString()}`;
  const subject = `spokelink: ${counts.pending} unsuccessful execution(s) in account ${counts.accountId}`;
  const message = [
    `${counts.pending} spokelink execution(s) of account ${counts.accountId} ended unsuccessfully${since}: ${statuses}.`,
    `Latest: ${counts.latest ?? 'unknown'}.`,
    `At most one message per account every ${windowMinutes} minutes; the next one counts what happens meanwhile.`,
    `Details: spokelink audit --all --since ${windowMinutes}m (each VPC's status tag names its failed step).`,
  ].join('\n');
  return { subject: escapeControl(subject).slice(0, 99), message: escapeControl(message) };
}

/**
 * Sends the account's message if its window allows and something is pending. The send is claimed first (a
 * conditional reset of the counts, so two notifiers never both send), and given back if SNS refuses it.
 */
async function flushAccount(accountId: string, deps: NotifyDeps): Promise<boolean> {
  const now = deps.now();
  const windowMinutes = deps.config.notifications.failureWindowMinutes;
  const cutoff = now - windowMinutes * 60_000;
  let claimed: Counts;
  try {
    const { Attributes } = await deps.registry.dynamo.send(
      new UpdateCommand({
        TableName: deps.registry.tableName,
        Key: { pk: NOTIFY_PK, sk: accountId },
        UpdateExpression: `SET lastSentAt = :now, pending = :zero, ${STATUSES.map((s) => `n${s} = :zero`).join(', ')} REMOVE since`,
        ConditionExpression: 'pending > :zero AND (attribute_not_exists(lastSentAt) OR lastSentAt <= :cutoff)',
        ExpressionAttributeValues: { ':now': now, ':zero': 0, ':cutoff': cutoff },
        ReturnValues: 'ALL_OLD',
      }),
    );
    claimed = countsOf(Attributes ?? {});
  } catch (error) {
    if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
    throw error;
  }
  const { subject, message } = failureMessage(claimed, windowMinutes);
  try {
    await deps.sns.send(new PublishCommand({ TopicArn: deps.topicArn, Subject: subject, Message: message }));
  } catch (error) {
    // Give the counts back: the next attempt (a retry of this event, or the schedule) sends them.
    await deps.registry.dynamo.send(
      new UpdateCommand({
        TableName: deps.registry.tableName,
        Key: { pk: NOTIFY_PK, sk: accountId },
        UpdateExpression: `ADD pending :n, ${STATUSES.map((s) => `n${s} :n${s}`).join(', ')} REMOVE lastSentAt`,
        ExpressionAttributeValues: {
          ':n': claimed.pending,
          ...Object.fromEntries(STATUSES.map((s) => [`:n${s}`, claimed.byStatus[s] ?? 0])),
        },
      }),
    );
    throw error;
  }
  logger.info('failure notification sent', { accountId, failures: claimed.pending, byStatus: claimed.byStatus });
  return true;
}

/** Counts an ended execution for its account and sends the account's message if its window allows. */
export async function recordFailure(ended: EndedExecution, deps: NotifyDeps): Promise<{ sent: boolean }> {
  const status = (STATUSES as readonly string[]).includes(ended.status) ? ended.status : 'FAILED';
  await deps.registry.dynamo.send(
    new UpdateCommand({
      TableName: deps.registry.tableName,
      Key: { pk: NOTIFY_PK, sk: ended.accountId },
      UpdateExpression: `SET #kind = :kind, since = if_not_exists(since, :now), latest = :latest ADD pending :one, n${status} :one`,
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: {
        ':kind': 'failure-counts',
        ':now': deps.now(),
        ':latest': `${ended.name} ${status}${ended.error ? ` (${ended.error})` : ''}`.slice(0, 300),
        ':one': 1,
      },
    }),
  );
  return { sent: await flushAccount(ended.accountId, deps) };
}

/** The schedule's pass: sends every account's pending counts whose window is over. Returns what still waits. */
export async function flushAll(deps: NotifyDeps): Promise<{ sent: number; pending: number }> {
  const waiting: string[] = [];
  const pages = paginateQuery(
    { client: deps.registry.dynamo },
    {
      TableName: deps.registry.tableName,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: 'pending > :zero',
      ExpressionAttributeValues: { ':pk': NOTIFY_PK, ':zero': 0 },
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) waiting.push(String(item.sk));
  let sent = 0;
  for (const accountId of waiting) if (await flushAccount(accountId, deps)) sent += 1;
  return { sent, pending: waiting.length - sent };
}
