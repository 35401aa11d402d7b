import {
  AssociationPendingError,
  AttachmentNotReadyError,
  ClaimContentionError,
  ConnectivityPendingError,
  HubProfileNotVisibleError,
  ShareInvitationPendingError,
  SpokeEndpointDeletingError,
  SpokeEndpointPendingError,
  StepFailedError,
  VpcBusyError,
  ZoneAuthorizationsFullError,
} from '#shared/errors';
import { RecordsContract } from '../functions/records/contract';
import { STATUS_READS } from '../functions/status/contract';
import {
  AWS_ERRORS,
  type CatchAll,
  carryOn,
  errorName,
  failTo,
  lambdaTask,
  type Parameters,
  pass,
  retrier,
  type Status,
  type Step,
  state,
  type TaskOptions,
} from './builder';

/**
 * Named fragments the workflows share: the transient errors each step retries first, the lease, status and registry
 * steps, the removal steps (offboarding and the onboarding's rollback), and the failure tail.
 */

/** A resource shared through RAM becomes visible to the spoke a while after the share reaches it: about 2.5 minutes. */
const RAM_VISIBILITY = { interval: 2, backoff: 1.5, maxDelay: 8, attempts: 20 } as const;

/** Step-specific transient errors (docs/workflow.md, "Retries and catches"), tried before the shared policy. */
export const TRANSIENT = {
  /** Another execution holds the VPC's lease: about 25 minutes on average before giving up. */
  leaseBusy: retrier([VpcBusyError], { interval: 5, backoff: 1.5, maxDelay: 30, attempts: 100 }),
  /** Another VPC changed the same CIDR claim bucket between read and conditional write. */
  claimContention: retrier([ClaimContentionError], { interval: 1, backoff: 2, maxDelay: 10, attempts: 5 }),
  /** The RAM invitation of an account outside the organization appears shortly after the association. */
  shareInvitationPending: retrier([ShareInvitationPendingError], {
    interval: 2,
    backoff: 1.5,
    maxDelay: 10,
    attempts: 10,
  }),
  /** The TGW is invisible to the spoke for a while after sharing (RAM propagation, organization share ASSOCIATING). */
  ramPropagation: retrier([AWS_ERRORS.transitGatewayNotFound], RAM_VISIBILITY),
  /** The hub's Route 53 Profile is invisible to the spoke for a while after its share reaches the account. */
  profileShareVisibility: retrier([HubProfileNotVisibleError], RAM_VISIBILITY),
  /** An attachment in transition (a previous one going, `pending`/`modifying` before a delete). */
  attachmentInTransition: retrier([AttachmentNotReadyError], { interval: 3, backoff: 1.5, maxDelay: 15, attempts: 40 }),
  /** The attachment is not in pendingAcceptance yet. */
  beforePendingAcceptance: retrier([AttachmentNotReadyError], { interval: 2, backoff: 1, maxDelay: 2, attempts: 150 }),
  /**
   * The attachment wait is a poll, not contention: a constant 3 s (no jitter, which would double the polls at the same
   * worst-case delay) notices `available` at most 3 s after it happens; 10 minutes in all.
   */
  attachmentWait: retrier([AttachmentNotReadyError], {
    interval: 3,
    backoff: 1,
    maxDelay: 3,
    attempts: 200,
    jitter: 'NONE',
  }),
  /** A disassociation of the attachment still in progress. */
  disassociationInProgress: retrier([AttachmentNotReadyError], {
    interval: 3,
    backoff: 1.5,
    maxDelay: 15,
    attempts: 20,
  }),
  /** Route 53 makes one VPC association change per zone at a time. */
  busyZone: retrier([AWS_ERRORS.priorRequestNotComplete], { interval: 10, backoff: 1.5, maxDelay: 30, attempts: 200 }),
  /**
   * A local endpoint spokelink deleted is still `deleting` and holds its security group (DependencyViolation until it
   * is `deleted`; AWS publishes no duration, the twin takes 30 s), or one made for a move to the spoke is still
   * `pending` (the hub's zone stays until it is available; the twin takes 60 s): about 10 minutes before giving up.
   */
  spokeEndpointDeleting: retrier([SpokeEndpointDeletingError, SpokeEndpointPendingError], {
    interval: 10,
    backoff: 1,
    maxDelay: 10,
    attempts: 60,
  }),
  /** Other onboardings hold the zone's VPC association authorizations while they wait. */
  zoneAuthorizationsFull: retrier([ZoneAuthorizationsFullError], {
    interval: 60,
    backoff: 2,
    maxDelay: 600,
    attempts: 60,
  }),
  /**
   * Connected means a packet can flow: a poll that starts at 1 s and backs off gently (x1.2, at most 8 s apart; about
   * 5 minutes in all). The association takes AWS a few seconds (no published figure; the twin's `associationMs` is
   * 5 s), and the critical path waits for it: the first polls stay about 1 s apart (1, 1.2, 1.44, 1.73 s), so
   * `connected` is noticed about as soon as with a constant 1 s poll (a 2 s poll cost the first VPC of an account
   * 1.8 s on average: docs/performance.md), while a VPC that waits longer (a zone change behind other VPCs', a hub
   * under load) is read every 8 s rather than every second. No jitter: a poll is not contention (throttling has its
   * own retrier, with jitter).
   */
  /**
   * The association is the last thing `connected` waits for on the critical path (the attachment before it, then the
   * association's few seconds: the twin's `associationMs` is 5 s, AWS publishes none): polled at a constant 1 s, so it
   * is noticed at most a second after it is in effect whatever it takes (a backing-off poll notices a 5 s association
   * up to 2 s late: docs/performance.md, "Create first"). About 5 minutes in all, as the connectivity wait; one hub
   * read per poll (DescribeTransitGatewayAttachments), the spoke's checks having passed.
   */
  associationPending: retrier([AssociationPendingError], {
    interval: 1,
    backoff: 1,
    maxDelay: 1,
    attempts: 300,
    jitter: 'NONE',
  }),
  connectivityPending: retrier([ConnectivityPendingError], {
    interval: 1,
    backoff: 1.2,
    maxDelay: 8,
    attempts: 45,
    jitter: 'NONE',
  }),
} as const;

/**
 * Throttling of a step whose calls go to the hub account's EC2 buckets, which every onboarding shares
 * (AcceptAttachment, AssociateAndPropagate, RegisterConsumer): 2 s / 2 / 30 s / 400, with full jitter. A migration
 * day keeps those buckets busy for minutes (the mutating one takes 5 calls per second), and the last VPC is connected
 * only once its own throttled call gets through. With full jitter a VPC waiting at the cap retries every cap/2 on
 * average, so the bucket idles whenever fewer than about refill x cap/2 VPCs wait for it: with a 300 s cap (the
 * shared one) that was the whole end of the day (2.1x the lower bound at 1,000 VPCs), with 120 s most of it. A
 * throttled request is refused before it does anything (in the twin it takes no token): a shorter cap costs refused
 * attempts and invocations, not capacity. Measured on the 300-VPC proxy of that day (docs/performance.md, "Create
 * first"): cap 120 s 869.5 s (ratio 1.464, 6,995 throttled calls), cap 30 s 689.0 s (1.160, 15,552 throttled).
 * 400 attempts (about 100 minutes on average once the cap is reached) last at least as long in all as the shared 40
 * up to 300 s apart (bulk5000, the longest queue the bench meets, was not measured again with them).
 */
export const HUB_EC2_THROTTLING = { attempts: 400, maxDelay: 30 } as const;

// ---- execution context and the standard payloads ---------------------------------------------------------------------

const EXECUTION_ARN = { 'executionArn.$': '$$.Execution.Id' } as const;

type LinkOptions = Pick<TaskOptions<'lease'>, 'comment' | 'resultPath' | 'catch' | 'onError' | 'next' | 'retry'>;

/** The VPC lease, from the trigger event (`$.event`). */
export function leaseTask(name: string, action: 'acquire' | 'release', options: LinkOptions = {}): Step {
  return lambdaTask(name, 'lease', {
    action,
    parameters: { 'event.$': '$.event', ...EXECUTION_ARN },
    resultPath: null,
    ...options,
  });
}

/**
 * The VPC lease taken (again) into `$.lease`: retried while another execution holds it (`TRANSIENT.leaseBusy`), any
 * other error fails to the failure tail. The caller catches VpcBusyError (retries exhausted) and what it ignores.
 */
export function acquireLease(name: string, options: Pick<LinkOptions, 'comment' | 'catch' | 'next'>): Step {
  return leaseTask(name, 'acquire', {
    comment: options.comment,
    resultPath: '$.lease',
    retry: { first: [TRANSIENT.leaseBusy] },
    catch: options.catch,
    onError: failTo(FAILURE_TAIL),
    next: options.next,
  });
}

/** The lease goes back; a failure to release is harmless (the next execution takes over a lease whose holder ended). */
export function releaseLease(name: string, next: string, comment?: string): Step {
  return leaseTask(name, 'release', { comment, onError: carryOn('$.releaseError', next), next });
}

// ---- the state the steps read -----------------------------------------------------------------------------------

/**
 * The fields of the state that some paths into the status, records and rollback steps do not set, as WrapTriggerEvent
 * declares them (empty until their step sets them; the contracts read `null` as not set, `untilSet`): a step reads
 * each field by name, and a path in Parameters must exist on every path into the step (else States.Runtime).
 * `lease`: AcquireLease itself failed; `before`: a new membership (NoteWhatExists runs for members);
 * `branches`: before ConnectSpokeVpc; the rollback's fields: outside a rollback, or when a rollback step failed.
 */
export const DECLARED_STATE = {
  onboarding: {
    lease: null,
    before: null,
    branches: [],
    rollbackPlan: null,
    rollback: [],
    rollbackFailure: {},
    rollbackOutcome: null,
  },
  offboarding: { lease: null },
} as const satisfies Record<FailureTail['workflow'], Parameters>;

/** What WrapTriggerEvent writes besides the declared fields: the raw event, and the failures caught (`$.failure`). */
const WRAPPED = { 'event.$': '$', failure: {} } as const;

/** The first state: the raw event under `$.event`, an empty failure map, the declared fields (`DECLARED_STATE`). */
export function wrapTriggerEvent(
  workflow: FailureTail['workflow'],
  options: { comment: string; also?: Parameters; next: string },
): Step {
  return pass('WrapTriggerEvent', {
    comment: options.comment,
    parameters: { ...WRAPPED, ...options.also, ...DECLARED_STATE[workflow] },
    next: options.next,
  });
}

/** The fields the state holds on every path into its failure tail: those WrapTriggerEvent writes. */
function onEveryPath(workflow: FailureTail['workflow']): (field: string) => boolean {
  const fields = new Set(['event', 'failure', ...Object.keys(DECLARED_STATE[workflow])]);
  return (field) => fields.has(field);
}

/** `{ "<field>.$": "$.<field>" }` for each field: a step reads the state's fields under their own names. */
export function fromState(fields: readonly string[]): Parameters {
  return Object.fromEntries(fields.map((field) => [`${field}.$`, `$.${field}`]));
}

/** The fields of a step's input that it reads of the state: all but its action and what the execution context gives. */
export function stateFieldsOf(input: { shape: object }): string[] {
  const context = new Set(['action', 'executionArn', 'executionName', 'executionStartTime']);
  return Object.keys(input.shape).filter((field) => !context.has(field));
}

type StatusOptions = LinkOptions & {
  /** A detail the workflow computed (a path): then the status reads nothing else of the state, but `failed`. */
  detail?: string;
  /** Only the fields of STATUS_READS that this workflow's state holds here (the failure tail). */
  holds?: (field: string) => boolean;
};

/** The VPC's status tags: the event (the VPC), the lease, and what the status reads of the state (`STATUS_READS`). */
export function setStatus(name: string, status: Status, options: StatusOptions = {}): Step {
  const { detail, holds = () => true, ...rest } = options;
  const reads: readonly string[] = detail && status !== 'failed' ? [] : STATUS_READS[status];
  return lambdaTask(name, 'status', {
    parameters: {
      status,
      'executionName.$': '$$.Execution.Name',
      ...EXECUTION_ARN,
      'executionStartTime.$': '$$.Execution.StartTime',
      ...fromState(['event', 'lease', ...reads.filter(holds)]),
      ...(detail ? { 'detail.$': detail } : {}),
    },
    resultPath: null,
    ...rest,
  });
}

/** The registry record (`connected`, `failure`, `offboarding`, `disconnected`): the fields its contract names. */
export function recordTask(
  name: string,
  action: 'connected' | 'failure' | 'offboarding' | 'disconnected',
  options: LinkOptions & { holds?: (field: string) => boolean } = {},
): Step {
  const { holds = () => true, ...rest } = options;
  return lambdaTask(name, 'records', {
    action,
    parameters: { ...EXECUTION_ARN, ...fromState(stateFieldsOf(RecordsContract[action].input).filter(holds)) },
    resultPath: null,
    ...rest,
  });
}

// ---- removals: offboarding and the onboarding's rollback -------------------------------------------------------------

/** What a removal step removes with, and the VPC (`vpc.$`) or the plan of what to keep (`plan.$`) it works from. */
export type RemovalInput = { 'vpc.$': string } | { 'plan.$': string };

type RemovalOptions = Pick<
  TaskOptions<'routes'>,
  'comment' | 'resultPath' | 'outputPath' | 'onError' | 'next' | 'retry'
>;

/** The recorded routes that still go to the hub TGW (`remove`), or those the plan does not want (`prune`). */
export function removeRoutes(name: string, action: 'remove' | 'prune', input: RemovalInput, options: RemovalOptions) {
  return lambdaTask(name, 'routes', { action, parameters: input, ...options });
}

/** The hub disassociates the VPC from recorded zones (`remove`: all of them; `prune`: those not wanted). */
export function removeZoneAssociations(
  name: string,
  action: 'remove' | 'prune',
  input: RemovalInput,
  options: RemovalOptions,
) {
  // A step's own retry options replace only what they name (a prune names its own `first`).
  return lambdaTask(name, 'zones', {
    action,
    parameters: input,
    ...options,
    retry: { first: [TRANSIENT.busyZone, TRANSIENT.spokeEndpointDeleting], ...options.retry },
  });
}

/** Security group rules and, for `remove`, the account's endpoint service principal unless another VPC uses it. */
export function removeEndpointAccess(
  name: string,
  action: 'remove' | 'prune',
  input: RemovalInput,
  options: RemovalOptions,
) {
  return lambdaTask(name, 'consumer', { action, parameters: input, ...options });
}

/** The VPC's attachment, deleted by the hub (a pending one is waited for). */
export function deleteAttachment(name: string, input: RemovalInput, options: RemovalOptions) {
  return lambdaTask(name, 'transit-gateway', {
    action: 'remove',
    parameters: input,
    retry: { first: [TRANSIENT.attachmentInTransition], alsoLikeThrottling: [AWS_ERRORS.incorrectState] },
    ...options,
  });
}

/** The account leaves the TGW share unless another of its VPCs uses it. */
export function unshareTransitGateway(name: string, input: RemovalInput, options: RemovalOptions) {
  return lambdaTask(name, 'transit-gateway', { action: 'unshare', parameters: input, ...options });
}

// ---- the failure tail -------------------------------------------------------------------------------------------------

export interface FailureTail {
  /** `onboarding` or `offboarding`: names the Fail state and the unreported failure's cause. */
  readonly workflow: 'onboarding' | 'offboarding';
  readonly recordComment: string;
  readonly statusComment?: string;
  /** Where the execution history keeps the failures (for the cause when even the status could not be written). */
  readonly see: string;
}

/** The state every unrecoverable failure goes to (`failTo(FAILURE_TAIL)`). */
export const FAILURE_TAIL = 'RecordFailure';

/**
 * The failure tail: registry record failed, status failed (which returns the Fail state's error and cause), lease
 * released, then the Fail state. Each write is best effort: a failure to write one never hides the original error.
 */
export function failureTail(tail: FailureTail): Step[] {
  const failed = tail.workflow === 'onboarding' ? 'OnboardingFailed' : 'OffboardingFailed';
  const onStatusError: CatchAll = carryOn('$.statusError', 'DescribeUnreportedFailure');
  const holds = onEveryPath(tail.workflow);
  return [
    recordTask(FAILURE_TAIL, 'failure', {
      comment: tail.recordComment,
      holds,
      resultPath: '$.failureRecord',
      onError: carryOn('$.recordError', 'SetStatusFailed'),
      next: 'SetStatusFailed',
    }),
    setStatus('SetStatusFailed', 'failed', {
      comment: tail.statusComment,
      holds,
      resultPath: '$.outcome',
      onError: onStatusError,
      next: 'ReleaseLeaseAfterFailure',
    }),
    pass('DescribeUnreportedFailure', {
      result: {
        error: errorName(StepFailedError),
        cause: `${tail.workflow} failed and the status could not be written: see ${tail.see} in the execution history`,
      },
      resultPath: '$.outcome',
      next: 'ReleaseLeaseAfterFailure',
    }),
    releaseLease('ReleaseLeaseAfterFailure', failed),
    state(failed, {
      Type: 'Fail',
      Comment: "Error: the failing step's error name; Cause: '<Step>: <error>: <message>'.",
      ErrorPath: '$.outcome.error',
      CausePath: '$.outcome.cause',
    }),
  ];
}

/** The lease is kept too long by another execution: give up (it decides the VPC's status). */
export function giveUpBecauseVpcIsBusy(then: string): Step {
  return state('GiveUpBecauseVpcIsBusy', {
    Type: 'Fail',
    Error: errorName(VpcBusyError),
    Cause: `Another execution kept the VPC's lease longer than this execution waits; ${then}`,
  });
}
