import type * as z from 'zod';
import { describeFailure, type FailureOutcome, type FailureStateSchema } from '#shared/failure';
import type { Plan } from '#shared/plan';
import { type HubTransitGateway, markConnected, markFailed, type RegistryTable } from '#shared/registry';
import type { ConsumerRecord } from '#shared/registry/model';
import type { VpcRef } from '#shared/vpc-ref';
import { selfServedText } from '../validate/self-served';

/**
 * RecordConsumer and RecordFailure. The record itself is written through by each step as it creates things
 * (AcquireLease starts it; CreateAttachment, CreateSpokeRoutes, AssociateZones and RegisterConsumer add what they
 * made, even when they fail half-way), so these two only settle the status: a failure at any point leaves a record of
 * exactly what exists.
 */

export interface RegistryDeps {
  registry: RegistryTable;
  /** The hub TGW whose attachment slot a failed onboarding that holds nothing gives back. */
  hub: HubTransitGateway;
  now: () => number;
}

/** The one-line summary of a connected VPC (status detail, at most 256 characters once truncated). */
export function connectedSummary(plan: Plan, record: ConsumerRecord): string {
  const subnets = plan.attachmentSubnets.map((s) => `${s.subnetId} (${s.availabilityZone})`).join(', ');
  const how = plan.subnetSelection === 'tagged' ? 'tagged spokelink:attach' : 'one per AZ, lowest CIDR';
  return (
    `connected to segment ${plan.segment} via ${record.attachmentId ?? 'the TGW'}; ` +
    `services ${plan.services.join(',') || 'none'}; ` +
    (plan.localServices?.length ? `in the VPC: ${plan.localServices.join(',')} (own endpoint); ` : '') +
    (plan.selfServed?.length ? `served by the VPC itself: ${selfServedText(plan.selfServed)}; ` : '') +
    `routes in ${plan.routeTableIds.length} route table(s); ` +
    `subnets ${subnets} (${how})`
  );
}

/** RecordConsumer: status `connected` (connectedAt set once per membership); returns the summary for the status. */
export async function recordConnected(
  plan: Plan,
  executionArn: string,
  deps: RegistryDeps,
): Promise<{ status: 'connected'; summary: string }> {
  const record = await markConnected(deps.registry, plan.vpcId, executionArn, deps.now());
  return { status: 'connected', summary: connectedSummary(plan, record) };
}

/**
 * RecordFailure: status `failed` on the record this execution began (none before AcquireLease: nothing was created
 * then; `target`: the VPC of the trigger event), and the failure described by step for the status and the Fail state.
 */
export async function recordFailure(
  failures: z.infer<typeof FailureStateSchema>,
  target: VpcRef | undefined,
  executionArn: string,
  deps: RegistryDeps,
): Promise<FailureOutcome & { recorded: boolean }> {
  const outcome = describeFailure(failures);
  const recorded = target ? await markFailed(deps.registry, target.vpcId, executionArn, deps.now(), deps.hub) : false;
  return { ...outcome, recorded };
}
