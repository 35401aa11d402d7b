import { containerCache, resetContainerCaches } from '#shared/container-cache';
import { startWorkflowHub, type WorkflowHub } from '../workflow/helpers';

const PAYMENTS = 'vpc-0a200000000000001';

/** The hub's Route 53 calls that read a zone's name (validate caches them per container). */
const zoneReads = (w: WorkflowHub) =>
  w.hub.twin.calls.filter((c) => c.service === 'route53' && c.operation === 'GetHostedZone').length;

describe('Local hub: every hub starts as a deployment, with cold Lambda containers', () => {
  it('forgets every container cache on reset', () => {
    const names = containerCache<string, string>();
    const ids = containerCache<number, number>();
    names.set('zone', 'name');
    ids.set(1, 2);
    resetContainerCaches();
    expect([names.size, ids.size]).toEqual([0, 0]);
  });

  it("reads the zones' names again in a second hub of the same process (no cache of the first hub's containers)", async () => {
    const reads: number[] = [];
    for (let i = 0; i < 2; i += 1) {
      const w = await startWorkflowHub();
      try {
        const [execution] = await w.onboard(PAYMENTS);
        expect(execution?.status).toBe('SUCCEEDED');
        reads.push(zoneReads(w));
      } finally {
        await w.hub.close();
      }
    }
    expect(reads[0]).toBeGreaterThan(0);
    expect(reads[1]).toBe(reads[0]);
  });
});
