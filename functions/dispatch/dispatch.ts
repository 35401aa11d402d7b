import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { HubConfig } from '#shared/config';
import { isAwsError } from '#shared/errors';
import { executionName, type WorkflowKind } from '#shared/events';
import {
  accountsWaitingAfter,
  dequeue,
  forgetRunning,
  giveBackHubSlot,
  hubSlots,
  hubSlotsRunning,
  putRunning,
  type QueuedRequest,
  queuedRequests,
  type RunningExecution,
  runningExecutions,
  takeHubSlot,
  withAccountLock,
} from '#shared/intake-queue';
import { logger } from '#shared/logger';
import { getApproval, type RegistryTable } from '#shared/registry';
import { isExecutionRunning } from '../lease/lease';

/**
 * The dispatcher: starts the queued requests (functions/shared/intake-queue.ts) that may start, per account:
 * - a request waits until its debounce window ends (`intake.debounceSeconds`: a VPC's rapid tag changes become one
 *   execution, with the latest tags);
 * - a VPC runs one queued execution at a time (a later request waits for the running one to end);
 * - an account runs at most `intake.maxConcurrentExecutionsPerAccount` queued executions at a time, oldest request
 *   first. The limits are per account, so one tenant's flood only ever waits behind itself;
 * - the hub runs at most `intake.maxConcurrentExecutions` queued executions at a time, all accounts together (its EC2
 *   API buckets serve them all: past what they serve, executions only retry throttled calls). A pass over every
 *   account visits the accounts oldest waiting request first. A slot of a full hub freed by an execution's end goes
 *   round: to the accounts after the execution's own in account order first, then back to its own (so that accounts
 *   take turns at a full hub, and no account id is always served first);
 * - while the hub is paused (`operations.paused`), onboarding requests are held: they stay in the queue (counted in
 *   its depth and in `held`) and start on the first pass after the pause ends. Offboardings still start.
 *
 * It runs inline in the intake (the account of the event), when an execution ends (the Step Functions status-change
 * event: a slot is free) and every minute (the schedule: debounce windows that ended, and a missed status event).
 * Starting is idempotent (the execution's name comes from the event id), so two dispatchers racing start nothing
 * twice; they may briefly run one execution over an account's limit, never lose a request. The hub's limit holds
 * exactly (a conditional update per slot).
 */

export interface DispatchDeps {
  config: HubConfig;
  registry: RegistryTable;
  sfn: SFNClient;
  stateMachineArn: (kind: WorkflowKind) => string;
  now: () => number;
}

export interface Started {
  vpcId: string;
  accountId: string;
  workflow: WorkflowKind;
  name: string;
  executionArn: string;
  /** The execution already existed (a duplicate delivery of an event that already ran). */
  duplicate: boolean;
  /** Events this execution stands for (debounced into one). */
  merged: number;
}

export interface DispatchResult {
  started: Started[];
  /** Requests still waiting after this pass (the queue depth), in total and per account. */
  queueDepth: number;
  queueDepthByAccount: Record<string, number>;
  /** Of those, the onboarding requests held by the pause (`operations.paused`), per account. */
  heldByAccount: Record<string, number>;
  /** Executions started from the queue still running, per account. */
  runningByAccount: Record<string, number>;
  /** Accounts another pass was working on: that pass takes their requests. */
  lockedOut: string[];
  /** Executions started from the queue running in the whole hub after this pass (`intake.maxConcurrentExecutions`). */
  hubRunning: number;
  /** A request that could have started waits for a slot of the hub (its limit reached). */
  hubLimited: boolean;
  /** Epoch ms of the earliest debounce window still open, if any (when the next pass has work). */
  nextDueAt?: number;
}

/**
 * The live executions among the recorded ones that hold their VPC and a slot of their account; the ended ones
 * (`ended`: known to have ended) are forgotten. An execution that waits for an approval (its pending approval item
 * names it) holds neither: it changes nothing while it waits (up to approvals.timeoutSeconds), and the VPC's next
 * request (a withdrawal, say) must not wait behind it.
 */
async function liveExecutions(
  running: readonly RunningExecution[],
  ended: string | undefined,
  deps: DispatchDeps,
  hub: HubSlots,
): Promise<RunningExecution[]> {
  const live: RunningExecution[] = [];
  for (const execution of running) {
    if (execution.executionArn === ended || !(await isExecutionRunning(deps.sfn, execution.executionArn))) {
      await forgetRunning(deps.registry, execution);
      if (await giveBackHubSlot(deps.registry, execution.vpcId, execution.name)) hub.running -= 1;
    } else if ((await getApproval(deps.registry, execution.vpcId))?.executionArn !== execution.executionArn) {
      live.push(execution);
    }
  }
  return live;
}

/** Accounts a slot of a full hub freed by an execution's end is offered to, in turn, before its own account. */
const HANDOVER_ACCOUNTS = 5;

/** The hub's slots as this dispatch knows them: read at its start, then kept up by what it takes and gives back. */
interface HubSlots {
  running: number;
  /** A request that could have started waited for a slot. */
  limited: boolean;
}

const nameOf = (request: QueuedRequest) => executionName(request.vpcId, request.workflow, request.eventId);

async function start(request: QueuedRequest, deps: DispatchDeps): Promise<Started> {
  const { accountId, vpcId, workflow, merged } = request;
  const name = nameOf(request);
  const stateMachineArn = deps.stateMachineArn(workflow);
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  await putRunning(deps.registry, { accountId, vpcId, workflow, name, executionArn, startedAt: deps.now() });
  let duplicate = false;
  try {
    // The raw event is the workflow's input: the audit trail shows exactly what started it.
    await deps.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: request.event }));
  } catch (error) {
    // Names are unique per state machine for 90 days: the same event delivered again finds its execution.
    if (!isAwsError(error, 'ExecutionAlreadyExists')) throw error;
    duplicate = true;
  }
  await dequeue(deps.registry, request);
  return { vpcId, accountId, workflow, name, executionArn, duplicate, merged };
}

/** One account's pass (under its lock): starts what may start, oldest request first. */
async function passAccount(
  waiting: readonly QueuedRequest[],
  running: readonly RunningExecution[],
  ended: string | undefined,
  deps: DispatchDeps,
  hub: HubSlots,
  /** False: only forget what ended (a freed slot of a full hub goes round first). */
  mayStart = true,
): Promise<{ started: Started[]; left: number; held: number; live: number; nextDueAt?: number }> {
  const now = deps.now();
  const limit = deps.config.intake.maxConcurrentExecutionsPerAccount;
  const live = await liveExecutions(running, ended, deps, hub);
  const busy = new Set(live.map((r) => r.vpcId));
  const started: Started[] = [];
  let nextDueAt: number | undefined;
  let left = waiting.length;
  let held = 0;
  for (const request of waiting) {
    // A repeated delivery of the event whose execution runs: nothing to start, nothing to wait for.
    const same = live.find((r) => r.vpcId === request.vpcId && r.name === nameOf(request));
    if (same) {
      await dequeue(deps.registry, request);
      started.push({ ...same, duplicate: true, merged: request.merged });
      left -= 1;
      continue;
    }
    if (deps.config.operations.paused && request.workflow === 'onboard') {
      held += 1;
      continue;
    }
    if (live.length >= limit) break;
    if (request.dueAt > now) {
      nextDueAt = Math.min(nextDueAt ?? request.dueAt, request.dueAt);
      continue;
    }
    if (busy.has(request.vpcId)) continue;
    if (!mayStart) break;
    if (
      !(await takeHubSlot(deps.registry, request.vpcId, nameOf(request), deps.config.intake.maxConcurrentExecutions))
    ) {
      hub.limited = true;
      break;
    }
    hub.running += 1;
    const done = await start(request, deps);
    started.push(done);
    live.push({ ...done, startedAt: now });
    busy.add(request.vpcId);
    left -= 1;
  }
  return { started, left, held, live: live.length, ...(nextDueAt === undefined ? {} : { nextDueAt }) };
}

/**
 * One pass over the queue of `accountId` (or of every account): see the module comment. `ended`: the ARN of an
 * execution known to have ended (its status-change event), forgotten without asking.
 */
export async function dispatch(
  input: { accountId?: string; ended?: string },
  deps: DispatchDeps,
): Promise<DispatchResult> {
  // The accounts to visit: `accountId`, or every account with requests waiting (oldest request first: the hub's free
  // slots go to the longest waiting) or executions recorded.
  const accounts =
    input.accountId !== undefined
      ? [input.accountId]
      : [
          ...new Set([
            ...(await queuedRequests(deps.registry)).map((q) => q.accountId),
            ...(await runningExecutions(deps.registry)).map((r) => r.accountId).sort(),
          ]),
        ];
  const hubLimit = deps.config.intake.maxConcurrentExecutions;
  const hub: HubSlots = { running: await hubSlotsRunning(deps.registry), limited: false };
  // The hub was at its limit: other accounts' requests may wait for the slot this pass frees.
  const hubWasFull = hub.running >= hubLimit;
  const free = () => hub.running < hubLimit;
  const started: Started[] = [];
  const queueDepthByAccount: Record<string, number> = {};
  const heldByAccount: Record<string, number> = {};
  const runningByAccount: Record<string, number> = {};
  const lockedOut: string[] = [];
  let nextDueAt: number | undefined;

  const visit = async (accountId: string, mayStart = true) => {
    // Under the lock, the account's queue and running executions as they are then (read again on each pass).
    const pass = await withAccountLock(deps.registry, accountId, deps.now, async () =>
      passAccount(
        await queuedRequests(deps.registry, accountId),
        await runningExecutions(deps.registry, accountId),
        input.ended,
        deps,
        hub,
        mayStart,
      ),
    );
    if (!pass) {
      // Another pass holds the account: it will see these requests (withAccountLock).
      lockedOut.push(accountId);
      const left = (await queuedRequests(deps.registry, accountId)).length;
      if (left > 0) queueDepthByAccount[accountId] = left;
      return;
    }
    started.push(...pass.started);
    if (pass.left > 0) queueDepthByAccount[accountId] = pass.left;
    if (pass.held > 0) heldByAccount[accountId] = pass.held;
    if (pass.live > 0) runningByAccount[accountId] = pass.live;
    if (pass.nextDueAt !== undefined) nextDueAt = Math.min(nextDueAt ?? pass.nextDueAt, pass.nextDueAt);
  };
  const own = input.accountId;
  if (own !== undefined && input.ended !== undefined && hubWasFull) {
    // An execution ended at a full hub: its slot goes round. The accounts after its own in account order take their
    // turn first (a few: the minute's pass over every account serves the rest), then its own account.
    await visit(own, false);
    if (free()) {
      for (const next of await accountsWaitingAfter(deps.registry, own, HANDOVER_ACCOUNTS)) {
        if (!free()) break;
        await visit(next);
      }
    }
    if (free()) await visit(own);
  } else {
    for (const accountId of accounts) await visit(accountId);
  }
  // The minute's pass gives back the slots no running execution holds (a pass that stopped between taking a slot and
  // recording its execution): the slots item and the running items are read after every account's pass.
  if (input.accountId === undefined) {
    const recorded = new Set((await runningExecutions(deps.registry)).map((r) => `${r.vpcId} ${r.name}`));
    for (const [vpcId, name] of Object.entries((await hubSlots(deps.registry)).holders)) {
      if (!recorded.has(`${vpcId} ${name}`) && (await giveBackHubSlot(deps.registry, vpcId, name))) hub.running -= 1;
    }
  }
  const queueDepth = Object.values(queueDepthByAccount).reduce((sum, n) => sum + n, 0);
  const result: DispatchResult = {
    started,
    queueDepth,
    queueDepthByAccount,
    heldByAccount,
    runningByAccount,
    lockedOut,
    hubRunning: hub.running,
    hubLimited: hub.limited,
    ...(nextDueAt === undefined ? {} : { nextDueAt }),
  };
  // The whole queue's depth as a structured field (a pass over every account, every minute): the hub stack's metric
  // filter makes it the IntakeQueueDepth metric. A pass over one account logs that account's depth.
  logger.info('intake dispatch', {
    ...(input.accountId === undefined
      ? { queueDepth, queueDepthByAccount }
      : { accountId: input.accountId, accountQueueDepth: queueDepth }),
    runningByAccount,
    hubRunning: result.hubRunning,
    ...(hub.limited ? { hubLimited: true } : {}),
    ...(deps.config.operations.paused ? { paused: true, heldByAccount } : {}),
    started: started.map((s) => s.name),
  });
  return result;
}
