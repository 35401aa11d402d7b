import { join } from 'node:path';
import { createLocalHub, type LocalHub } from '#local/hub';
import { loadConfigFile } from '#shared/config';
import { loadWorldFile } from '#twin/world';
import { fixtureState } from './fixtures/functions/state';
import { FIXTURES } from './helpers';

const VPC = 'vpc-0c300000000000001';

async function fixtureHub(options: Partial<Parameters<typeof createLocalHub>[0]> = {}): Promise<LocalHub> {
  fixtureState.reset();
  const config = loadConfigFile(join(__dirname, '../../config/example.hub.json'));
  return createLocalHub({
    // The fixture world has no TGW and no RAM sharing with AWS Organizations: no organization share to deploy.
    config: { ...config, organization: { ...config.organization, shareTransitGateway: false } },
    world: loadWorldFile(join(FIXTURES, 'world.json')),
    stateMachinesDir: join(FIXTURES, 'hub-statemachines'),
    functionsDir: join(FIXTURES, 'functions'),
    startTime: Date.UTC(2026, 2, 1, 9, 0, 0),
    ...options,
  });
}

describe('Local hub', () => {
  let hub: LocalHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it('runs a tag written by the app team through EventBridge and the real intake to an execution', async () => {
    hub = await fixtureHub();
    await hub.tagVpc(VPC, { 'spokelink:connect': 'true' });
    const run = await hub.runUntilIdle();

    const executions = hub.executions();
    expect(run.reason).toBe('predicate');
    expect(executions).toHaveLength(1);
    expect(executions[0]).toMatchObject({ status: 'SUCCEEDED', stateMachineName: 'spokelink-onboard' });
    expect(executions[0]!.name).toContain(VPC);
    expect(fixtureState.calls.map((c) => c.fn)).toEqual(['validate', 'record']);
  });

  it("writes the registry to dynalite through the handlers' own client and tags the VPC through the spoke role", async () => {
    hub = await fixtureHub();
    await hub.tagVpc(VPC, { 'spokelink:connect': 'true' });
    await hub.runUntilIdle();

    const report = await hub.report();
    expect(hub.intakeQueue.errors).toEqual([]);
    expect(await hub.registry()).toEqual([
      { pk: `VPC#${VPC}`, sk: 'CURRENT', vpcId: VPC, accountId: '333333333333', status: 'connected' },
      // The hub's slots (intake.maxConcurrentExecutions): the execution's slot given back when it ended.
      { pk: 'INTAKE#HUB', sk: 'SLOTS', kind: 'intake-slots', running: 0, holders: {} },
    ]);
    expect(report.vpcs).toEqual([
      expect.objectContaining({ vpcId: VPC, requested: { connect: 'true' }, status: 'connected' }),
    ]);
    // The status tag came back as a tag event and started nothing (the CloudTrail CreateTags events match no rule).
    const tagEvents = hub.events.records.filter((r) => r.detailType === 'Tag Change on Resource');
    // (In either order: the intake's delivery is recorded when it returns, after its queue writes.)
    expect(tagEvents.map((r) => r.outcome).sort()).toEqual(['delivered', 'unmatched']);
    expect(hub.events.records.filter((r) => r.outcome === 'delivered')).toHaveLength(1);
    expect(report.awsCalls.byOperation).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ service: 'sts', operation: 'AssumeRole', calls: 1 }),
        expect.objectContaining({ service: 'ec2', operation: 'CreateTags', calls: 2 }),
        expect.objectContaining({ service: 'sfn', operation: 'StartExecution', calls: 1 }),
      ]),
    );
    expect(report.changes['ec2.vpcs']).toEqual({ added: 0, changed: 1, removed: 0 });
  });

  it('starts one execution when EventBridge delivers the same event twice', async () => {
    hub = await fixtureHub({ events: { duplicate: () => true } });
    await hub.tagVpc(VPC, { 'spokelink:connect': 'true' });
    await hub.runUntilIdle();

    expect(hub.executions()).toHaveLength(1);
    expect(hub.lambdas.counts().intake).toBe(2);
  });

  it('announces the request tags a world VPC already carries, and ignores VPCs without them', async () => {
    hub = await fixtureHub();
    expect(hub.announceTags(VPC)).toBe(false);
    await hub.tagVpc(VPC, { Name: 'app' });
    await hub.runUntilIdle();
    expect(hub.executions()).toHaveLength(0);

    hub.twin.stateOf<{ vpcs: Record<string, { tags: Record<string, string> }> }>('ec2').vpcs[VPC]!.tags[
      'spokelink:connect'
    ] = 'true';
    expect(hub.announceTags(VPC)).toBe(true);
    await hub.runUntilIdle();
    expect(hub.executions().map((e) => e.status)).toEqual(['SUCCEEDED']);
  });

  it('restores the environment, timers and SDK plugin when closed, and refuses two hubs at once', async () => {
    const before = {
      region: process.env.AWS_REGION,
      key: process.env.AWS_ACCESS_KEY_ID,
      dynamo: process.env.AWS_ENDPOINT_URL_DYNAMODB,
    };
    hub = await fixtureHub();
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(hub.dynamo.endpoint);
    expect(Date.now()).toBe(Date.UTC(2026, 2, 1, 9, 0, 0));
    await expect(fixtureHub()).rejects.toThrow(/already running/);

    await hub.close();
    hub = undefined;

    expect({
      region: process.env.AWS_REGION,
      key: process.env.AWS_ACCESS_KEY_ID,
      dynamo: process.env.AWS_ENDPOINT_URL_DYNAMODB,
    }).toEqual(before);
    expect(Date.now()).toBeGreaterThan(Date.UTC(2026, 2, 2));
  });
});
