import { archiveMembership, type HubTransitGateway, markOffboarding, type RegistryTable } from '#shared/registry';
import type { ConsumerRecord } from '#shared/registry/model';
import type { RemovalReport } from './contract';

/**
 * RecordOffboarding and ArchiveMembership: the registry's side of offboarding. The removal steps forget what they
 * removed as they go (write-through), so what is still listed when the membership is archived is what could not be
 * removed (a zone whose last VPC this is, a route or rule no longer spokelink's is forgotten and reported instead).
 */

export interface OffboardingDeps {
  registry: RegistryTable;
  /** The hub TGW whose attachment slot the membership gives back. */
  hub: HubTransitGateway;
  now: () => number;
}

/** Record status `offboarding` (nothing to do without a record). */
export async function recordOffboarding(vpcId: string, executionArn: string, deps: OffboardingDeps) {
  const record = await markOffboarding(deps.registry, vpcId, executionArn, deps.now());
  return { recorded: record !== undefined };
}

/** The one-line summary of a disconnected VPC (status detail, truncated to 256 characters by the status step). */
export function disconnectedSummary(record: ConsumerRecord, removed: RemovalReport): string {
  const n = (list: unknown[] | undefined) => list?.length ?? 0;
  const parts = [
    `disconnected from segment ${record.segment}`,
    `removed ${n(removed.routes?.removed)} route(s), ${n(removed.zones?.disassociated)} zone association(s), ` +
      `${n(removed.zones?.profilesDisassociated) > 0 ? `${n(removed.zones?.profilesDisassociated)} Profile association(s), ` : ''}` +
      `${n(removed.access?.rulesRevoked)} rule(s)` +
      `${n(removed.access?.connectionsRejected) > 0 ? `, ${n(removed.access?.connectionsRejected)} endpoint connection(s) rejected` : ''}` +
      `${(removed.attachment?.deleted ?? []).length > 0 ? `, ${removed.attachment!.deleted!.join(',')}` : ''}`,
  ];
  const left: string[] = [
    ...(removed.routes?.notOurs ?? []).map((r) => `${r.routeTableId} ${r.destinationCidr} now to ${r.target}`),
    ...(removed.access?.rulesNotOurs ?? []).map((r) => `rule ${r.ruleId ?? r.groupId} redescribed`),
    ...(removed.zones?.retained ?? []).map((z) => `${z.zoneName}: ${z.reason}`),
  ];
  if (left.length > 0) parts.push(`left alone: ${left.join('; ')}`);
  return parts.join('; ');
}

/**
 * ArchiveMembership: releases the CIDR claims, keeps the membership as history (with its end time) and marks the
 * current record `disconnected`. Returns the summary for the status.
 */
export async function archive(vpcId: string, executionArn: string, removed: RemovalReport, deps: OffboardingDeps) {
  const archived = await archiveMembership(deps.registry, vpcId, executionArn, deps.now(), deps.hub);
  if (!archived) return { status: 'disconnected' as const, summary: 'disconnected (nothing was recorded)' };
  return {
    status: 'disconnected' as const,
    summary: disconnectedSummary(archived.record, removed),
    history: archived.history,
    disconnectedAt: archived.record.disconnectedAt,
  };
}
