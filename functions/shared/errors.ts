/**
 * The error catalog: every named error that crosses the Lambda/ASL boundary. Lambdas called by Step Functions throw
 * these; the ASL retries or catches them by `name` (Step Functions matches a Lambda error's `errorType`, which is the
 * class name), so a class is never renamed (running executions' histories and the ASL carry the names). Each class
 * says who throws it and what the workflows do with it: **retried** (a `TRANSIENT` retrier of
 * `workflows/fragments.ts`, before the shared policy), **caught** (a Catch leading to a named state), or **fails the
 * step** (the catch-all: `$.failure.<Step>`, then the rollback or the failure tail). docs/errors.md is generated from
 * this file (`npm run workflows:generate`); `test/functions/asl/error-catalog.test.ts` checks each claim against the
 * generated ASL.
 */
export abstract class SpokelinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

// ---- the request: validation, policy, the trigger event --------------------------------------------------------------

/**
 * Business refusal: policy or validation says no. Nothing was changed.
 * Thrown by: ValidateAndPlan, RevalidateAfterDecision, BeginOnboarding (a CIDR claim another VPC holds).
 * Workflow: caught: status `rejected` (SetStatusRejected), the lease released, the execution succeeds.
 */
export class RejectedError extends SpokelinkError {
  constructor(
    message: string,
    /** Machine-readable reason code, e.g. `cidr-overlap`, `unknown-segment`. */
    readonly reason: string,
  ) {
    super(message);
  }
}

/**
 * The event is not one spokelink acts on (forged, malformed, status-only change, other region, withdrawn).
 * Thrown by: AcquireLease, ValidateAndPlan, RevalidateAfterDecision, PlanOffboarding, the intake.
 * Workflow: caught: the lease released, the execution ends quietly (IgnoreWithdrawnRequest, IgnoreUntrustedEvent).
 */
export class IgnoredEventError extends SpokelinkError {}

/**
 * The VPC is already connected as it asks, and nothing drifted: there is nothing to do.
 * Thrown by: ValidateAndPlan, RevalidateAfterDecision (functions/validate/unchanged.ts).
 * Workflow: caught: the lease released, the execution succeeds without writing a tag (EndBecauseAlreadyConnected).
 */
export class AlreadyConnectedError extends SpokelinkError {}

/**
 * The VPC no longer exists (deleted mid-workflow).
 * Thrown by: ValidateAndPlan, RevalidateAfterDecision, the transit-gateway steps.
 * Workflow: caught by the validations (the lease released, EndBecauseVpcIsGone); elsewhere it fails the step.
 */
export class VpcNotFoundError extends SpokelinkError {}

/**
 * The configuration (file or environment) is invalid or missing.
 * Thrown by: any step reading the configuration (functions/shared/config.ts, env.ts); the CLI's usage errors extend it.
 * Workflow: fails the step.
 */
export class ConfigurationError extends SpokelinkError {}

/**
 * A step's input, or a step's result another step reads, is not in its contract's shape: the step fails by this name
 * (and the issues' paths) instead of reading a field it cannot parse as absent.
 * Thrown by: every step whose input is parsed by its contract (functions/shared/contract.ts).
 * Workflow: fails the step.
 */
export class StepInputError extends SpokelinkError {}

// ---- the lease, the registry and the claims ------------------------------------------------------------------------

/**
 * Another execution holds the VPC's lease.
 * Thrown by: AcquireLease, AcquireLeaseAfterDecision.
 * Workflow: retried (`leaseBusy`, about 25 minutes), then caught: GiveUpBecauseVpcIsBusy fails the execution by this
 * name without writing a status (the holder decides it).
 */
export class VpcBusyError extends SpokelinkError {}

/**
 * Another VPC changed the same CIDR claim bucket between our read and our conditional write, more often than the
 * in-process retries absorb.
 * Thrown by: BeginOnboarding, ArchiveMembership (the claims, functions/shared/registry/claims.ts).
 * Workflow: retried (`claimContention`).
 */
export class ClaimContentionError extends SpokelinkError {}

/**
 * The execution no longer holds the VPC's lease (it expired and another execution took it over): the step did nothing
 * and the execution writes nothing more (every registry write and status write is fenced by the lease token).
 * Thrown by: every step that renews the lease or writes the registry under it.
 * Workflow: fails the step (no retry: the new holder decides); the status step reports it as skipped instead.
 */
export class LeaseLostError extends SpokelinkError {}

/**
 * The consumer registry record the step wants to update does not exist (AcquireLease creates it).
 * Thrown by: the steps that write what they made into the record (functions/shared/registry/records.ts).
 * Workflow: fails the step.
 */
export class RegistryRecordMissingError extends SpokelinkError {}

/**
 * A record written by a newer spokelink than this one: nothing is read or written from it.
 * Thrown by: every registry read (functions/shared/registry/schema.ts).
 * Workflow: fails the step.
 */
export class RegistrySchemaError extends SpokelinkError {}

/**
 * Other passes kept taking and releasing an account's intake lock while this one tried to take it.
 * Thrown by: the dispatch function (functions/shared/intake-queue.ts), outside the workflows.
 * Workflow: none (the next dispatch pass takes the account's queue).
 */
export class IntakeLockContentionError extends SpokelinkError {}

// ---- the spoke account -----------------------------------------------------------------------------------------------

/**
 * The spoke account's role cannot be assumed (missing role, wrong trust, wrong external id).
 * Thrown by: every step acting in the spoke account (functions/shared/aws.ts).
 * Workflow: fails the step; the status and rollback steps report the spoke as unreachable instead.
 */
export class SpokeAccessError extends SpokelinkError {}

/**
 * The VPC carries as many tags as AWS allows (50 per resource), so not even `spokelink:status` could be written.
 * Thrown by: SetStatusOnboarding only (nothing is built for a VPC that cannot say it is onboarding); the other status
 * writes write what fits and report the rest.
 * Workflow: fails the step.
 */
export class TagLimitExceededError extends SpokelinkError {}

// ---- Transit Gateway --------------------------------------------------------------------------------------------------

/**
 * The TGW attachment exists but is not in the state the step needs yet (`pending`, `pendingAcceptance`, `modifying`).
 * Thrown by: CreateAttachment, AcceptAttachment, WaitForAttachment, AssociateAndPropagate, DeleteAttachment,
 * UndoAttachment.
 * Workflow: retried (`attachmentInTransition`, `beforePendingAcceptance`, `attachmentWait`, `disassociationInProgress`).
 */
export class AttachmentNotReadyError extends SpokelinkError {}

/**
 * The TGW attachment went to `failed`/`rejected`/`deleted`: a new attempt is needed.
 * Thrown by: the transit-gateway steps.
 * Workflow: fails the step.
 */
export class AttachmentFailedError extends SpokelinkError {}

/**
 * The configuration shares the TGW with the organization, but the hub has no share that holds both the TGW and the
 * organization (ASSOCIATED or ASSOCIATING): the hub stack was not deployed with it, or the share was changed by hand.
 * A person must act (redeploy the hub stack); the account is not added one by one instead, so that the deployed
 * state stays what the configuration says.
 * Thrown by: ShareTransitGateway.
 * Workflow: fails the step.
 */
export class OrganizationShareMissingError extends SpokelinkError {}

/**
 * The account outside the organization has no pending RAM invitation for the share yet (invitations appear shortly
 * after the principal is associated).
 * Thrown by: ShareTransitGateway, AssociateZones (the Profile's share, functions/shared/share-invitations.ts).
 * Workflow: retried (`shareInvitationPending`).
 */
export class ShareInvitationPendingError extends SpokelinkError {}

/**
 * The account outside the organization rejected the share invitation, or it expired: a person must act.
 * Thrown by: ShareTransitGateway, AssociateZones (functions/shared/share-invitations.ts).
 * Workflow: fails the step.
 */
export class ShareInvitationRejectedError extends SpokelinkError {}

/**
 * Something AWS has not applied yet (a route, a zone association change, the Profile association, the attachment).
 * Thrown by: WaitForConnectivity.
 * Workflow: retried (`connectivityPending`), then fails the step.
 */
export class ConnectivityPendingError extends SpokelinkError {}

/**
 * Everything is in effect but the attachment's association with the segment's TGW route table, still `associating`:
 * AWS applies it in seconds (the twin takes 5 s), and `connected` waits for exactly that.
 * Thrown by: WaitForConnectivity.
 * Workflow: retried (`associationPending`, every second), then fails the step.
 */
export class AssociationPendingError extends SpokelinkError {}

// ---- DNS: zones, the Profile, local endpoints --------------------------------------------------------------------

/**
 * The zone already holds Route 53's maximum of VPC association authorizations (TooManyVPCAssociationAuthorizations):
 * other onboardings are waiting for the zone, each holding one until its association is through.
 * Thrown by: AssociateZones.
 * Workflow: retried (`zoneAuthorizationsFull`, a long backoff).
 */
export class ZoneAuthorizationsFullError extends SpokelinkError {}

/**
 * A Profile association in transition: still `CREATING` (it cannot be removed yet: ConflictException), or `DELETING`
 * (it still holds the VPC: a new one cannot be made yet). Named as Route 53's own error for a change that must wait
 * for the previous one, so that the zone states' Retry on `PriorRequestNotComplete` applies.
 * Thrown by: the zones steps in DNS mode `profile` (functions/zones/profile.ts).
 * Workflow: retried (`busyZone`; like throttling on PruneZoneAssociations).
 */
export class PriorRequestNotComplete extends SpokelinkError {}

/**
 * The spoke account does not see the hub's Profile yet (ResourceNotFoundException on AssociateProfile): RAM makes a
 * shared resource visible a while after the share reaches the account (an invitation just accepted, the
 * organization's share right after a deploy).
 * Thrown by: AssociateZones (DNS mode `profile`).
 * Workflow: retried (`profileShareVisibility`).
 */
export class HubProfileNotVisibleError extends SpokelinkError {}

/**
 * The hub's Profile does not exist (the hub stack creates it in profile mode): a deployment problem.
 * Thrown by: the zones steps in DNS mode `profile` (functions/shared/profiles.ts).
 * Workflow: fails the step.
 */
export class HubProfileMissingError extends SpokelinkError {}

/**
 * A local endpoint spokelink deleted is still `deleting` and holds its security group: the step deletes the group
 * once the endpoint is gone.
 * Thrown by: the zones removal steps (RemoveZoneAssociations, UndoZoneAssociations, UndoAddedZoneAssociations).
 * Workflow: retried (`spokeEndpointDeleting`).
 */
export class SpokeEndpointDeletingError extends SpokelinkError {}

/**
 * hub -> spoke move: the endpoint made for the move is not `available` yet, so the hub's zone of its service is kept
 * until it is (AWS publishes no duration; the twin takes `endpointPendingMs`, 60 s). Nothing was changed by the attempt.
 * Thrown by: PruneZoneAssociations (functions/zones/moves.ts).
 * Workflow: retried (`spokeEndpointDeleting`).
 */
export class SpokeEndpointPendingError extends SpokelinkError {}

/**
 * The VPC already holds the service's name (its own zone or endpoint): the local endpoint cannot take private DNS.
 * Thrown by: CreateSpokeEndpoints.
 * Workflow: fails the step.
 */
export class SpokeEndpointConflictError extends SpokelinkError {}

// ---- routes, access, quotas ----------------------------------------------------------------------------------------

/**
 * A resource spokelink wants to write is owned by someone else (a route pointing elsewhere, a zone name taken).
 * Thrown by: CreateSpokeRoutes, AssociateZones, AssociateAndPropagate (static routes).
 * Workflow: fails the step.
 */
export class ConflictError extends SpokelinkError {}

/**
 * A hard AWS quota is reached (5,000 attachments per TGW, 300 VPCs per zone, ...). Nothing was half-made.
 * Thrown by: the steps that create (`quotaErrorOf`).
 * Workflow: fails the step.
 */
export class QuotaExceededError extends SpokelinkError {}

/**
 * AcceptVpcEndpointConnections reported endpoints it could not accept (`Unsuccessful[]`).
 * Thrown by: RegisterConsumer, the consumer removal steps.
 * Workflow: fails the step.
 */
export class EndpointAcceptanceError extends SpokelinkError {}

// ---- the rollback and the failure tail -----------------------------------------------------------------------------

/**
 * A removal step returned a field the summary cannot read: it fails by name, it never counts 0.
 * Thrown by: SummarizeRollback.
 * Workflow: fails the step, kept in `$.rollbackFailure` (the status says the rollback outcome is unknown).
 */
export class RollbackResultError extends SpokelinkError {}

/**
 * A step failed for good after retries and not even the failed status could say which (the status step failed too).
 * Thrown by: no handler: DescribeUnreportedFailure gives the Fail state this name.
 * Workflow: the execution fails with it.
 */
export class StepFailedError extends SpokelinkError {}

// ---- approvals ----------------------------------------------------------------------------------------------------

/**
 * The RequestApproval input is not what the ASL sends (reported by field path: the input holds the token).
 * Thrown by: RequestApproval.
 * Workflow: fails the step.
 */
export class ApprovalInputError extends SpokelinkError {}

/**
 * The VPC has no pending approval (never asked, already answered, withdrawn, or its request timed out).
 * Thrown by: the decision function (function URL), outside the workflows.
 * Workflow: none (the approver is told).
 */
export class NoPendingApprovalError extends SpokelinkError {}

/**
 * The pending approval's execution no longer waits (it timed out or ended): nothing was decided.
 * Thrown by: the decision function, outside the workflows.
 * Workflow: none (the approver is told).
 */
export class ApprovalExpiredError extends SpokelinkError {}

/**
 * The approver decided about another request than the one pending now (`request`: the digest it saw).
 * Thrown by: the decision function, outside the workflows.
 * Workflow: none (the approver is told).
 */
export class ApprovalRequestChangedError extends SpokelinkError {}

// The error names the approval sends to the waiting RequestApproval task (SendTaskFailure) or gives a request: not
// classes, no handler throws them.

/**
 * A denial.
 * Thrown by: the decision function (SendTaskFailure to the waiting RequestApproval).
 * Workflow: caught: AcquireLeaseAfterDecision, then status `rejected`.
 */
export const DENIED_ERROR = 'ApprovalDeniedError';

/**
 * An offboarding withdrew the request.
 * Thrown by: WithdrawPendingApproval (SendTaskFailure to the waiting RequestApproval).
 * Workflow: caught: the execution ends quietly (IgnoreWithdrawnRequest).
 */
export const WITHDRAWN_ERROR = 'ApprovalWithdrawnError';

/**
 * No decision in time: a rejection like any other.
 * Thrown by: no handler: DescribeApprovalTimeout writes it as `$.error` after RequestApproval's States.Timeout.
 * Workflow: status `rejected` (SetStatusRejected).
 */
export const TIMED_OUT_ERROR = 'ApprovalTimedOutError';

// ---- helpers -------------------------------------------------------------------------------------------------------

/** The AWS error name of an SDK error (`err.name`), or undefined for non-AWS errors. */
export function awsErrorName(error: unknown): string | undefined {
  if (error && typeof error === 'object' && '$metadata' in error && 'name' in error) {
    return String((error as { name: unknown }).name);
  }
  return undefined;
}

/** True when `error` is the AWS error `code` (for example `InvalidPermission.Duplicate`). */
export function isAwsError(error: unknown, ...codes: string[]): boolean {
  const name = awsErrorName(error);
  return name !== undefined && codes.includes(name);
}

/** AWS error codes that mean a hard quota is reached (the EC2 `RequestLimitExceeded` is throttling, not a quota). */
const QUOTA_CODES = /^(.*LimitExceeded|LimitsExceeded|TooManyVPCAssociationAuthorizations)$/;

/**
 * The QuotaExceededError for an AWS error that reports a reached quota (5 attachments per VPC, 5,000 per TGW, 60
 * rules per security group, 300 VPCs per zone, ...), or undefined for any other error.
 */
export function quotaErrorOf(error: unknown, what: string): QuotaExceededError | undefined {
  const name = awsErrorName(error);
  if (!name || name === 'RequestLimitExceeded' || !QUOTA_CODES.test(name)) return undefined;
  return new QuotaExceededError(`${what}: ${name}: ${(error as Error).message}`);
}
