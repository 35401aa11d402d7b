import type { SimulationReport } from '#local/report';
import { duration, offset } from '../../cli/render/format';
import { ProgressPrinter } from '../../cli/render/progress';
import { renderReport } from '../../cli/render/report';

describe('Progress lines', () => {
  function printer() {
    const lines: string[] = [];
    return { lines, p: new ProgressPrinter((l) => lines.push(l)) };
  }
  const base = {
    kind: 'state' as const,
    execution: 'vpc-0a1-onboard-1',
    vpcId: 'vpc-0a200000000000001',
    stateType: 'Task',
  };

  it('prints a state once, when it is left, with the simulated time it took', () => {
    const { lines, p } = printer();
    p.handle({ ...base, at: 1_000, event: 'entered', state: 'WaitForAttachment' });
    p.handle({ ...base, at: 91_000, event: 'exited', state: 'WaitForAttachment' });

    expect(lines).toEqual(['T+01:31.0  vpc-0a200000000000001  ✓ WaitForAttachment (1m30.0s)']);
  });

  it('shows a failure on the line of the retry or catch that follows, with the Lambda error message', () => {
    const { lines, p } = printer();
    const cause = JSON.stringify({
      errorType: 'AttachmentNotReadyError',
      errorMessage: 'tgw-attach-1 is pending',
      trace: [],
    });
    p.handle({ ...base, at: 0, event: 'failed', state: 'Wait', error: 'AttachmentNotReadyError', cause });
    p.handle({ ...base, at: 3_000, event: 'retried', state: 'Wait' });
    p.handle({ ...base, at: 4_000, event: 'failed', state: 'Validate', error: 'RejectedError', cause: 'cidr-overlap' });
    p.handle({ ...base, at: 4_000, event: 'caught', state: 'Validate' });

    expect(lines).toEqual([
      'T+00:03.0  vpc-0a200000000000001  ↻ Wait  AttachmentNotReadyError: tgw-attach-1 is pending (retried)',
      'T+00:04.0  vpc-0a200000000000001  ↳ Validate  RejectedError: cidr-overlap (caught)',
    ]);
  });

  it('formats durations and clock offsets', () => {
    expect(duration(420)).toBe('0.42s');
    expect(duration(95_500)).toBe('1m35.5s');
    expect(duration(3_723_000)).toBe('1h02m03s');
    expect(offset(3_723_400)).toBe('T+1:02:03.4');
  });
});

describe('Report text', () => {
  const report: SimulationReport = {
    version: 1,
    clock: { mode: 'virtual', startedAt: '', endedAt: '', simulatedSeconds: 180.8, wallSeconds: 1.3 },
    vpcs: [
      {
        vpcId: 'vpc-1',
        accountId: '222222222222',
        region: 'us-east-1',
        cidrs: ['10.1.0.0/16'],
        requested: { connect: 'true' },
        status: 'connected',
        detail: 'connected to segment prod',
      },
      {
        vpcId: 'vpc-2',
        accountId: '444444444444',
        region: 'us-east-1',
        cidrs: ['10.3.0.0/16'],
        requested: { connect: 'true' },
        status: 'rejected',
        detail: 'cidr-overlap: overlaps vpc-3',
      },
      { vpcId: 'vpc-4', accountId: '333333333333', region: 'us-east-1', cidrs: ['10.30.0.0/16'], requested: {} },
    ],
    executions: [
      {
        name: 'vpc-1-onboard-a',
        stateMachine: 'spokelink-onboard',
        status: 'SUCCEEDED',
        startedAtSeconds: 0,
        durationSeconds: 120,
        stateTransitions: 60,
        lambdaInvocations: 50,
      },
    ],
    registry: [
      {
        vpcId: 'vpc-1',
        status: 'connected',
        segment: 'prod',
        attachmentId: 'tgw-attach-1',
        routes: 1,
        zones: ['ssm.us-east-1.amazonaws.com'],
        securityGroupRules: 1,
        endpointServicePrincipals: 1,
        executions: ['arn'],
      },
    ],
    stateTransitions: 60,
    lambdaInvocations: { total: 50, byFunction: {}, failed: 0 },
    awsCalls: {
      total: 3,
      failed: 1,
      throttled: 1,
      byOperation: [{ service: 'ec2', operation: 'CreateRoute', calls: 3, failed: 1, throttled: 1 }],
    },
    changes: { 'ec2.transitGatewayAttachments': { added: 1, changed: 0, removed: 0 } },
    events: { delivered: 2, dropped: 0, failed: 0, unmatched: 4, notForwarded: 0, denied: 0 },
    notifications: [],
    intakeQueue: {
      depth: 0,
      depthByAccount: {},
      peakDepth: 7,
      peakByAccount: { '222222222222': 6, '333333333333': 1 },
    },
  };

  it('shows each VPC status with its detail, untagged VPCs as untouched, and what was created', () => {
    const text = renderReport(report);
    expect(text).toMatch(/Simulated 3m00\.8s of AWS time in 1\.30s \(virtual clock/);
    expect(text).toMatch(/vpc-1 +222222222222 +10\.1\.0\.0\/16 +connect=true +connected +connected to segment prod/);
    expect(text).toMatch(/vpc-2 .* rejected +cidr-overlap: overlaps vpc-3/);
    expect(text).toMatch(/vpc-4 .* - +untouched/);
    expect(text).toMatch(/vpc-1 +connected +prod +tgw-attach-1 +1 +ssm\.us-east-1\.amazonaws\.com/);
    expect(text).toMatch(/ec2\.transitGatewayAttachments \+1/);
    expect(text).toMatch(/60 state transitions \(Step Functions Standard: \$0\.0015\)/);
    expect(text).toMatch(/AWS calls: 3 \(1 answered with an error, 1 of them throttled\)/);
    expect(text).toMatch(
      /Intake queue: 0 waiting now; at most 7 waited at once \(.*most in 222222222222 6, 333333333333 1\)/,
    );
  });

  it('says nothing of the intake queue when nothing ever waited', () => {
    const text = renderReport({ ...report, intakeQueue: { ...report.intakeQueue, peakDepth: 0, peakByAccount: {} } });
    expect(text).not.toMatch(/Intake queue/);
  });
});
