import { changesOfStep, functionOf } from '../../cli/audit/resources';

/**
 * `spokelink audit` reads what a step did from its typed result (its contract's output schema), not from key names:
 * a zone association that was already there (`alreadyAssociated`) used to match the `...Associated` key pattern and be
 * reported as created.
 */
describe('Audit: each step read with its contract', () => {
  const zone = (name: string, zoneId: string) => ({
    endpoint: name,
    zoneId,
    zoneName: `${name}.us-east-1.amazonaws.com`,
  });
  const plan = { accountId: '333333333333', principal: 'arn:aws:iam::333333333333:root' };

  it('reports an existing zone association as already present, never as created', () => {
    const { changes } = changesOfStep(
      'zones',
      {
        associated: [zone('ssm', 'Z0SSM00000000000000001')],
        alreadyAssociated: [zone('sts', 'Z0STS00000000000000001')],
        changeIds: ['/change/C1'],
      },
      { input: { plan } },
    );
    expect(changes).toEqual([
      {
        change: 'created',
        kind: 'phz-association',
        id: 'Z0SSM00000000000000001',
        detail: 'ssm.us-east-1.amazonaws.com',
      },
      {
        change: 'unchanged',
        kind: 'phz-association',
        id: 'Z0STS00000000000000001',
        detail: 'sts.us-east-1.amazonaws.com',
      },
    ]);
  });

  it('reports existing routes as already present and removals as removed, by action', () => {
    const route = { routeTableId: 'rtb-1', destinationCidr: '10.0.0.0/16' };
    const created = changesOfStep('routes', { created: [], existing: [route] }, { input: { plan } });
    expect(created.changes.map((c) => c.change)).toEqual(['unchanged']);
    const removed = changesOfStep(
      'routes',
      { removed: [route], vanished: [], notOurs: [], retained: [] },
      { input: { action: 'remove', vpc: {} } },
    );
    expect(removed.changes).toEqual([
      { change: 'removed', kind: 'route', id: 'rtb-1 10.0.0.0/16', detail: 'to the TGW' },
    ]);
  });

  it('reads a reused attachment as reused, and a Profile association found in place as unchanged', () => {
    const attachment = { attachmentId: 'tgw-attach-1', state: 'available', reused: true, subnetIds: [] };
    const tgw = changesOfStep('transit-gateway', attachment, { input: { action: 'create' } });
    expect(tgw.changes).toMatchObject([{ change: 'reused', kind: 'tgw-attachment', id: 'tgw-attach-1' }]);
    const profile = changesOfStep(
      'zones',
      {
        associated: [],
        alreadyAssociated: [],
        changeIds: [],
        profileAssociationId: 'rpassoc-1',
        profileAssociated: false,
      },
      { input: { plan } },
    );
    expect(profile.changes).toEqual([{ change: 'unchanged', kind: 'profile-association', id: 'rpassoc-1' }]);
  });

  it('reads nothing from a field in another shape, and says so', () => {
    const read = changesOfStep('zones', { associated: 'Z0SSM', alreadyAssociated: [] }, { input: { plan } });
    expect(read.changes).toEqual([]);
    expect(read.unreadable).toMatch(/zones associate: .*associated/);
  });

  it("finds the function of a Task's Lambda by its name", () => {
    expect(functionOf('spokelink-transit-gateway')).toBe('transit-gateway');
    expect(functionOf('acme-spokelink-zones')).toBe('zones');
    expect(functionOf('spokelink-intake')).toBeUndefined();
    // The names of earlier releases (docs/deploy.md): their executions' histories are still read.
    expect(functionOf('spokelink-offboard')).toBe('rollback');
    expect(functionOf('spokelink-registry')).toBe('records');
  });
});
