import 'aws-sdk-client-mock-jest';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { resetClients, SPOKE_SESSIONS, spokeEc2 } from '#shared/aws';
import { BoundedContainerCache } from '#shared/container-cache';
import { useExampleConfig } from '../functions/helpers';
import { mockClientForFile } from '../mock-client';

const sts = mockClientForFile(STSClient);

describe('Container caches of bounded size (BoundedContainerCache)', () => {
  it('forgets the least recently used past its size, and what was not used for longer than its idle time', () => {
    const cache = new BoundedContainerCache<string, number>(2, 1_000);
    cache.set('a', 1, 0);
    cache.set('b', 2, 0);
    expect(cache.get('a', 10)).toBe(1); // a used last: b goes first
    cache.set('c', 3, 20);
    expect([cache.get('a', 30), cache.get('b', 30), cache.get('c', 30), cache.size]).toEqual([1, undefined, 3, 2]);
    // c was used at 30, a at 30: idle past 1,000 ms, both are gone.
    expect(cache.get('a', 1_031)).toBeUndefined();
    cache.set('d', 4, 1_031);
    expect([cache.get('c', 1_031), cache.size]).toEqual([undefined, 1]);
    expect(() => new BoundedContainerCache(0, 1)).toThrow(RangeError);
  });
});

describe('Spoke sessions: one AssumeRole per session, kept while used, assumed again once idle', () => {
  const expiration = () => new Date(Date.now() + 3_600_000);
  beforeEach(() => {
    resetClients();
    sts.reset();
    sts.on(AssumeRoleCommand).callsFake(() => ({
      Credentials: { AccessKeyId: 'AKIA', SecretAccessKey: 's', SessionToken: 't', Expiration: expiration() },
    }));
    jest.useFakeTimers({ now: Date.parse('2026-12-07T10:00:00Z'), doNotFake: ['nextTick', 'setImmediate'] });
  });
  afterEach(() => jest.useRealTimers());

  it('reuses a session used within the idle time, and assumes it again after', async () => {
    const config = useExampleConfig();
    const scope = { access: 'write', vpcId: 'vpc-0a200000000000001' } as const;
    const first = await spokeEc2(config, '222222222222', 'us-east-1', scope);
    jest.advanceTimersByTime(SPOKE_SESSIONS.idleMs);
    expect(await spokeEc2(config, '222222222222', 'us-east-1', scope)).toBe(first);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    jest.advanceTimersByTime(SPOKE_SESSIONS.idleMs + 1);
    expect(await spokeEc2(config, '222222222222', 'us-east-1', scope)).not.toBe(first);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });
});
