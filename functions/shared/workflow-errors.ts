import { SpokelinkError } from './errors';

/**
 * Named errors of the onboarding workflow that functions/shared/errors.ts does not define. Like those, the class name
 * is the Step Functions error name the ASL retries or catches.
 */

/**
 * Another VPC changed the same CIDR claim bucket between our read and our conditional write, more often than the
 * in-process retries absorb. Transient: the ASL retries AcquireLease with backoff.
 */
export class ClaimContentionError extends SpokelinkError {}

/** AcceptVpcEndpointConnections reported endpoints it could not accept (`Unsuccessful[]`). */
export class EndpointAcceptanceError extends SpokelinkError {}

/** The consumer registry record the step wants to update does not exist (AcquireLease creates it). */
export class RegistryRecordMissingError extends SpokelinkError {}
