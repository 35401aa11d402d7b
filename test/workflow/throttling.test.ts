import type { BucketSpec } from '#twin/throttle';
import {
  ACCOUNTS,
  type ConnectedOnce,
  expectConnectedOnce,
  HUB_ACCOUNT,
  PARTNER,
  startWorkflowHub,
  THROTTLING_ERRORS,
  type WorkflowHub,
} from './helpers';

/**
 * A throttling storm: the API buckets the workflow draws from cut far below AWS's published rates, and the example
 * organization's VPCs (four accounts) tagged at the same moment. The SDK's own retries give up quickly; the ASL's transient retriers
 * (backoff with full jitter) must carry every onboarding through.
 */

/** Buckets a few times smaller than AWS's (twin/throttle.ts DEFAULT_BUCKETS), so many calls are throttled. */
const STORM: Record<string, BucketSpec> = {
  'ec2:describe': { burst: 4, refillPerSecond: 2 },
  'ec2:mutating': { burst: 2, refillPerSecond: 1 },
  'ec2:AuthorizeSecurityGroupIngress': { burst: 1, refillPerSecond: 0.5 },
  'ec2:CreateTags': { burst: 2, refillPerSecond: 1 },
  'route53:account': { burst: 3, refillPerSecond: 1 },
  'route53:AssociateVPCWithHostedZone': { burst: 1, refillPerSecond: 0.5 },
};

/** The example organization's four VPCs that may connect: three accounts in the organization, one outside. */
const SPOKES: ConnectedOnce[] = [
  {
    vpcId: 'vpc-0a200000000000001',
    accountId: ACCOUNTS.payments,
    services: ['secretsmanager', 'ssm'],
    cidrs: ['10.1.0.0/16'],
    routeTableIds: ['rtb-0a200000000000101'],
    // prod: asks for the prod-only endpoint service by name.
    endpointServices: ['payments-api'],
  },
  {
    vpcId: 'vpc-0a200000000000002',
    accountId: ACCOUNTS.payments,
    services: ['secretsmanager', 'ssm', 'sts'],
    cidrs: ['10.2.0.0/16'],
    routeTableIds: ['rtb-0a200000000000201'],
    // prod, `*`: the prod-only endpoint service too.
    endpointServices: ['payments-api'],
  },
  {
    vpcId: 'vpc-0b300000000000001',
    accountId: ACCOUNTS.analytics,
    services: ['ssm', 'sts'],
    cidrs: ['10.3.0.0/16'],
    routeTableIds: ['rtb-0b300000000000101'],
  },
  {
    vpcId: 'vpc-0d500000000000001',
    accountId: PARTNER,
    services: ['ssm'],
    cidrs: ['10.5.0.0/16'],
    routeTableIds: ['rtb-0d500000000000101'],
  },
];

describe('Throttling storm: every VPC still connects', () => {
  let w: WorkflowHub;
  beforeAll(async () => {
    w = await startWorkflowHub({ twinOptions: { buckets: STORM } });
    await w.onboardAll(SPOKES.map((s) => s.vpcId));
  });
  afterAll(() => w?.close());

  it('throttles many calls, in the hub account and in the spoke accounts', () => {
    const throttled = w.twin.calls.filter((c) => c.error && THROTTLING_ERRORS.includes(c.error));
    expect(throttled.length).toBeGreaterThan(20);
    const accounts = new Set(throttled.map((c) => c.accountId));
    expect(accounts).toContain(HUB_ACCOUNT);
    expect([...accounts].some((a) => a !== HUB_ACCOUNT)).toBe(true);
  });

  it('carries the throttled steps through with the ASL retriers (not only the SDK retries)', () => {
    const retried = w.hub.lambdas.invocations.filter((i) => i.error && THROTTLING_ERRORS.includes(i.error));
    expect(retried.length).toBeGreaterThan(0);
  });

  it('connects every VPC with one of everything', async () => {
    for (const spoke of SPOKES) {
      // A failed execution shows its error and cause, so a flake names the step whose retries ran out.
      expect({
        vpcId: spoke.vpcId,
        executions: w.executionsOf(spoke.vpcId).map((e) => ({ status: e.status, error: e.error, cause: e.cause })),
      }).toEqual({
        vpcId: spoke.vpcId,
        executions: [{ status: 'SUCCEEDED', error: undefined, cause: undefined }],
      });
      await expectConnectedOnce(w, spoke);
    }
  });
});
