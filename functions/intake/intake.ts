import { servedRegions } from '#shared/config';
import { executionName, parseTrigger, type Trigger, type WorkflowKind } from '#shared/events';
import { enqueue, queuedRequests, runningExecutions } from '#shared/intake-queue';
import { parseRequestTags, touchesRequestTags } from '#shared/tags';
import { type DispatchDeps, dispatch } from '../dispatch/dispatch';

export interface IntakeDeps extends DispatchDeps {}

export type IntakeResult =
  | { ignored: string }
  | {
      started: { workflow: WorkflowKind; name: string; executionArn: string; merged: number; queueDepth: number };
    }
  | { duplicate: true; workflow: WorkflowKind; name: string; queueDepth: number }
  | {
      queued: {
        workflow: WorkflowKind;
        vpcId: string;
        accountId: string;
        /** Why it waits: the pause, its debounce window, another execution of the VPC, or the account's limit. */
        reason: string;
        /** Requests of the account still waiting (this one included). */
        queueDepth: number;
        /** Of those, the onboarding requests the pause holds (`operations.paused`). */
        heldDepth: number;
      };
    };

/**
 * Which workflow an accepted event asks for, or why it is ignored. Decided from the event's own tags (the workflow
 * re-reads the VPC's current tags before changing anything): `spokelink:connect` removed or `false`, or the VPC
 * deleted, is an offboarding; any other value (even a malformed one, so that validation rejects it with a precise
 * detail on the VPC) is an onboarding.
 */
export function decide(trigger: Trigger): { workflow: WorkflowKind } | { ignored: string } {
  switch (trigger.kind) {
    case 'vpc-deleted':
      return { workflow: 'offboard' };
    case 'vpc-created':
      return parseRequestTags(trigger.tags).action === 'disconnect'
        ? { ignored: 'VPC created without a spokelink:connect request' }
        : { workflow: 'onboard' };
    case 'tag-change':
      // Status writes (spokelink:status|detail|execution) come back as tag events: they never start work.
      if (!touchesRequestTags(trigger.changedKeys)) return { ignored: 'no request tag changed (status-only change)' };
      return parseRequestTags(trigger.tags).action === 'disconnect'
        ? { workflow: 'offboard' }
        : { workflow: 'onboard' };
    case 'cidrs-changed':
      // The event carries no tags: the onboarding reads them and revalidates the CIDRs (a VPC that does not ask to
      // connect ends IgnoreWithdrawnRequest; a member's added block is claimed, or quarantined if it overlaps).
      return { workflow: 'onboard' };
  }
}

/**
 * The EventBridge target: checks an untrusted event, decides onboard or offboard, queues the request durably
 * (functions/shared/intake-queue.ts: a VPC's rapid changes fold into one request with the latest tags) and runs the
 * dispatcher for the event's account, which starts it now if its debounce window is over, no other execution of the
 * VPC runs and the account is under its limit; otherwise it waits in the queue (the dispatcher starts it when a slot
 * frees, or on its minute schedule). Execution names are deterministic, so a duplicate delivery of one event starts
 * at most one execution. Never throws for bad input (EventBridge would retry a failed target): bad events are logged
 * by the handler and ignored.
 */
export async function intake(raw: unknown, deps: IntakeDeps): Promise<IntakeResult> {
  const parsed = parseTrigger(raw);
  if (!parsed.ok) return { ignored: parsed.reason };
  const trigger = parsed.trigger;
  if (trigger.region !== deps.config.hub.region) {
    // Each region's events go to that region's hub (the spoke forwarding targets the bus of its own region).
    return {
      ignored: servedRegions(deps.config).includes(trigger.region)
        ? `region ${trigger.region} is served by its own regional hub, not this ${deps.config.hub.region} one`
        : `region ${trigger.region} is not served by this hub`,
    };
  }
  const decision = decide(trigger);
  if ('ignored' in decision) return decision;

  const { accountId, vpcId, eventId } = trigger;
  const { workflow } = decision;
  const name = executionName(vpcId, workflow, eventId);
  // A repeated delivery of the event whose execution runs now is that execution: queueing it again would run the
  // same request twice once the first ends.
  const running = (await runningExecutions(deps.registry, accountId)).find((r) => r.vpcId === vpcId);
  if (running?.name === name) {
    const queueDepth = (await queuedRequests(deps.registry, accountId)).length;
    return { duplicate: true, workflow, name, queueDepth };
  }
  const now = deps.now();
  const eventTime = typeof (raw as { time?: unknown }).time === 'string' ? (raw as { time: string }).time : '';
  const queued = await enqueue(
    deps.registry,
    { accountId, vpcId, workflow, eventId, event: JSON.stringify(raw), eventTime },
    now,
    deps.config.intake.debounceSeconds * 1000,
  );
  if (!queued) return { ignored: `a newer event of ${vpcId} is already queued (this one is from ${eventTime})` };

  const pass = await dispatch({ accountId }, deps);
  const mine = pass.started.find((s) => s.vpcId === vpcId);
  const queueDepth = pass.queueDepthByAccount[accountId] ?? 0;
  if (mine?.duplicate && mine.name === name) return { duplicate: true, workflow, name, queueDepth };
  if (mine) {
    const { executionArn, merged } = mine;
    return { started: { workflow: mine.workflow, name: mine.name, executionArn, merged, queueDepth } };
  }
  const limit = deps.config.intake.maxConcurrentExecutionsPerAccount;
  const reason =
    deps.config.operations.paused && workflow === 'onboard'
      ? 'onboardings are paused by the platform team (operations.paused): the request waits in the queue'
      : queued.dueAt > now
        ? `debounced until ${new Date(queued.dueAt).toISOString()} (intake.debounceSeconds)`
        : pass.lockedOut.includes(accountId)
          ? `another dispatch of account ${accountId} is under way: it takes this request`
          : (pass.runningByAccount[accountId] ?? 0) >= limit
            ? `account ${accountId} runs ${limit} executions, its limit (intake.maxConcurrentExecutionsPerAccount)`
            : pass.hubLimited
              ? `the hub runs ${pass.hubRunning} executions, its limit (intake.maxConcurrentExecutions): the request waits for a slot`
              : `another execution of ${vpcId} runs: this request follows it`;
  return {
    queued: {
      workflow,
      vpcId,
      accountId,
      reason,
      queueDepth: Math.max(queueDepth, 1),
      heldDepth: pass.heldByAccount[accountId] ?? 0,
    },
  };
}
