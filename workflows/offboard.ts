import { IgnoredEventError, VpcBusyError } from '#shared/errors';
import {
  carryOn,
  choice,
  failTo,
  lambdaTask,
  on,
  type StateMachine,
  type Step,
  stateMachine,
  states,
  succeed,
} from './builder';
import {
  acquireLease,
  deleteAttachment,
  FAILURE_TAIL,
  failureTail,
  giveUpBecauseVpcIsBusy,
  recordTask,
  releaseLease,
  removeEndpointAccess,
  removeRoutes,
  removeZoneAssociations,
  setStatus,
  TRANSIENT,
  unshareTransitGateway,
  wrapTriggerEvent,
} from './fragments';

/** The offboarding workflow (docs/lifecycle.md): `statemachines/offboard.asl.json` is generated from this file. */

const VPC = { 'vpc.$': '$.offboard.vpc' } as const;
const onError = failTo(FAILURE_TAIL);

const plan: Step[] = [
  wrapTriggerEvent('offboarding', {
    comment:
      'Keeps the raw event under $.event; $.failure.<Step> collects caught errors, $.removed what each removal step did; $.lease is declared empty until AcquireLease sets it.',
    also: { removed: {} },
    next: 'AcquireLease',
  }),
  acquireLease('AcquireLease', {
    comment:
      'The VPC lease alone (offboarding has no plan and claims nothing): an onboarding still running for the VPC finishes first.',
    catch: [on(IgnoredEventError, 'IgnoreUntrustedEvent'), on(VpcBusyError, 'GiveUpBecauseVpcIsBusy')],
    next: 'PlanOffboarding',
  }),
  lambdaTask('PlanOffboarding', 'rollback', {
    comment:
      'Reads the VPC (still there? still asking to disconnect?) and its registry record: what spokelink created is what gets removed. Changes nothing.',
    parameters: { 'event.$': '$.event', 'lease.$': '$.lease' },
    resultPath: '$.offboard',
    catch: [on(IgnoredEventError, 'ReleaseLeaseAfterIgnoring')],
    onError,
    next: 'WithdrawPendingApproval',
  }),
  lambdaTask('WithdrawPendingApproval', 'approval', {
    comment:
      'The VPC no longer asks to connect: an onboarding waiting for an approval is withdrawn (its task fails with ApprovalWithdrawnError and it ends quietly; the pending request is deleted, so no approver can act on it).',
    action: 'withdraw',
    parameters: VPC,
    resultPath: '$.withdrawn',
    onError,
    next: 'CheckSomethingToRemove',
  }),
  choice(
    'CheckSomethingToRemove',
    [
      { Variable: '$.offboard.hasRecord', BooleanEquals: true, Next: 'RecordOffboarding' },
      { Variable: '$.offboard.hasStatusTag', BooleanEquals: true, Next: 'SetStatusNothingConnected' },
    ],
    'ReleaseLeaseWhenNothingToDo',
  ),
  setStatus('SetStatusNothingConnected', 'disconnected', {
    comment: 'Never connected (rejected, failed before the lease): the status says it is over.',
    detail: '$.offboard.detail',
    onError: carryOn('$.statusError', 'ReleaseLeaseWhenNothingToDo'),
    next: 'ReleaseLeaseWhenNothingToDo',
  }),
  releaseLease('ReleaseLeaseWhenNothingToDo', 'NothingToOffboard'),
  succeed('NothingToOffboard', 'No registry record: spokelink created nothing for this VPC.'),
];

const remove: Step[] = [
  recordTask('RecordOffboarding', 'offboarding', { onError, next: 'SetStatusOffboarding' }),
  setStatus('SetStatusOffboarding', 'offboarding', { detail: '$.offboard.detail', onError, next: 'RemoveSpokeRoutes' }),
  removeRoutes('RemoveSpokeRoutes', 'remove', VPC, {
    comment:
      'First: the routes through the attachment go before it does. Only routes that still point to the hub TGW; a deleted VPC took its routes with it.',
    resultPath: '$.removed.routes',
    onError,
    next: 'RemoveZoneAssociations',
  }),
  removeZoneAssociations('RemoveZoneAssociations', 'remove', VPC, {
    comment:
      "The hub (zone owner) disassociates the VPC from every recorded zone, also a deleted VPC; never the zone's last VPC; leftover authorizations deleted.",
    resultPath: '$.removed.zones',
    onError,
    next: 'RemoveEndpointAccess',
  }),
  removeEndpointAccess('RemoveEndpointAccess', 'remove', VPC, {
    comment:
      'Security group rules by id and description; the account principal of endpoint services when no other VPC of the account uses it.',
    resultPath: '$.removed.access',
    onError,
    next: 'DeleteAttachment',
  }),
  deleteAttachment('DeleteAttachment', VPC, {
    comment:
      "The hub deletes the VPC's attachment to its TGW (association, propagations and propagated routes go with it); one still pending is waited for.",
    resultPath: '$.removed.attachment',
    onError,
    next: 'UnshareTransitGateway',
  }),
  unshareTransitGateway('UnshareTransitGateway', VPC, {
    comment: 'The account leaves the TGW share when none of its VPCs uses the TGW any more.',
    resultPath: '$.removed.share',
    onError,
    next: 'ArchiveMembership',
  }),
  recordTask('ArchiveMembership', 'disconnected', {
    comment:
      'CIDR claims released; the membership kept as HISTORY#<connectedAt> with its end time (chargeback); the current record disconnected.',
    resultPath: '$.record',
    retry: { first: [TRANSIENT.claimContention] },
    onError,
    next: 'SetStatusDisconnected',
  }),
  setStatus('SetStatusDisconnected', 'disconnected', {
    comment: 'The VPC is disconnected whether or not the tag can be written (a deleted VPC has nowhere to write it).',
    onError: carryOn('$.statusError', 'ReleaseLease'),
    next: 'ReleaseLease',
  }),
  releaseLease('ReleaseLease', 'Disconnected'),
  succeed('Disconnected'),
];

const quietEnds: Step[] = [
  releaseLease('ReleaseLeaseAfterIgnoring', 'IgnoreWithdrawnRequest'),
  succeed('IgnoreWithdrawnRequest', 'The VPC asks to connect again: its onboarding decides.'),
  succeed('IgnoreUntrustedEvent', 'The event names no VPC that can be trusted.'),
  giveUpBecauseVpcIsBusy('the reconcile repairs whatever is left.'),
];

export const offboard: StateMachine = stateMachine(
  'offboard',
  'spokelink offboarding: a VPC that no longer asks to connect (spokelink:connect removed or false) or that was deleted loses exactly what the consumer registry says spokelink created (docs/lifecycle.md). Input: the raw EventBridge event.',
  states(
    plan,
    remove,
    quietEnds,
    failureTail({
      workflow: 'offboarding',
      recordComment:
        'Registry record status failed (only a record this execution marked offboarding); what is left stays listed for the next attempt.',
      see: '$.failure',
    }),
  ),
);
