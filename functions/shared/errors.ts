/**
 * Named errors. Lambdas called by Step Functions throw these; the ASL retries or catches them by `name`
 * (Step Functions matches a Lambda error's `errorType`, which is the class name).
 */
export abstract class SpokelinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Business refusal: policy or validation says no. Nothing was changed. Status becomes `rejected`. */
export class RejectedError extends SpokelinkError {
  constructor(
    message: string,
    /** Machine-readable reason code, e.g. `cidr-overlap`, `unknown-segment`. */
    readonly reason: string,
  ) {
    super(message);
  }
}

/** The configuration (file or environment) is invalid or missing. */
export class ConfigurationError extends SpokelinkError {}

/** The event is not one spokelink acts on (forged, malformed, status-only change, other region). Ignored. */
export class IgnoredEventError extends SpokelinkError {}

/** The TGW attachment exists but is not `available` yet: the ASL retries with backoff. */
export class AttachmentNotReadyError extends SpokelinkError {}

/** The TGW attachment went to `failed`/`rejected`/`deleted`: a new attempt is needed. */
export class AttachmentFailedError extends SpokelinkError {}

/** A resource spokelink wants to write is owned by someone else (a route pointing elsewhere). */
export class ConflictError extends SpokelinkError {}

/** Another execution holds the VPC's lease: the ASL retries with backoff. */
export class VpcBusyError extends SpokelinkError {}

/** The spoke account's role cannot be assumed (missing role, wrong trust, wrong external id). */
export class SpokeAccessError extends SpokelinkError {}

/** A step failed for good after retries; the detail names the step. */
export class StepFailedError extends SpokelinkError {}

/** The VPC no longer exists (deleted mid-workflow). */
export class VpcNotFoundError extends SpokelinkError {}

/** A hard AWS quota is reached (5,000 attachments per TGW, 300 VPCs per zone, ...). Nothing was half-made. */
export class QuotaExceededError extends SpokelinkError {}

/**
 * The VPC carries as many tags as AWS allows (50 per resource), so not even `spokelink:status` could be written.
 * Thrown by SetStatusOnboarding only (nothing is built for a VPC that cannot say it is onboarding); the other status
 * writes write what fits and report the rest.
 */
export class TagLimitExceededError extends SpokelinkError {}

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
