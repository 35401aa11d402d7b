import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createLocalHub, type LocalHub } from '#local/hub';
import type { LambdaHandler } from '#local/lambda';
import { hubDynamo } from '#shared/aws';
import { configFromEnv, loadConfigFile } from '#shared/config';
import { loadWorldFile, TwinWorldError, type World } from '#twin/world';
import { main } from '../../cli/main';
import { capture } from '../cost/capture';

/**
 * The local runner of a configuration with several regions (local/hub.ts): one regional hub per served region in one
 * process, each region's functions seeing their own environment, configuration and registry while they interleave;
 * a region the world cannot hold a hub for refused before anything runs.
 */

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, 'config', 'example-two-regions.hub.json');
const WORLD = join(ROOT, 'worlds', 'two-regions.world.json');
const config = loadConfigFile(CONFIG);

/** What a function sees of its deployment, before and after yielding to the other region's invocation. */
interface Seen {
  region?: string;
  defaultRegion?: string;
  configRegion: string;
  transitGatewayId: string;
  accessKeyId?: string;
  dynamoEndpoint?: string;
  onboardArn?: string;
}

const seen = (): Seen => {
  const view = configFromEnv();
  return {
    region: process.env.AWS_REGION,
    defaultRegion: process.env.AWS_DEFAULT_REGION,
    configRegion: view.hub.region,
    transitGatewayId: view.hub.transitGatewayId,
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    dynamoEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
    onboardArn: process.env.ONBOARD_STATE_MACHINE_ARN,
  };
};

/**
 * A function of the test: reads its environment, waits a simulated second (the other region's invocation runs
 * meanwhile), writes a registry item through the handlers' own cached client, and reads its environment again.
 */
const probe: LambdaHandler = async () => {
  const before = seen();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const region = configFromEnv().hub.region;
  await hubDynamo(region).send(
    new PutCommand({ TableName: process.env.REGISTRY_TABLE_NAME, Item: { pk: `PROBE#${region}`, sk: 'SEEN' } }),
  );
  return { before, after: seen() };
};

const loadHandler = (name: string): LambdaHandler =>
  name === 'probe'
    ? probe
    : (require(join(ROOT, 'functions', name, 'handler.ts')) as { handler: LambdaHandler }).handler;

describe('Local hub of several regions', () => {
  let hub: LocalHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it('runs each region with its own environment, configuration and registry while their functions interleave', async () => {
    const savedRegion = process.env.AWS_REGION;
    hub = await createLocalHub({ config, world: loadWorldFile(WORLD), lambdaOptions: { loadHandler } });
    expect(hub.regions.map((r) => r.region)).toEqual(['us-east-1', 'eu-west-1']);
    const us = hub.region('us-east-1');
    const eu = hub.region('eu-west-1');

    let done = 0;
    const invoke = (r: typeof us) =>
      r.lambdas.invoke('probe', {}).finally(() => {
        done += 1;
      }) as Promise<unknown> as Promise<{ before: Seen; after: Seen }>;
    const results = Promise.all([invoke(eu), invoke(us), invoke(eu)]);
    await hub.runUntil(() => done === 3);
    const [eu1, us1, eu2] = await results;

    for (const result of [eu1!, eu2!]) {
      for (const view of [result.before, result.after]) {
        expect(view).toMatchObject({
          region: 'eu-west-1',
          defaultRegion: 'eu-west-1',
          configRegion: 'eu-west-1',
          transitGatewayId: config.regions['eu-west-1']!.transitGatewayId,
          dynamoEndpoint: eu.dynamo.endpoint,
          onboardArn: eu.sfn.arnOf('spokelink-onboard'),
        });
      }
    }
    for (const view of [us1!.before, us1!.after]) {
      expect(view).toMatchObject({
        region: 'us-east-1',
        configRegion: 'us-east-1',
        transitGatewayId: config.hub.transitGatewayId,
        dynamoEndpoint: us.dynamo.endpoint,
        onboardArn: us.sfn.arnOf('spokelink-onboard'),
      });
    }
    // Each region's functions call AWS with their own credentials (their own roles' policies apply).
    expect(eu1!.before.accessKeyId).not.toBe(us1!.before.accessKeyId);
    // Each region wrote to its own registry table only.
    const keys = async (r: typeof us) =>
      (await r.registry()).map((i) => i.pk).filter((pk) => String(pk).startsWith('PROBE'));
    expect(await keys(us)).toEqual(['PROBE#us-east-1']);
    expect(await keys(eu)).toEqual(['PROBE#eu-west-1']);
    // Outside any invocation the process keeps the first region's environment, and gets its own back at close.
    expect(process.env.AWS_REGION).toBe('us-east-1');
    await hub.close();
    hub = undefined;
    expect(process.env.AWS_REGION).toBe(savedRegion);
  });

  it('sends each region its own events: a tag in eu-west-1 reaches only the eu-west-1 intake', async () => {
    hub = await createLocalHub({ config, world: loadWorldFile(WORLD) });
    await hub.tagVpc('vpc-0b3000000000000e1', { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await hub.runUntilIdle();

    const eu = hub.region('eu-west-1');
    const us = hub.region('us-east-1');
    expect(eu.lambdas.counts().intake).toBe(1);
    expect(us.lambdas.counts().intake).toBeUndefined();
    expect(eu.sfn.executions().map((e) => [e.stateMachineName, e.status])).toEqual([
      ['spokelink-onboard', 'SUCCEEDED'],
    ]);
    expect(us.sfn.executions()).toEqual([]);
    expect((await eu.registry()).some((i) => i.pk === 'VPC#vpc-0b3000000000000e1')).toBe(true);
    expect((await us.registry()).some((i) => i.pk === 'VPC#vpc-0b3000000000000e1')).toBe(false);
  });

  it('refuses a configuration naming a region whose hub the world lacks, before anything starts', async () => {
    const world = loadWorldFile(WORLD);
    const withoutEu: World = {
      ...world,
      ec2: { ...world.ec2, transitGateways: world.ec2.transitGateways.filter((t) => t.region !== 'eu-west-1') },
    };
    await expect(createLocalHub({ config, world: withoutEu })).rejects.toThrow(TwinWorldError);
    await expect(createLocalHub({ config, world: withoutEu })).rejects.toThrow(
      /eu-west-1: regions\.eu-west-1\.transitGatewayId tgw-0e1b2c3d4e5f60719 is not a TGW of 111111111111 in eu-west-1/,
    );
    // Nothing was left running: a hub starts right after.
    hub = await createLocalHub({ config, world });
    expect(hub.regions).toHaveLength(2);
  });

  it('`spokelink simulate` refuses it too, exit code 2, naming the region', async () => {
    const c = capture();
    const raw = JSON.parse(readFileSync(CONFIG, 'utf8')) as { regions: Record<string, { vpcId: string }> };
    raw.regions['eu-west-1']!.vpcId = 'vpc-0f000000000000e99';
    const file = join(mkdtempSync(join(tmpdir(), 'spokelink-regions-')), 'hub.json');
    writeFileSync(file, JSON.stringify(raw));
    const code = await main(['simulate', '--config', file, '--world', WORLD, '--save', 'none', '--json'], c.io);
    expect(code).toBe(2);
    expect(c.stdout()).toBe('');
    expect(c.stderr()).toContain(
      'eu-west-1: regions.eu-west-1.vpcId vpc-0f000000000000e99 is not a VPC of 111111111111 in eu-west-1',
    );
  });

  it('refuses a scenario step naming a region the configuration does not serve, before anything runs', async () => {
    const c = capture();
    const file = join(mkdtempSync(join(tmpdir(), 'spokelink-regions-')), 'scenario.json');
    writeFileSync(
      file,
      JSON.stringify({ steps: [{ do: 'reconcile' }, { do: 'region-down', region: 'ap-southeast-1' }] }),
    );
    const code = await main(['simulate', '--config', CONFIG, '--world', WORLD, '--scenario', file, '--json'], c.io);
    expect(code).toBe(2);
    expect(c.stdout()).toBe('');
    expect(c.stderr()).toContain(
      'step 2 (region-down ap-southeast-1): ap-southeast-1 is not a region this hub serves (us-east-1, eu-west-1)',
    );
  });
});
