import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { HubConfig } from '#shared/config';
import { servedRegions } from '#shared/config';
import { isAwsError } from '#shared/errors';
import { executionName, parseTrigger, type Trigger, type WorkflowKind } from '#shared/events';
import { parseRequestTags, touchesRequestTags } from '#shared/tags';

export interface IntakeDeps {
  config: HubConfig;
  sfn: SFNClient;
  /** ARN of the state machine to start for `kind` (read lazily: each is needed only for its own events). */
  stateMachineArn: (kind: WorkflowKind) => string;
}

export type IntakeResult =
  | { ignored: string }
  | { started: { workflow: WorkflowKind; name: string; executionArn: string } }
  | { duplicate: true; workflow: WorkflowKind; name: string };

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
 * The EventBridge target: checks an untrusted event, decides onboard or offboard, and starts that workflow with a
 * deterministic execution name so that a duplicate delivery of one event starts at most one execution. Never throws
 * for bad input (EventBridge would retry a failed target): bad events are logged by the handler and ignored.
 */
export async function intake(raw: unknown, deps: IntakeDeps): Promise<IntakeResult> {
  const parsed = parseTrigger(raw);
  if (!parsed.ok) return { ignored: parsed.reason };
  const trigger = parsed.trigger;
  if (!servedRegions(deps.config).includes(trigger.region)) {
    return { ignored: `region ${trigger.region} is not served by this hub` };
  }
  const decision = decide(trigger);
  if ('ignored' in decision) return decision;

  const name = executionName(trigger.vpcId, decision.workflow, trigger.eventId);
  try {
    const { executionArn } = await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn(decision.workflow),
        name,
        // The raw event is the workflow's input: the audit trail shows exactly what started it.
        input: JSON.stringify(raw),
      }),
    );
    return { started: { workflow: decision.workflow, name, executionArn: executionArn ?? '' } };
  } catch (error) {
    // Names are unique per state machine for 90 days: the same event delivered again finds its execution.
    if (isAwsError(error, 'ExecutionAlreadyExists')) return { duplicate: true, workflow: decision.workflow, name };
    throw error;
  }
}
