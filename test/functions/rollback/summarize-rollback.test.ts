import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { RollbackResultError } from '#shared/errors';
import { keepPlan, summarizeRollback } from '../../../functions/rollback/rollback';
import { mockClientForFile } from '../../mock-client';
import { examplePlan } from '../plan-fixture';

/**
 * SummarizeRollback reads what each removal branch returned. A field it cannot read (a removal step that changed its
 * shape) must fail the summary by name: counted as "nothing rolled back" it would hide what remains.
 */

const dynamo = mockClientForFile(DynamoDBDocumentClient);
const registry = { dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: 'spokelink-registry' };
const state = (rollback: unknown[]) => ({
  plan: examplePlan(),
  rollbackPlan: { mode: 'membership' as const, reason: 'CreateAttachment failed' },
  rollback,
});

describe('Function: offboard (SummarizeRollback)', () => {
  beforeEach(() => {
    dynamo.reset();
    dynamo.on(GetCommand).resolves({});
  });

  it('counts what the branches removed', async () => {
    const route = { routeTableId: 'rtb-1', destinationCidr: '10.0.0.0/16' };
    const outcome = await summarizeRollback(
      state([
        { undone: { routes: { removed: [route], vanished: [], notOurs: [], retained: [] } } },
        { undone: { attachment: { deleted: ['a'], routesRemoved: [], alreadyGone: [] } } },
      ]),
      { registry },
    );
    expect(outcome.rolledBack).toMatchObject({ routes: 1, attachment: 1 });
  });

  it('counts the Profile associations the zones branch removed (DNS mode profile) and names them', async () => {
    const association = { profileId: 'rp-0123456789abcdef0', associationId: 'rpassoc-0123456789abcdef0' };
    const outcome = await summarizeRollback(
      state([
        {
          undone: {
            // The zones function's removal result, whole (its contract: DnsRemovalResultSchema).
            zones: {
              disassociated: [],
              vanished: [],
              retained: [],
              authorizationsDeleted: [],
              profilesDisassociated: [association],
              profilesVanished: [],
              spokeEndpoints: { deleted: [], vanished: [], groupsPending: [] },
            },
          },
        },
      ]),
      { registry },
    );
    expect(outcome.rolledBack).toMatchObject({ zones: 0, profiles: 1 });
    expect(outcome.summary).toBe('rolled back: 1 Profile assoc');
  });

  it('keeps a Profile association only if it existed before the failed change: one the change made is pruned', () => {
    const profile = { profileId: 'rp-0123456789abcdef0', associationName: 'spokelink-vpc-1' };
    const plan = { ...examplePlan(), profile };
    const before = { routes: [], zones: [], securityGroupRules: [], endpointServicePrincipals: [] };
    const association = { profileId: profile.profileId, associationId: 'rpassoc-0123456789abcdef0' };
    expect(keepPlan(plan, { ...before, profileAssociations: [] }).profile).toBeUndefined();
    expect(keepPlan(plan, { ...before, profileAssociations: [association] }).profile).toEqual(profile);
  });

  it('fails by name when a branch result has a field in another shape, instead of counting nothing', async () => {
    // A list returned as a string, a list returned as a count: neither can be counted.
    const renamed = [{ undone: { routes: { removed: 'rtb-1' } } }];
    await expect(summarizeRollback(state(renamed), { registry })).rejects.toThrow(RollbackResultError);
    await expect(summarizeRollback(state(renamed), { registry })).rejects.toThrow(/undone\.routes\.removed/);
    const counted = [{ undone: { access: { rulesRevoked: 3 } } }];
    await expect(summarizeRollback(state(counted), { registry })).rejects.toThrow(/undone\.access\.rulesRevoked/);
  });

  it("fails by name when a list of the removal step's contract is gone, instead of reading it as nothing removed", async () => {
    // The removal results are read with the removal steps' own output schemas (RemovalReportSchema): a renamed list
    // (`removed` -> `deleted`) is a missing field, not zero routes rolled back.
    const renamed = [{ undone: { routes: { deleted: [{ routeTableId: 'rtb-1', destinationCidr: '10.0.0.0/16' }] } } }];
    await expect(summarizeRollback(state(renamed), { registry })).rejects.toThrow(RollbackResultError);
    await expect(summarizeRollback(state(renamed), { registry })).rejects.toThrow(/undone\.routes\.removed/);
  });
});
