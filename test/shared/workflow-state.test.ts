import { fenceOf, WorkflowStateSchema } from '#shared/workflow-state';

/** The lease in the execution state fences the registry writes of every step: it is never silently dropped. */
describe('Workflow state: the lease', () => {
  const lease = { vpcId: 'vpc-0a200000000000001', owner: 'arn:aws:states:us-east-1:1:execution:m:e', token: 3 };

  it('keeps the lease AcquireLease wrote', () => {
    const state = WorkflowStateSchema.parse({ event: {}, lease: { ...lease, expiresAt: 1 } });
    expect(state.lease).toEqual(lease);
    expect(fenceOf(state)).toEqual(lease);
  });

  it('refuses a lease in another shape instead of treating the step as unfenced', () => {
    const parsed = WorkflowStateSchema.safeParse({ event: {}, lease: { vpcId: lease.vpcId, owner: lease.owner } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['lease.token']);
  });
});
