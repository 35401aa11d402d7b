import { join } from 'node:path';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { hubClients, hubEc2, hubRoute53, spokeClients, spokeEc2, spokeRoute53, useClientPlugin } from '#shared/aws';
import { twinPlugin } from '#twin/plugin';
import type { Twin } from '#twin/twin';
import { createTwin, loadWorldFile } from '#twin/world';
import { exampleConfig } from '../../bench/worlds';

/**
 * The per-service client factories (functions/shared/aws.ts): a handler imports only the clients it uses, so its
 * bundle carries only those (bench/bundles.ts measures it); every factory caches its client for the container, and
 * concurrent first uses of a spoke account assume its role once.
 */
describe('Client factories', () => {
  const config = exampleConfig();
  let twin: Twin;
  const saved = { ...process.env };

  beforeEach(() => {
    twin = createTwin(loadWorldFile(join(__dirname, '../../worlds/example.world.json')));
    const functions = twin.credentialsFor(`arn:aws:iam::${config.hub.accountId}:role/${config.prefix}-functions`);
    process.env.AWS_ACCESS_KEY_ID = functions.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = functions.secretAccessKey;
    useClientPlugin(twinPlugin(twin));
  });
  afterEach(() => {
    useClientPlugin(undefined);
    process.env = { ...saved };
  });

  it('builds each hub client once per container, shared with hubClients()', () => {
    expect(hubEc2('us-east-1')).toBe(hubEc2('us-east-1'));
    expect(hubClients('us-east-1').ec2).toBe(hubEc2('us-east-1'));
    expect(hubClients('us-east-1').route53).toBe(hubRoute53('us-east-1'));
    expect(hubEc2('eu-west-1')).not.toBe(hubEc2('us-east-1'));
  });

  it('assumes a spoke role once for concurrent first uses, and shares the clients', async () => {
    const [ec2, route53, all] = await Promise.all([
      spokeEc2(config, '333333333333', 'us-east-1', { access: 'write', vpcId: 'vpc-0b300000000000001' }),
      spokeRoute53(config, '333333333333', 'us-east-1', { access: 'write', vpcId: 'vpc-0b300000000000001' }),
      spokeClients(config, '333333333333', 'us-east-1', { access: 'write', vpcId: 'vpc-0b300000000000001' }),
    ]);

    expect(twin.calls.filter((c) => c.operation === 'AssumeRole')).toHaveLength(1);
    expect(all.ec2).toBe(ec2);
    expect(all.route53).toBe(route53);
  });

  it('acts as the spoke account through the spoke clients', async () => {
    const ec2 = await spokeEc2(config, '333333333333', 'us-east-1', {
      access: 'write',
      vpcId: 'vpc-0b300000000000001',
    });
    const { Vpcs = [] } = await ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0b300000000000001'] }));

    expect(Vpcs.map((v) => v.OwnerId)).toEqual(['333333333333']);
    expect(twin.calls.at(-1)).toMatchObject({ operation: 'DescribeVpcs', accountId: '333333333333' });
  });
});
