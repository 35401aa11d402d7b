import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { type ExecutionTimeline, parseExecution } from '../../cli/audit/history';
import { changeLine, clean, renderTimeline, renderVpcAudit, timelineJson } from '../../cli/audit/render';
import { changesOfStep, REGISTRY_KINDS } from '../../cli/audit/resources';
import { type HistoryFixture, loadHistoryFixture } from './helpers';

/**
 * The history renderer on execution histories recorded from local hub runs (test/fixtures/histories, captured by
 * test/audit/capture-fixtures.ts): the real state machine and handlers, the real GetExecutionHistory format.
 */

function timeline(fixture: HistoryFixture): ExecutionTimeline {
  return parseExecution(fixture.execution, fixture.events);
}

const step = (t: ExecutionTimeline, name: string) => {
  const found = t.steps.find((s) => s.name === name);
  if (!found) throw new Error(`no step ${name}`);
  return found;
};

const created = (t: ExecutionTimeline, kind: string) =>
  t.changes.filter((c) => c.change === 'created' && c.kind === kind).map((c) => c.id);

/** Ids of the Lambda attempts the history records, per function name (an independent count). */
function scheduledByFunction(events: readonly HistoryEvent[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) {
    const resource = e.lambdaFunctionScheduledEventDetails?.resource;
    if (!resource) continue;
    const fn = resource.split(':function:')[1]!;
    out.set(fn, (out.get(fn) ?? 0) + 1);
  }
  return out;
}

describe('Audit history: a connected onboarding', () => {
  const fixture = loadHistoryFixture('connected');
  const t = timeline(fixture);

  it('lists every state entered, top level in order and each Parallel branch after its Parallel', () => {
    expect(t.steps.filter((s) => s.depth === 0).map((s) => s.name)).toEqual([
      'WrapTriggerEvent',
      'ValidateAndPlan',
      'AcquireLease',
      'SetStatusOnboarding',
      'ConnectSpokeVpc',
      'CheckBranchOutcomes',
      'RecordConsumer',
      'SetStatusConnected',
      'ReleaseLease',
      'Connected',
    ]);
    const parallel = step(t, 'ConnectSpokeVpc');
    const children = t.steps.filter((s) => s.parentId === parallel.id).map((s) => `${s.branch}:${s.name}`);
    expect(children).toEqual([
      '1:ShareTransitGateway',
      '1:CreateAttachment',
      '1:AcceptAttachment',
      '1:WaitForAttachment',
      '1:AssociateAndPropagate',
      '1:CreateSpokeRoutes',
      '1:SummarizeTransitGatewayBranch',
      '2:AssociateZones',
      '3:RegisterConsumer',
    ]);
    // Flattened in tree order: the branch steps come right after their Parallel.
    const names = t.steps.map((s) => s.name);
    expect(names.indexOf('ShareTransitGateway')).toBe(names.indexOf('ConnectSpokeVpc') + 1);
    expect(t.steps).toHaveLength(fixture.events.filter((e) => e.type?.endsWith('StateEntered')).length);
  });

  it('measures each step from entering to leaving it: the attachment wait lasts exactly the twin attachment time', () => {
    // The capture shortens pending -> available to 12 s; the ASL polls every 3 s: 4 misses, then available.
    expect(step(t, 'WaitForAttachment')).toMatchObject({ durationMs: 12_000, attempts: 5, retries: 4 });
    const parallel = step(t, 'ConnectSpokeVpc');
    const branch = t.steps.filter((s) => s.parentId === parallel.id);
    const lastEnd = Math.max(...branch.map((s) => s.endedAt!.getTime()));
    expect(parallel.endedAt!.getTime()).toBe(lastEnd);
    expect(t.durationMs).toBe(fixture.execution.stopDate!.getTime() - fixture.execution.startDate.getTime());
  });

  it('reads the resources each Task created from its result', () => {
    const attachment = step(t, 'CreateAttachment').changes[0]!;
    expect(attachment).toMatchObject({ change: 'created', kind: 'tgw-attachment' });
    expect(attachment.id).toMatch(/^tgw-attach-[0-9a-f]{17}$/);
    expect(step(t, 'AcceptAttachment').changes).toEqual([
      { change: 'modified', kind: 'tgw-attachment', id: attachment.id, detail: 'accepted by the hub' },
    ]);
    expect(created(t, 'route')).toEqual(['rtb-0b300000000000101 10.0.0.0/16']);
    expect(created(t, 'phz-association')).toEqual(['Z0SSM00000000000000001', 'Z0STS00000000000000001']);
    expect(created(t, 'tgw-association')).toEqual(['tgw-rtb-0b000000000000002']);
    expect(created(t, 'tgw-propagation')).toEqual(['tgw-rtb-0c000000000000003']);
    expect(created(t, 'ram-share-principal')).toEqual(['333333333333']);
    expect(created(t, 'endpoint-service-permission')).toEqual(['vpce-svc-0d000000000000001']);
    expect(created(t, 'sg-ingress-rule')).toEqual(['sg-0e55e0000000000a1', 'sg-0e55e0000000000a2']);
    expect(step(t, 'ValidateAndPlan').summary).toMatch(/^segment nonprod; services ssm,sts; CIDRs 10\.3\.0\.0\/16/);
  });

  it("reads the hub's static return routes AssociateAndPropagate created and removed", () => {
    const { changes } = changesOfStep(
      'transit-gateway',
      {
        attachmentId: 'tgw-attach-0123456789abcdef0',
        associationRouteTableId: 'tgw-rtb-0b000000000000002',
        routeTableIds: ['tgw-rtb-0c000000000000003'],
        routedCidrs: ['10.1.0.0/16'],
        changes: [
          'associated with tgw-rtb-0b000000000000002',
          'route 10.1.0.0/16 in tgw-rtb-0c000000000000003',
          'route 10.9.0.0/16 removed from tgw-rtb-0c000000000000003',
          'propagation to tgw-rtb-0c000000000000003 disabled',
        ],
      },
      { input: { action: 'associate' } },
    );
    expect(changes).toEqual([
      { change: 'created', kind: 'tgw-association', id: 'tgw-rtb-0b000000000000002' },
      { change: 'created', kind: 'tgw-route', id: 'tgw-rtb-0c000000000000003 10.1.0.0/16' },
      { change: 'removed', kind: 'tgw-route', id: 'tgw-rtb-0c000000000000003 10.9.0.0/16' },
      { change: 'removed', kind: 'tgw-propagation', id: 'tgw-rtb-0c000000000000003' },
    ]);
  });

  it('counts retries per error, and Lambda invocations as the history schedules them', () => {
    expect(t.retriesByError).toEqual({ 'InvalidTransitGatewayID.NotFound': 3, AttachmentNotReadyError: 4 });
    expect(t.retries).toBe(7);
    expect(step(t, 'CreateAttachment')).toMatchObject({ attempts: 4, retries: 3, outcome: 'succeeded' });
    const scheduled = [...scheduledByFunction(fixture.events).values()].reduce((a, b) => a + b, 0);
    expect(t.lambdaInvocations).toBe(scheduled);
    expect(t.stateTransitions).toBe(t.steps.length + 7);
  });

  it('ends connected, from the terminal Succeed state', () => {
    expect(t.outcome).toEqual({ result: 'connected', terminalState: 'Connected' });
    expect(t).toMatchObject({ status: 'SUCCEEDED', vpcId: 'vpc-0b300000000000001', action: 'onboard' });
    expect(t.steps.every((s) => s.outcome === 'succeeded')).toBe(true);
  });

  it('tells who asked what and when from the triggering tag change event', () => {
    expect(t.trigger).toMatchObject({
      kind: 'tag-change',
      account: '333333333333',
      region: 'us-east-1',
      time: '2026-03-02T09:00:00Z',
      vpcId: 'vpc-0b300000000000001',
      changedKeys: ['spokelink:connect'],
      tags: { Name: 'analytics-dev', 'spokelink:connect': 'true' },
    });
  });

  it('prints the timeline: steps in order with durations, retries and the resources, then the result', () => {
    const text = renderTimeline(t);
    const order = ['ValidateAndPlan', 'ConnectSpokeVpc', 'CreateAttachment', 'WaitForAttachment', 'RecordConsumer'];
    const positions = order.map((name) => text.indexOf(`✓ ${name}`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text).toMatch(/12\.0s {4}✓ WaitForAttachment {2}\(spokelink-transit-gateway, 5 attempts\)/);
    expect(text).toContain('↻ retried 4 × AttachmentNotReadyError: tgw-attach-');
    expect(text).toContain(`+ TGW attachment ${created(t, 'tgw-attachment')[0]} (pendingAcceptance; subnets`);
    expect(text).toContain('account 333333333333 (us-east-1) changed spokelink:connect=true');
    expect(text).toContain('7 retries (AttachmentNotReadyError ×4, InvalidTransitGatewayID.NotFound ×3)');
    expect(text).toMatch(/■ SUCCEEDED at 2026-03-02T09:00:16\.634Z: connected\n?$/);
  });
});

describe('Audit history: a rejected onboarding', () => {
  const fixture = loadHistoryFixture('rejected');
  const t = timeline(fixture);

  it('ends rejected with the reason of the caught validation error, having created nothing in AWS', () => {
    expect(t.outcome).toEqual({
      result: 'rejected',
      terminalState: 'Rejected',
      reason: 'account-not-allowed: account 333333333333 may not use segment prod',
    });
    expect(step(t, 'ValidateAndPlan')).toMatchObject({
      outcome: 'caught',
      next: 'SetStatusRejected',
      error: { error: 'RejectedError', message: 'account-not-allowed: account 333333333333 may not use segment prod' },
    });
    expect(t.changes.filter((c) => c.change === 'created')).toEqual([]);
    expect(t.changes).toEqual([{ change: 'modified', kind: 'status-tags', id: 'spokelink:status=rejected' }]);
  });

  it('names both request keys the app team set with CreateTags', () => {
    expect(t.trigger.changedKeys).toEqual(['spokelink:connect', 'spokelink:segment']);
    expect(renderTimeline(t)).toContain('changed spokelink:connect=true, spokelink:segment=prod');
  });

  it('reads the same outcome from an AWS-shaped history, where a caught error has no TaskStateExited', () => {
    // AWS records LambdaFunctionFailed, then the Catch target's TaskStateEntered pointing at it.
    const exited = fixture.events.find(
      (e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'ValidateAndPlan',
    )!;
    const events = fixture.events
      .filter((e) => e !== exited)
      .map((e) => (e.previousEventId === exited.id ? { ...e, previousEventId: exited.previousEventId } : e));
    const aws = parseExecution(fixture.execution, events);
    expect(step(aws, 'ValidateAndPlan')).toMatchObject({ outcome: 'caught', next: 'SetStatusRejected' });
    expect(aws.outcome.result).toBe('rejected');
    expect(aws.steps.map((s) => s.name)).toEqual(t.steps.map((s) => s.name));
  });
});

describe('Audit history: retries and throttling', () => {
  const fixture = loadHistoryFixture('retries');
  const t = timeline(fixture);

  it('counts Lambda throttling and EC2 throttling retries by error, and still connects', () => {
    expect(t.retriesByError).toEqual({
      'InvalidTransitGatewayID.NotFound': 2,
      AttachmentNotReadyError: 4,
      RequestLimitExceeded: 1,
      'Lambda.TooManyRequestsException': 2,
    });
    expect(step(t, 'AssociateZones')).toMatchObject({ attempts: 3, retries: 2, outcome: 'succeeded' });
    expect(step(t, 'AssociateZones').failures.map((f) => [f.error, f.retried])).toEqual([
      ['Lambda.TooManyRequestsException', true],
      ['Lambda.TooManyRequestsException', true],
    ]);
    expect(step(t, 'CreateSpokeRoutes').failures[0]).toMatchObject({
      error: 'RequestLimitExceeded',
      message: 'Request limit exceeded.',
      retried: true,
    });
    expect(t.outcome.result).toBe('connected');
    // The throttled attempts did not create anything twice.
    expect(created(t, 'phz-association')).toHaveLength(3);
    expect(created(t, 'route')).toHaveLength(1);
  });

  it('shows each retried error once with its count', () => {
    const text = renderTimeline(t);
    expect(text).toContain('↻ retried 2 × Lambda.TooManyRequestsException: Rate Exceeded.');
    expect(text).toContain('↻ retried 1 × RequestLimitExceeded: Request limit exceeded.');
    expect(text).toMatch(/✓ AssociateZones {2}\(spokelink-zones, 3 attempts\)/);
  });
});

describe('Audit history: a failed onboarding', () => {
  const fixture = loadHistoryFixture('failed');
  const t = timeline(fixture);

  it('ends failed with the error and the step that caused it', () => {
    expect(t.status).toBe('FAILED');
    expect(t.outcome).toMatchObject({ result: 'failed', terminalState: 'OnboardingFailed', error: 'AccessDenied' });
    expect(t.outcome.reason).toMatch(/^AssociateZones: AccessDenied: User: .* is not authorized to perform: route53:/);
    expect(step(t, 'AssociateZones')).toMatchObject({ outcome: 'caught', next: 'ZonesBranchFailed', retries: 0 });
    expect(step(t, 'CheckBranchOutcomes').next).toBe('BeginRollback');
    expect(step(t, 'OnboardingFailed')).toMatchObject({ outcome: 'failed', type: 'Fail' });
  });

  it('lists what the other branches created before the failure, then what its rollback removed', () => {
    expect(created(t, 'tgw-attachment')).toHaveLength(1);
    expect(created(t, 'route')).toEqual(['rtb-0a200000000000101 10.0.0.0/16']);
    expect(created(t, 'phz-association')).toEqual([]);
    const removed = t.changes.filter((c) => c.change === 'removed' && !REGISTRY_KINDS.has(c.kind)).map((c) => c.kind);
    expect(removed.sort()).toEqual([
      'endpoint-service-permission',
      'route',
      'sg-ingress-rule',
      'sg-ingress-rule',
      'tgw-attachment',
    ]);
    const text = renderTimeline(t);
    expect(text).toContain('↪ AssociateZones');
    expect(text).toContain('✗ AccessDenied: User: arn:aws:sts::111111111111:assumed-role/spokelink-fn-zones');
    expect(text).toContain('(caught: next ZonesBranchFailed)');
    expect(text).toMatch(/✓ UndoAttachment {2}\(spokelink-transit-gateway\)\n +- TGW attachment tgw-attach-/);
    expect(text).toMatch(/■ FAILED at .*: failed \(it removed the 7 AWS resources it created\)/);
  });
});

describe('Audit history: a VPC created with tags (CloudTrail)', () => {
  const t = timeline(loadHistoryFixture('cloudtrail-created'));

  it('names the principal, call, address and tags of the CloudTrail event', () => {
    expect(t.trigger).toMatchObject({
      kind: 'cloudtrail',
      eventName: 'CreateVpc',
      principal: 'arn:aws:sts::555555555555:assumed-role/partner-admin/maria',
      principalType: 'AssumedRole',
      sourceIp: '203.0.113.24',
      account: '555555555555',
      vpcId: 'vpc-0d500000000000001',
    });
    expect(t.trigger.tags).toMatchObject({ 'spokelink:segment': 'nonprod', 'spokelink:services': 'ssm' });
    expect(renderTimeline(t)).toContain(
      'by arn:aws:sts::555555555555:assumed-role/partner-admin/maria (AssumedRole) in account 555555555555 from 203.0.113.24',
    );
  });

  it('shows the RAM invitation the spoke account accepted (account outside the organization)', () => {
    expect(step(t, 'ShareTransitGateway').changes.map((c) => `${c.change} ${c.kind}`)).toEqual([
      'created ram-share-principal',
      'modified ram-invitation',
    ]);
  });
});

describe('Audit history: an onboarding waiting for approval', () => {
  const fixture = loadHistoryFixture('pending-approval');
  const t = timeline(fixture);

  it('is running, in the approval step, waiting for its task token', () => {
    expect(t.status).toBe('RUNNING');
    expect(t.outcome).toEqual({ result: 'running', reason: 'in RequestApproval (waiting for its task token)' });
    expect(step(t, 'RequestApproval')).toMatchObject({
      outcome: 'running',
      type: 'Task',
      resource: 'lambda:invoke.waitForTaskToken',
      attempts: 1,
    });
    expect(step(t, 'CheckApprovalNeeded').next).toBe('SetStatusPendingApproval');
    expect(t.changes).toContainEqual({
      change: 'modified',
      kind: 'status-tags',
      id: 'spokelink:status=pending-approval',
    });
    expect(renderTimeline(t)).toContain('result    running (RUNNING)\n  reason    in RequestApproval (waiting');
  });

  it('never prints the task token the history holds in the Task parameters', () => {
    const token = /AQCE[A-Za-z0-9_-]{20,}/.exec(JSON.stringify(fixture.events))?.[0];
    expect(token).toBeDefined();
    expect(renderTimeline(t)).not.toContain(token);
    expect(JSON.stringify(timelineJson(t))).not.toContain(token);
  });
});

describe('Audit history: partial and data-less histories', () => {
  const fixture = loadHistoryFixture('connected');

  it('shows a running execution: the open step is running and there is no result yet', () => {
    const waitEntered = fixture.events.find(
      (e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'WaitForAttachment',
    )!;
    const events = fixture.events.filter((e) => e.id! <= waitEntered.id! + 3);
    const { stopDate: _stop, ...running } = fixture.execution;
    const t = parseExecution({ ...running, status: 'RUNNING', output: undefined }, events);
    expect(t.outcome).toEqual({ result: 'running', reason: 'in WaitForAttachment' });
    expect(step(t, 'WaitForAttachment').outcome).toBe('running');
    expect(step(t, 'WaitForAttachment').durationMs).toBeUndefined();
    expect(step(t, 'ConnectSpokeVpc').outcome).toBe('running');
    expect(step(t, 'CreateAttachment').outcome).toBe('succeeded');
    expect(renderTimeline(t)).toContain('ended     still running');
  });

  it('reads a history fetched without execution data: same steps and retries, no results', () => {
    const stripped = fixture.events.map((e) => {
      const copy = JSON.parse(JSON.stringify(e), (k, v) => (k === 'timestamp' ? new Date(v) : v)) as Record<
        string,
        Record<string, unknown>
      >;
      for (const value of Object.values(copy)) {
        if (value && typeof value === 'object' && !(value instanceof Date)) {
          delete value.input;
          delete value.output;
        }
      }
      return copy as unknown as HistoryEvent;
    });
    const full = timeline(fixture);
    const bare = parseExecution({ ...fixture.execution, input: undefined }, stripped);
    expect(bare.withoutData).toBe(true);
    expect(full.withoutData).toBe(false);
    expect(bare.steps.map((s) => [s.name, s.outcome, s.attempts])).toEqual(
      full.steps.map((s) => [s.name, s.outcome, s.attempts]),
    );
    expect(bare.retriesByError).toEqual(full.retriesByError);
    expect(bare.changes).toEqual([]);
    expect(bare.outcome).toEqual(full.outcome);
    expect(bare.trigger.kind).toBe('unknown');
  });
});

describe('Audit rendering of untrusted values', () => {
  it('never prints control characters from tag values (no terminal escape sequences)', () => {
    const fixture = loadHistoryFixture('rejected');
    const input = JSON.parse(fixture.execution.input!) as { detail: { tags: Record<string, string> } };
    input.detail.tags.Name = 'evil\u001b[2J\u001b]0;pwned\u0007name';
    const t = parseExecution({ ...fixture.execution, input: JSON.stringify(input) }, fixture.events);
    const text = renderTimeline(t);
    expect(text).toContain('Name=evil?[2J?]0;pwned?name');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(clean('a\tb\nc')).toBe('a?b?c');
  });

  it('labels each change by its kind', () => {
    expect(changeLine({ change: 'removed', kind: 'route', id: 'rtb-1 10.0.0.0/16' })).toBe('- route rtb-1 10.0.0.0/16');
    expect(changeLine({ change: 'unchanged', kind: 'phz-association', id: 'Z1', detail: 'ssm.example' })).toBe(
      '= private hosted zone association Z1 (ssm.example) (already in place)',
    );
  });

  it('heads a VPC audit with its source, registry record and executions', () => {
    const t = timeline(loadHistoryFixture('connected'));
    const text = renderVpcAudit('vpc-0b300000000000001', [t], {
      source: 'test source',
      registry: [
        {
          pk: 'VPC#vpc-0b300000000000001',
          sk: 'CURRENT',
          status: 'connected',
          connectedAt: '2026-03-02T09:00:16.634Z',
          accountId: '333333333333',
          segment: 'nonprod',
          services: ['ssm', 'sts'],
          attachmentId: 'tgw-attach-e91d63f58d81e4db9',
        },
      ],
      missing: ['arn:aws:states:us-east-1:111111111111:execution:spokelink-onboard:old'],
    });
    expect(text.split('\n').slice(0, 5)).toEqual([
      'spokelink audit vpc-0b300000000000001',
      'source    test source',
      'registry  connected since 2026-03-02T09:00:16.634Z; account 333333333333; segment nonprod; services ssm,sts; attachment tgw-attach-e91d63f58d81e4db9',
      'missing   arn:aws:states:us-east-1:111111111111:execution:spokelink-onboard:old: named by the registry, no longer in Step Functions (histories are kept 90 days)',
      '1 execution, oldest first',
    ]);
  });

  it('shows a held lease, not a released one (its item stays, without owner, keeping the lease token)', () => {
    const t = timeline(loadHistoryFixture('connected'));
    const current = { pk: 'VPC#vpc-0b300000000000001', sk: 'CURRENT', status: 'connected' };
    const lease = { pk: 'VPC#vpc-0b300000000000001', sk: 'LEASE', kind: 'lease', token: 3 };
    const released = renderVpcAudit('vpc-0b300000000000001', [t], {
      source: 'test source',
      registry: [current, { ...lease, expiresAt: 0 }],
      missing: [],
    });
    expect(released).not.toContain('lease held by');
    const held = renderVpcAudit('vpc-0b300000000000001', [t], {
      source: 'test source',
      registry: [current, { ...lease, owner: 'arn:exec-a', expiresAt: 1780305600 }],
      missing: [],
    });
    expect(held).toContain('lease held by arn:exec-a until 1780305600');
  });
});
