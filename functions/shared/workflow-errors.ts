import { awsErrorName, QuotaExceededError, SpokelinkError } from './errors';

/**
 * Named errors of the onboarding workflow that functions/shared/errors.ts does not define. Like those, the class name
 * is the Step Functions error name the ASL retries or catches.
 */

/**
 * Another VPC changed the same CIDR claim bucket between our read and our conditional write, more often than the
 * in-process retries absorb. Transient: the ASL retries AcquireLease with backoff.
 */
export class ClaimContentionError extends SpokelinkError {}

/**
 * The execution no longer holds the VPC's lease (it expired and another execution took it over): the step did nothing
 * and the execution writes nothing more (every registry write and status write is fenced by the lease token). Not
 * retried: the new holder decides.
 */
export class LeaseLostError extends SpokelinkError {}

/** AcceptVpcEndpointConnections reported endpoints it could not accept (`Unsuccessful[]`). */
export class EndpointAcceptanceError extends SpokelinkError {}

/** The consumer registry record the step wants to update does not exist (AcquireLease creates it). */
export class RegistryRecordMissingError extends SpokelinkError {}

/**
 * The account outside the organization has no pending RAM invitation for the TGW share yet (invitations appear
 * shortly after the principal is associated). Transient: the ASL retries ShareTransitGateway.
 */
export class ShareInvitationPendingError extends SpokelinkError {}

/** The account outside the organization rejected the TGW share invitation, or it expired: a person must act. */
export class ShareInvitationRejectedError extends SpokelinkError {}

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
