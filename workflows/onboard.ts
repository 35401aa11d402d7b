import {
  AlreadyConnectedError,
  DENIED_ERROR,
  IgnoredEventError,
  RejectedError,
  TIMED_OUT_ERROR,
  VpcBusyError,
  VpcNotFoundError,
  WITHDRAWN_ERROR,
} from '#shared/errors';
import { RollbackContract } from '../functions/rollback/contract';
import {
  AWS_ERRORS,
  anyPresent,
  type Branch,
  branch,
  carryOn,
  choice,
  end,
  failTo,
  functionArn,
  lambdaTask,
  on,
  type Parameters,
  parallel,
  pass,
  presentAndEquals,
  type Retrier,
  type RetryOptions,
  retryPolicy,
  type StateMachine,
  type Step,
  sequence,
  state,
  stateMachine,
  states,
  succeed,
} from './builder';
import {
  acquireLease,
  deleteAttachment,
  FAILURE_TAIL,
  failureTail,
  fromState,
  giveUpBecauseVpcIsBusy,
  HUB_EC2_THROTTLING,
  leaseTask,
  recordTask,
  releaseLease,
  removeEndpointAccess,
  removeRoutes,
  removeZoneAssociations,
  setStatus,
  stateFieldsOf,
  TRANSIENT,
  unshareTransitGateway,
  wrapTriggerEvent,
} from './fragments';

/** The onboarding workflow (docs/workflow.md): `statemachines/onboard.asl.json` is generated from this file. */

const PLAN = { 'plan.$': '$.plan' } as const;
const ATTACHMENT_ID = { 'attachmentId.$': '$.attachment.attachmentId' } as const;
/** CreateAttachment's `reused`: AssociateAndPropagate reads nothing first for an attachment this execution made. */
const ATTACHMENT_REUSED = { 'attachmentReused.$': '$.attachment.reused' } as const;
const ROLLBACK = 'BeginRollback';
const SUMMARIZE_ROLLBACK = 'SummarizeRollback';

// ---- fragments of this workflow -------------------------------------------------------------------------------------

/** A validation under the lease: rejections, ignored and vanished VPCs end quietly; anything else fails. */
function validate(
  name: string,
  options: { resultPath: string; alreadyConnected: string; next: string; comment: string },
): Step {
  const { resultPath, alreadyConnected, next, comment } = options;
  return lambdaTask(name, 'validate', {
    comment,
    parameters: { 'event.$': '$.event', 'lease.$': '$.lease' },
    resultPath,
    catch: [
      on(RejectedError, 'SetStatusRejected'),
      on(IgnoredEventError, 'ReleaseLeaseAfterIgnoring'),
      on(VpcNotFoundError, 'ReleaseLeaseWhenVpcIsGone'),
      on(AlreadyConnectedError, alreadyConnected, '$.unchanged'),
    ],
    onError: failTo(FAILURE_TAIL),
    next,
  });
}

/** The plan says this VPC is already a member (a change or a repair). */
const isExistingMember = (next: string) => presentAndEquals('$.plan.change.membership', 'existing', next);

interface WorkBranch {
  /** The steps, in order; the last one's result is the branch's unless `succeeded` summarizes it. */
  readonly steps: readonly Step[];
  readonly succeeded?: Step;
  /** Ends the branch with `{failed: {<Step>: error}}`. */
  readonly failed: string;
  readonly failedComment?: string;
}

/**
 * A fan-out that does work (routes || zones || access): each branch catches its own errors and ends with
 * `{failed: {<Step>: error}}` under `$.branches`, so the others finish and record what they made; the Choice after it
 * goes to `failed` when any branch failed.
 */
function workFanOut(
  name: string,
  check: string,
  options: {
    comment: string;
    checkComment?: string;
    branches: readonly WorkBranch[];
    onError: string;
    failed: string;
    next: string;
  },
): Step[] {
  const branches: Branch[] = options.branches.map((b) =>
    branch(
      sequence(b.steps, b.succeeded?.name, failTo(b.failed)),
      b.succeeded ? [end(b.succeeded)] : [],
      end(pass(b.failed, { comment: b.failedComment, parameters: { 'failed.$': '$.failure' } })),
    ),
  );
  return [
    parallel(name, branches, {
      comment: options.comment,
      parameters: { ...PLAN, failure: {} },
      resultPath: '$.branches',
      onError: failTo(options.onError),
      next: check,
    }),
    choice(
      check,
      [
        anyPresent(
          branches.map((_, i) => `$.branches[${i}].failed`),
          options.failed,
        ),
      ],
      options.next,
      options.checkComment,
    ),
  ];
}

interface UndoBranch {
  readonly steps: readonly Step[];
  /** Ends the branch with what was undone and the failure that stopped it, if any. */
  readonly done: string;
  readonly doneComment: string;
}

/**
 * A rollback fan-out (routes || zones || access): each branch goes on as far as it can, then reports what it undid and
 * its failure (`$.rollbackFailure.<Step>`); the rollback's failures never replace the original one.
 */
function undoFanOut(name: string, comment: string, input: Parameters, branches: readonly UndoBranch[]): Step {
  return parallel(
    name,
    branches.map((b) =>
      branch(
        sequence(b.steps, b.done, failTo(b.done, 'rollbackFailure')),
        end(
          pass(b.done, {
            comment: b.doneComment,
            parameters: { 'undone.$': '$.undone', 'failed.$': '$.rollbackFailure' },
          }),
        ),
      ),
    ),
    {
      comment,
      parameters: { ...input, undone: {}, rollbackFailure: {} },
      resultPath: '$.rollback',
      onError: failTo(SUMMARIZE_ROLLBACK, 'rollbackFailure'),
      next: SUMMARIZE_ROLLBACK,
    },
  );
}

const UNDONE = 'What was undone, and the failure if any.';

// ---- the workflow -----------------------------------------------------------------------------------------------

const leaseAndPlan: Step[] = [
  wrapTriggerEvent('onboarding', {
    comment:
      'Keeps the raw EventBridge event under $.event, starts an empty failure map ($.failure.<Step> = caught error) and declares the fields not every path sets, empty until their step sets them (the steps read them by name).',
    next: 'AcquireLease',
  }),
  acquireLease('AcquireLease', {
    comment:
      'Per-VPC lease first (executions for one VPC never interleave): everything that decides reachability (ValidateAndPlan) reads the VPC under it. Each later step renews it; its token fences every registry write.',
    catch: [on(VpcBusyError, 'GiveUpBecauseVpcIsBusy'), on(IgnoredEventError, 'IgnoreWithdrawnRequest')],
    next: 'ValidateAndPlan',
  }),
  validate('ValidateAndPlan', {
    resultPath: '$.plan',
    alreadyConnected: 'ReleaseLeaseWhenAlreadyConnected',
    next: 'CheckApprovalNeeded',
    comment:
      "Under the lease: reads the VPC's current tags and facts through the spoke role and the registry record, rejects or plans (the plan carries the lease as its fence, and the request's digest). Changes nothing.",
  }),
];

const approval: Step[] = [
  choice(
    'CheckApprovalNeeded',
    [presentAndEquals('$.plan.approval.required', true, 'SetStatusPendingApproval')],
    'BeginOnboarding',
    'A segment with requiresApproval waits for a person before anything changes, for a new member of the segment only (ValidateAndPlan compares with the registry: a services change or a repair of a member does not ask again).',
  ),
  setStatus('SetStatusPendingApproval', 'pending-approval', {
    onError: failTo(FAILURE_TAIL),
    next: 'ReleaseLeaseWhileWaiting',
  }),
  leaseTask('ReleaseLeaseWhileWaiting', 'release', {
    comment:
      'Nothing has changed and a person may take days: no lease is held while waiting (an offboarding can run and withdraw the request). $.lease no longer names a lease.',
    resultPath: '$.lease',
    onError: carryOn('$.releaseError', 'RequestApproval'),
    next: 'RequestApproval',
  }),
  state('RequestApproval', {
    Type: 'Task',
    Comment:
      'Stores the task token with the request and its digest in the registry and notifies the approval topic; waits for a decision through the decision function URL (SendTaskSuccess/SendTaskFailure) up to approvals.timeoutSeconds. An offboarding withdraws the request (ApprovalWithdrawnError). No lease is held while waiting.',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: {
      FunctionName: functionArn('approval'),
      Payload: {
        action: 'request',
        'taskToken.$': '$$.Task.Token',
        'plan.$': '$.plan',
        'executionArn.$': '$$.Execution.Id',
        'executionName.$': '$$.Execution.Name',
        'timeoutSeconds.$': '$.plan.approval.timeoutSeconds',
      },
    },
    ResultPath: '$.approval',
    TimeoutSecondsPath: '$.plan.approval.timeoutSeconds',
    // A callback: its States.Timeout is the approval's deadline, not a step that died.
    Retry: retryPolicy({ withoutStepDied: true }),
    Catch: [
      on(WITHDRAWN_ERROR, 'IgnoreWithdrawnRequest'),
      on(DENIED_ERROR, 'AcquireLeaseAfterDecision'),
      on('States.Timeout', 'DescribeApprovalTimeout'),
      failTo(FAILURE_TAIL)('RequestApproval'),
    ],
    Next: 'AcquireLeaseAfterDecision',
  }),
  pass('DescribeApprovalTimeout', {
    comment: 'No decision in time: a rejection like any other (status rejected, nothing changed).',
    parameters: {
      Error: TIMED_OUT_ERROR,
      'Cause.$':
        "States.Format('approval-timeout: approval timed out (no decision within {} seconds)', $.plan.approval.timeoutSeconds)",
    },
    resultPath: '$.error',
    next: 'AcquireLeaseAfterDecision',
  }),
  acquireLease('AcquireLeaseAfterDecision', {
    comment:
      'After a decision (approve, deny) or none in time: the lease again, so that what happens next is decided on the VPC as it is now.',
    catch: [on(VpcBusyError, 'GiveUpBecauseVpcIsBusy', '$.busy')],
    next: 'RevalidateAfterDecision',
  }),
  validate('RevalidateAfterDecision', {
    resultPath: '$.revalidated',
    alreadyConnected: 'EndBecauseAlreadyConnected',
    next: 'CheckDecidedRequestUnchanged',
    comment:
      'Under the lease again: the request may have changed or been withdrawn while it waited. A withdrawn request ends quietly; a changed one is another request (its own execution asks for its own approval).',
  }),
  choice(
    'CheckDecidedRequestUnchanged',
    [
      {
        Not: { Variable: '$.revalidated.requestDigest', StringEqualsPath: '$.plan.requestDigest' },
        Next: 'ReleaseLeaseAfterSuperseded',
      },
      { Variable: '$.error', IsPresent: true, Next: 'SetStatusRejected' },
      {
        And: [
          { Variable: '$.approval.requestDigest', IsPresent: true },
          { Variable: '$.approval.requestDigest', StringEqualsPath: '$.plan.requestDigest' },
        ],
        Next: 'UseRevalidatedPlan',
      },
    ],
    'ReleaseLeaseAfterSuperseded',
    'The decision was about the request with $.plan.requestDigest (segment, services, CIDRs). A request that now reads differently was not decided: it ends here, its own execution asks. A denial or a timeout of the same request is a rejection; an approval goes on only if it names this digest.',
  ),
  pass('UseRevalidatedPlan', { inputPath: '$.revalidated', resultPath: '$.plan', next: 'BeginOnboarding' }),
];

const begin: Step[] = [
  lambdaTask('BeginOnboarding', 'lease', {
    action: 'begin',
    parameters: { ...PLAN, 'executionArn.$': '$$.Execution.Id' },
    comment:
      'Under the lease the plan was made under: race-free CIDR claims, registry record started (fenced by the lease token).',
    resultPath: '$.onboarding',
    retry: { first: [TRANSIENT.claimContention] },
    catch: [on(RejectedError, 'SetStatusRejected')],
    onError: failTo(FAILURE_TAIL),
    next: 'SetStatusOnboarding',
  }),
  setStatus('SetStatusOnboarding', 'onboarding', { onError: failTo(FAILURE_TAIL), next: 'CheckExistingMembership' }),
  choice(
    'CheckExistingMembership',
    [isExistingMember('NoteWhatExists')],
    'ConnectSpokeVpc',
    'A member (connected, or a failed earlier attempt) has a record already: what it lists now stays if this execution fails, so it is noted first. A new membership has nothing to note.',
  ),
  lambdaTask('NoteWhatExists', 'rollback', {
    comment:
      'Under the lease, before anything changes: what the registry record lists (its items, whether the membership was connected). A failure rolls back only what this execution adds to it.',
    action: 'inventory',
    parameters: PLAN,
    resultPath: '$.before',
    onError: failTo(FAILURE_TAIL),
    next: 'ConnectSpokeVpc',
  }),
];

/**
 * The retry of a hub-side call on the attachment (the TGW owner accepts or associates it): `first`, then IncorrectState
 * (the attachment still in transition) like throttling, within the hub's shared EC2 budget.
 */
const onTheHubsAttachment = (first: Retrier): RetryOptions => ({
  first: [first],
  alsoLikeThrottling: [AWS_ERRORS.incorrectState],
  throttling: HUB_EC2_THROTTLING,
});

const transitGatewayStep = (
  name: string,
  action: 'share' | 'create' | 'accept' | 'wait' | 'associate',
  comment: string,
  resultPath: string,
  retry: RetryOptions,
) =>
  lambdaTask(name, 'transit-gateway', {
    comment,
    action,
    parameters:
      action === 'share' || action === 'create'
        ? PLAN
        : action === 'associate'
          ? { ...PLAN, ...ATTACHMENT_ID, ...ATTACHMENT_REUSED }
          : { ...PLAN, ...ATTACHMENT_ID },
    resultPath,
    retry,
  });

const connect = workFanOut('ConnectSpokeVpc', 'CheckBranchOutcomes', {
  comment:
    'Zones and consumer registration do not need the attachment: the critical path is the Transit Gateway branch. Each branch catches its own errors and ends with {failed: {<Step>: error}}, so the others finish and record what they made.',
  checkComment:
    'A branch that failed for good (a quota, a conflict, a VPC deleted) leaves what the other branches made: it is rolled back before the failure is recorded.',
  onError: ROLLBACK,
  failed: ROLLBACK,
  next: 'WaitForConnectivity',
  branches: [
    {
      steps: [
        transitGatewayStep(
          'ShareTransitGateway',
          'share',
          'RAM: an organization member sees the TGW through the organization share the hub stack deployed (checked, nothing added); an account outside the organization is added to the per-account share and accepts the invitation.',
          '$.share',
          { first: [TRANSIENT.shareInvitationPending] },
        ),
        transitGatewayStep(
          'CreateAttachment',
          'create',
          'The spoke creates the VPC attachment, or reuses the one that exists (one per VPC per TGW).',
          '$.attachment',
          { first: [TRANSIENT.ramPropagation, TRANSIENT.attachmentInTransition] },
        ),
        transitGatewayStep(
          'AcceptAttachment',
          'accept',
          'The hub (TGW owner) accepts the attachment waiting in pendingAcceptance.',
          '$.acceptance',
          onTheHubsAttachment(TRANSIENT.beforePendingAcceptance),
        ),
        transitGatewayStep(
          'WaitForAttachment',
          'wait',
          'Polls until the attachment is available: a constant 3 s interval adds at most 3 s after it is (10 minutes in all).',
          '$.available',
          { first: [TRANSIENT.attachmentWait] },
        ),
        transitGatewayStep(
          'AssociateAndPropagate',
          'associate',
          "Associates with the segment's TGW route table, routes the claimed CIDRs statically in the segment's tables and disables every propagation; an attachment made by this execution on a TGW without default association or propagation is associated and routed without reading first.",
          '$.association',
          onTheHubsAttachment(TRANSIENT.disassociationInProgress),
        ),
        lambdaTask('CreateSpokeRoutes', 'routes', {
          comment:
            "A route to each hub destination through the TGW in every route table of the VPC's subnets; never overwrites.",
          parameters: PLAN,
          resultPath: '$.routes',
        }),
      ],
      succeeded: pass('SummarizeTransitGatewayBranch', {
        parameters: { 'attachment.$': '$.attachment', 'association.$': '$.association', 'routes.$': '$.routes' },
      }),
      failed: 'TransitGatewayBranchFailed',
      failedComment: 'Ends the branch with the failing step named ($.failure.<Step>), so RecordFailure can report it.',
    },
    {
      steps: [
        lambdaTask('AssociateZones', 'zones', {
          comment:
            "Per zone: authorize (hub), associate (spoke), delete the authorization (hub). DNS mode profile: one AssociateProfile (spoke), after an account outside the organization accepts the Profile share's invitation.",
          parameters: PLAN,
          resultPath: '$.zones',
          retry: {
            first: [
              TRANSIENT.busyZone,
              TRANSIENT.zoneAuthorizationsFull,
              TRANSIENT.shareInvitationPending,
              TRANSIENT.profileShareVisibility,
            ],
          },
        }),
        lambdaTask('CreateSpokeEndpoints', 'zones', {
          comment:
            "The local services' interface endpoints in the spoke VPC (spoke role): own security group, private DNS, the catalog's policy; recorded by id. Nothing to do without local services.",
          action: 'endpoints',
          parameters: PLAN,
          resultPath: '$.spokeEndpoints',
        }),
      ],
      succeeded: pass('SummarizeZonesBranch', {
        parameters: { 'zones.$': '$.zones', 'spokeEndpoints.$': '$.spokeEndpoints' },
      }),
      failed: 'ZonesBranchFailed',
    },
    {
      steps: [
        lambdaTask('RegisterConsumer', 'consumer', {
          comment: 'Endpoint security group ingress, endpoint service principal, pending connections accepted.',
          parameters: PLAN,
          // Security group and endpoint service calls share the hub's EC2 buckets with every onboarding.
          retry: { throttling: HUB_EC2_THROTTLING },
        }),
      ],
      failed: 'ConsumerBranchFailed',
    },
  ],
});

const rollback: Step[] = [
  pass(ROLLBACK, {
    comment:
      "The rollback's own failures go to $.rollbackFailure, apart from $.failure: the execution still fails with the original error.",
    result: {},
    resultPath: '$.rollbackFailure',
    next: 'PlanRollback',
  }),
  lambdaTask('PlanRollback', 'rollback', {
    comment:
      'What to undo, from the registry record: a membership that never connected is undone whole (mode membership); a connected member only by what this execution added since NoteWhatExists (mode additions). Also whether the VPC still exists and its spoke role answers. Read-only.',
    action: 'plan-rollback',
    parameters: fromState(stateFieldsOf(RollbackContract['plan-rollback'].input)),
    resultPath: '$.rollbackPlan',
    onError: failTo(SUMMARIZE_ROLLBACK, 'rollbackFailure'),
    next: 'ChooseRollback',
  }),
  choice(
    'ChooseRollback',
    [
      { Variable: '$.rollbackPlan.mode', StringEquals: 'membership', Next: 'MarkRollingBack' },
      { Variable: '$.rollbackPlan.mode', StringEquals: 'additions', Next: 'RollBackAdditions' },
    ],
    SUMMARIZE_ROLLBACK,
  ),
  recordTask('MarkRollingBack', 'offboarding', {
    comment:
      "Record status offboarding while the membership is undone: another VPC of the account that is leaving at the same time does not count this one as a user of the account's grants (TGW share, endpoint service principal). RecordFailure sets failed afterwards.",
    onError: failTo('RollBackMembership', 'rollbackFailure'),
    next: 'RollBackMembership',
  }),
  undoFanOut(
    'RollBackMembership',
    "Undoes everything the record lists for a membership that never connected, with the offboarding's removal actions; each branch goes on as far as it can and reports its failure. Its output ($.rollback) and the registry record say what was undone and what remains.",
    { 'vpc.$': '$.rollbackPlan.vpc' },
    [
      {
        steps: [
          removeRoutes(
            'UndoSpokeRoutes',
            'remove',
            { 'vpc.$': '$.vpc' },
            {
              comment: 'The recorded routes that still go to the hub TGW (before the attachment they use).',
              resultPath: '$.undone.routes',
            },
          ),
          deleteAttachment(
            'UndoAttachment',
            { 'vpc.$': '$.vpc' },
            {
              comment: "The VPC's attachment (created or adopted by this membership), from the hub.",
              resultPath: '$.undone.attachment',
            },
          ),
          unshareTransitGateway(
            'UndoTransitGatewayShare',
            { 'vpc.$': '$.vpc' },
            {
              comment: 'The account leaves the TGW share unless another of its VPCs uses it.',
              resultPath: '$.undone.share',
            },
          ),
        ],
        done: 'TransitGatewaySideUndone',
        doneComment:
          'What was undone, and the failure that stopped the branch (routes not removed: the attachment stays).',
      },
      {
        steps: [
          removeZoneAssociations(
            'UndoZoneAssociations',
            'remove',
            { 'vpc.$': '$.vpc' },
            {
              comment:
                "The hub disassociates the VPC from every recorded zone; authorizations left on its services' zones go.",
              resultPath: '$.undone.zones',
            },
          ),
        ],
        done: 'ZoneAssociationsUndone',
        doneComment: UNDONE,
      },
      {
        steps: [
          removeEndpointAccess(
            'UndoEndpointAccess',
            'remove',
            { 'vpc.$': '$.vpc' },
            {
              comment:
                "The recorded security group rules; the account's endpoint service principal unless another of its VPCs uses it.",
              resultPath: '$.undone.access',
            },
          ),
        ],
        done: 'EndpointAccessUndone',
        doneComment: UNDONE,
      },
    ],
  ),
  undoFanOut(
    'RollBackAdditions',
    "A connected member whose change or repair failed: only the routes, zone associations and rules this execution added are removed (the prune actions, with the plan of what existed before as what to keep). The attachment, its association and propagations and the account's grants stay as the execution left them.",
    { 'keep.$': '$.rollbackPlan.keep' },
    [
      {
        steps: [
          removeRoutes(
            'UndoAddedRoutes',
            'prune',
            { 'plan.$': '$.keep' },
            {
              comment: 'Recorded routes the plan of what existed before does not want.',
              resultPath: '$.undone.routes',
            },
          ),
        ],
        done: 'AddedRoutesUndone',
        doneComment: UNDONE,
      },
      {
        steps: [
          removeZoneAssociations(
            'UndoAddedZoneAssociations',
            'prune',
            { 'plan.$': '$.keep' },
            {
              comment: 'Recorded zone associations that did not exist before.',
              resultPath: '$.undone.zones',
            },
          ),
        ],
        done: 'AddedZoneAssociationsUndone',
        doneComment: UNDONE,
      },
      {
        steps: [
          removeEndpointAccess(
            'UndoAddedEndpointAccess',
            'prune',
            { 'plan.$': '$.keep' },
            {
              comment: 'Recorded security group rules that did not exist before.',
              resultPath: '$.undone.access',
            },
          ),
        ],
        done: 'AddedEndpointAccessUndone',
        doneComment: UNDONE,
      },
    ],
  ),
  lambdaTask(SUMMARIZE_ROLLBACK, 'rollback', {
    comment:
      "What was rolled back and, from the registry record read again, exactly what remains: the summary goes into the failed status detail and the Fail state's cause. Read-only.",
    action: 'summarize-rollback',
    parameters: fromState(stateFieldsOf(RollbackContract['summarize-rollback'].input)),
    resultPath: '$.rollbackOutcome',
    onError: failTo(FAILURE_TAIL, 'rollbackFailure'),
    next: FAILURE_TAIL,
  }),
];

const converge: Step[] = [
  lambdaTask('WaitForConnectivity', 'transit-gateway', {
    comment:
      "Connected means a packet can flow: waits until the TGW association is associated, the VPC's routes are active in the TGW route tables and the spoke route tables, and the zone association changes are INSYNC. Changes nothing. Before pruning: what stays or is new is in effect before anything is removed.",
    action: 'confirm',
    parameters: {
      ...PLAN,
      'attachmentId.$': '$.branches[0].attachment.attachmentId',
      'routesActive.$': '$.branches[0].association.routesActive',
      'zones.$': '$.branches[1].zones',
    },
    resultPath: '$.connectivity',
    // Reads only: it fails fast rather than hold the TGW branch's longer timeout.
    timeoutSeconds: 60,
    // A throttled poll is read again within 30 s (jittered), not after up to 300 s: it changes nothing, costs a few
    // reads, and a VPC that waits here is otherwise done.
    retry: { first: [TRANSIENT.associationPending, TRANSIENT.connectivityPending], throttlingMaxDelaySeconds: 30 },
    onError: failTo(FAILURE_TAIL),
    next: 'CheckWhatToPrune',
  }),
  choice(
    'CheckWhatToPrune',
    [isExistingMember('RemoveWhatIsNoLongerWanted')],
    'RecordConsumer',
    'A change of an existing member converges by difference: what the plan no longer wants is removed only now, after everything it wants is in place (no moment without the services that stay).',
  ),
  ...workFanOut('RemoveWhatIsNoLongerWanted', 'CheckPruneOutcomes', {
    comment:
      'Each branch catches its own errors and ends with {failed: {<Step>: error}} under $.branches, so RecordFailure names the step.',
    onError: FAILURE_TAIL,
    failed: FAILURE_TAIL,
    next: 'RecordConsumer',
    branches: [
      {
        steps: [
          removeRoutes('PruneSpokeRoutes', 'prune', PLAN, {
            comment:
              'Routes the plan no longer wants (a destination removed from the hub configuration, a route table no longer used); never a route that points elsewhere now.',
            resultPath: '$.removed',
            outputPath: '$.removed',
          }),
        ],
        failed: 'PruneRoutesBranchFailed',
      },
      {
        steps: [
          removeZoneAssociations('PruneZoneAssociations', 'prune', PLAN, {
            comment: 'Zones of the services no longer selected (the hub, as zone owner, disassociates).',
            resultPath: '$.removed',
            outputPath: '$.removed',
            // Beside the associations that stay: a busy zone is retried like throttling. A local endpoint still
            // deleting, or one made for a move to the spoke still pending, is waited for.
            retry: {
              first: [TRANSIENT.spokeEndpointDeleting],
              alsoLikeThrottling: [AWS_ERRORS.priorRequestNotComplete],
            },
          }),
        ],
        failed: 'PruneZonesBranchFailed',
      },
      {
        steps: [
          removeEndpointAccess('PruneEndpointAccess', 'prune', PLAN, {
            comment: 'Security group rules of the services no longer selected, matched by rule id and description.',
            resultPath: '$.removed',
            outputPath: '$.removed',
          }),
        ],
        failed: 'PruneAccessBranchFailed',
      },
    ],
  }),
  recordTask('RecordConsumer', 'connected', {
    comment: 'Registry record status connected (the steps wrote what they made as they went).',
    resultPath: '$.record',
    onError: failTo(FAILURE_TAIL),
    next: 'SetStatusConnected',
  }),
  setStatus('SetStatusConnected', 'connected', { onError: failTo(FAILURE_TAIL), next: 'ReleaseLease' }),
  releaseLease(
    'ReleaseLease',
    'Connected',
    'A lease left behind is harmless: the next execution takes over a lease whose holder no longer runs.',
  ),
  succeed('Connected'),
];

const quietEnds: Step[] = [
  setStatus('SetStatusRejected', 'rejected', {
    comment: 'Policy or validation said no; nothing was changed.',
    onError: carryOn('$.statusError', 'ReleaseLeaseAfterRejection'),
    next: 'ReleaseLeaseAfterRejection',
  }),
  releaseLease(
    'ReleaseLeaseAfterRejection',
    'Rejected',
    'Releases the lease if this execution holds it (a rejection by AcquireLease); otherwise a no-op.',
  ),
  succeed('Rejected', "Rejected is a correct outcome: the VPC's status tags say why."),
  releaseLease(
    'ReleaseLeaseAfterIgnoring',
    'IgnoreWithdrawnRequest',
    'A withdrawn request: the lease goes back, nothing else is written.',
  ),
  succeed('IgnoreWithdrawnRequest', 'The VPC no longer asks to connect (or the event could not be trusted).'),
  releaseLease(
    'ReleaseLeaseWhenVpcIsGone',
    'EndBecauseVpcIsGone',
    'The VPC is gone: the lease goes back (its offboarding cleans up).',
  ),
  releaseLease(
    'ReleaseLeaseWhenAlreadyConnected',
    'EndBecauseAlreadyConnected',
    'Already connected as the tags ask and nothing drifted: the lease goes back, no tag is written.',
  ),
  succeed('EndBecauseVpcIsGone', 'The VPC was deleted: there is nothing to onboard and nowhere to write a status.'),
  releaseLease(
    'ReleaseLeaseAfterSuperseded',
    'EndBecauseSuperseded',
    'A superseded request: the lease goes back, nothing else is written.',
  ),
  succeed(
    'EndBecauseSuperseded',
    "The VPC now asks for something else than what was decided (another segment, services or CIDRs): that request's own execution decides.",
  ),
  succeed(
    'EndBecauseAlreadyConnected',
    'A duplicate or out-of-order event for a VPC connected as it asks, nothing drifted: nothing to do, no tag written (functions/validate/unchanged.ts).',
  ),
  giveUpBecauseVpcIsBusy("it decides the VPC's status."),
];

export const onboard: StateMachine = stateMachine(
  'onboard',
  'spokelink onboarding: a spoke VPC tagged spokelink:connect=true becomes connected to the hub (docs/workflow.md). Input: the raw EventBridge event.',
  states(
    leaseAndPlan,
    approval,
    begin,
    connect,
    rollback,
    converge,
    quietEnds,
    failureTail({
      workflow: 'onboarding',
      recordComment: 'Registry record status failed, keeping what the steps recorded as they went.',
      statusComment: "Status failed with the step and error; returns the Fail state's error and cause.",
      see: '$.failure and $.branches',
    }),
  ),
);
