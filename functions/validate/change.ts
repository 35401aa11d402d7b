import type { HubConfig } from '#shared/config';
import type { Plan } from '#shared/plan';
import type { ConsumerRecord } from '#shared/registry/model';

/**
 * What an onboarding request changes, compared with the VPC's registry record, and whether it needs an approval.
 * ValidateAndPlan adds both to its output (the plan), so that the ASL decides with Choice states:
 * - `change.membership`: `new` (no record, or a disconnected one) or `existing` (a member, connected or not: its
 *   recorded items that the plan no longer wants are pruned once everything wanted is in place);
 * - `approval.required`: the segment `requiresApproval` and the VPC is not already a member of that segment (a new
 *   membership or a segment change). A services change or a repair of an approved member does not ask again.
 */

export interface ChangeAssessment {
  membership: 'new' | 'existing';
  /** The segment of the existing membership, if any. */
  previousSegment: string | null;
  segmentChanged: boolean;
  servicesAdded: string[];
  servicesRemoved: string[];
}

export interface ApprovalRequirement {
  required: boolean;
  /** How long the execution waits for a decision (`approvals.timeoutSeconds`). */
  timeoutSeconds: number;
}

/** The plan as ValidateAndPlan outputs it: the Plan plus what the ASL's Choice states read. */
export type PlannedRequest = Plan & {
  change: ChangeAssessment;
  approval: ApprovalRequirement;
  /** requestDigest(plan): what an approval of this request is bound to. */
  requestDigest: string;
};

/** Compares the plan with the VPC's current record. */
export function assessChange(plan: Plan, record: ConsumerRecord | undefined): ChangeAssessment {
  const member = record !== undefined && record.status !== 'disconnected';
  if (!member) {
    return {
      membership: 'new',
      previousSegment: null,
      segmentChanged: false,
      servicesAdded: [...plan.services],
      servicesRemoved: [],
    };
  }
  const before = new Set(record.services ?? []);
  const after = new Set(plan.services);
  return {
    membership: 'existing',
    previousSegment: record.segment,
    segmentChanged: record.segment !== plan.segment,
    servicesAdded: plan.services.filter((s) => !before.has(s)),
    servicesRemoved: [...before].filter((s) => !after.has(s)).sort(),
  };
}

/** Whether the request waits for an approval (see the module comment). */
export function approvalFor(config: HubConfig, plan: Plan, change: ChangeAssessment): ApprovalRequirement {
  const segment = config.segments[plan.segment];
  const joining = change.membership === 'new' || change.segmentChanged;
  return { required: Boolean(segment?.requiresApproval) && joining, timeoutSeconds: config.approvals.timeoutSeconds };
}
