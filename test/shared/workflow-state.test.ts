import * as z from 'zod';
import { HeldLeaseSchema, targetOf, untilSet } from '#shared/workflow-state';
import { loadEvent } from '../functions/helpers';

/** The lease the steps read by name (`$.lease`) fences the registry writes of every step: it is never silently dropped. */
describe('Workflow state: the lease', () => {
  const lease = { vpcId: 'vpc-0a200000000000001', owner: 'arn:aws:states:us-east-1:1:execution:m:e', token: 3 };

  it('keeps the lease AcquireLease wrote', () => {
    expect(HeldLeaseSchema.parse({ ...lease, expiresAt: 1 })).toEqual(lease);
  });

  it('reads the null WrapTriggerEvent declares as no lease', () => {
    expect(HeldLeaseSchema.parse(null)).toBeUndefined();
    expect(HeldLeaseSchema.parse(undefined)).toBeUndefined();
  });

  it('refuses a lease in another shape instead of treating the step as unfenced', () => {
    const parsed = z
      .object({ lease: HeldLeaseSchema })
      .safeParse({ lease: { vpcId: lease.vpcId, owner: lease.owner } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['lease.token']);
  });

  it('refuses a declared field in another shape: empty is null, never anything else', () => {
    expect(untilSet(z.array(z.unknown())).safeParse({}).success).toBe(false);
  });
});

describe('Workflow state: the VPC', () => {
  it("is the trigger event's VPC, or none for an event that names none", () => {
    expect(targetOf(loadEvent('tag-change-connect'))).toEqual({
      vpcId: expect.stringMatching(/^vpc-/),
      accountId: expect.stringMatching(/^\d{12}$/),
      region: expect.any(String),
    });
    expect(targetOf({ detail: {} })).toBeUndefined();
  });
});
