import type { LocalHub } from '#local/hub';
import { ANALYTICS, connectVpc, LEDGER, lifecycleHub, runReconcile } from './helpers';

/**
 * The reconcile publishes the hub's headroom (the capacity dashboard's `Headroom*` metrics) from the registry it scans
 * anyway: members' attachments (plus the hub VPC's own), routes, endpoint rules and zone associations against the
 * quotas. Here on the real reconcile workflow, after two VPCs connected.
 */
describe('Reconcile: headroom figures', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('reports the headroom of each quota from the registry, on its tightest resource', async () => {
    hub = await lifecycleHub();
    await connectVpc(hub, ANALYTICS);
    await connectVpc(hub, LEDGER);
    const output = (await runReconcile(hub)) as unknown as {
      headroom: { metric: string; on: string; used: number; limit: number; percent: number }[];
    };
    const byMetric = Object.fromEntries(output.headroom.map((f) => [f.metric, f]));
    expect(Object.keys(byMetric)).toEqual([
      'HeadroomTgwAttachments',
      'HeadroomTgwRoutes',
      'HeadroomEndpointRules',
      'HeadroomZoneAssociations',
    ]);
    // Two members and the hub VPC's own attachment (capacity.otherAttachments).
    expect(byMetric.HeadroomTgwAttachments).toMatchObject({ used: 3, limit: 5_000, percent: 99 });
    // Each member's blocks are admitted on the endpoints it uses: at most one rule per block on any group here.
    expect(byMetric.HeadroomEndpointRules!.limit).toBe(60);
    expect(byMetric.HeadroomEndpointRules!.used).toBeGreaterThanOrEqual(1);
    expect(byMetric.HeadroomZoneAssociations).toMatchObject({ limit: 300 });
  });
});
