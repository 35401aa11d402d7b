import { SimClock } from '#local/clock';
import { type BusEvent, LocalEventBridge, matchesPattern } from '#local/eventbridge';
import { Twin } from '#twin/twin';
import { TAG_CHANGE_PATTERN, VPC_LIFECYCLE_PATTERN } from '../../infra/event-patterns';

const HUB = '111111111111';
const SPOKE = '222222222222';

function tagEvent(changedKeys: string[], account = SPOKE, tags: Record<string, string> = {}) {
  return {
    version: '0',
    id: `ev-${changedKeys.join('-')}-${account}`,
    'detail-type': 'Tag Change on Resource',
    source: 'aws.tag',
    account,
    time: '2026-03-01T09:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:ec2:us-east-1:${account}:vpc/vpc-0a1`],
    detail: { 'changed-tag-keys': changedKeys, service: 'ec2', 'resource-type': 'vpc', version: 1, tags },
  };
}

describe('EventBridge pattern matching', () => {
  it.each([
    ['an exact value', { source: ['aws.tag'] }, { source: 'aws.tag' }, true],
    ['another exact value', { source: ['aws.tag'] }, { source: 'aws.ec2' }, false],
    ['any element of the pattern list (OR)', { source: ['aws.ec2', 'aws.tag'] }, { source: 'aws.tag' }, true],
    ['a prefix', { region: [{ prefix: 'us-' }] }, { region: 'us-east-1' }, true],
    ['a prefix that differs', { region: [{ prefix: 'eu-' }] }, { region: 'us-east-1' }, false],
    ['anything-but a value', { state: [{ 'anything-but': 'deleted' }] }, { state: 'available' }, true],
    ['anything-but the same value', { state: [{ 'anything-but': 'deleted' }] }, { state: 'deleted' }, false],
    ['anything-but a list', { state: [{ 'anything-but': ['a', 'b'] }] }, { state: 'b' }, false],
    ['anything-but a prefix', { state: [{ 'anything-but': { prefix: 'del' } }] }, { state: 'deleting' }, false],
    [
      'exists: true on a present field',
      { detail: { errorCode: [{ exists: true }] } },
      { detail: { errorCode: 'X' } },
      true,
    ],
    ['exists: false on an absent field', { detail: { errorCode: [{ exists: false }] } }, { detail: {} }, true],
    [
      'exists: false on a present field',
      { detail: { errorCode: [{ exists: false }] } },
      { detail: { errorCode: 'X' } },
      false,
    ],
    ['a field absent from the event', { detail: { service: ['ec2'] } }, { detail: {} }, false],
    ['a nested object absent from the event', { detail: { service: ['ec2'] } }, {}, false],
    ['an event list sharing one element', { keys: ['a', 'b'] }, { keys: ['z', 'b'] }, true],
    ['an event list sharing none', { keys: ['a', 'b'] }, { keys: ['y', 'z'] }, false],
    ['an empty event list', { keys: ['a'] }, { keys: [] }, false],
    ['numeric ranges', { n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 5 }, true],
    ['numeric outside the range', { n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 6 }, false],
    ['a number is not its string', { n: [5] }, { n: '5' }, false],
  ])('matches %s: %j vs %j -> %s', (_case, pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('starts work for a request tag change on a VPC', () => {
    expect(matchesPattern(TAG_CHANGE_PATTERN, tagEvent(['spokelink:connect']))).toBe(true);
    expect(matchesPattern(TAG_CHANGE_PATTERN, tagEvent(['Name', 'spokelink:segment']))).toBe(true);
  });

  it('does not match a status-only tag change (spokelink writing its own status)', () => {
    const event = tagEvent(['spokelink:status', 'spokelink:detail', 'spokelink:execution']);
    expect(matchesPattern(TAG_CHANGE_PATTERN, event)).toBe(false);
  });

  it('does not match a request tag change on a subnet', () => {
    const event = {
      ...tagEvent(['spokelink:connect']),
      detail: { ...tagEvent(['spokelink:connect']).detail, 'resource-type': 'subnet' },
    };
    expect(matchesPattern(TAG_CHANGE_PATTERN, event)).toBe(false);
  });

  it('matches successful DeleteVpc calls from CloudTrail, not failed ones', () => {
    const call = (errorCode?: string) => ({
      source: 'aws.ec2',
      'detail-type': 'AWS API Call via CloudTrail',
      detail: { eventSource: 'ec2.amazonaws.com', eventName: 'DeleteVpc', ...(errorCode ? { errorCode } : {}) },
    });
    expect(matchesPattern(VPC_LIFECYCLE_PATTERN, call())).toBe(true);
    expect(matchesPattern(VPC_LIFECYCLE_PATTERN, call('Client.DependencyViolation'))).toBe(false);
  });
});

describe('Local EventBridge routing', () => {
  let clock: SimClock;
  afterEach(() => clock?.uninstall());

  function setup(options: { knobs?: ConstructorParameters<typeof LocalEventBridge>[0]['knobs']; fail?: number } = {}) {
    clock = new SimClock('virtual', { now: 0 }).install();
    const twin = new Twin({ services: [] });
    const delivered: { event: BusEvent; at: number }[] = [];
    let failures = options.fail ?? 0;
    const bus = new LocalEventBridge({
      twin,
      hubAccountId: HUB,
      hubRegion: 'us-east-1',
      forwardsFrom: (account, region) =>
        ['222222222222', '555555555555', '777777777777'].includes(account) && region === 'us-east-1',
      hubAccepts: (account) => account !== '777777777777',
      target: async (event) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('intake down');
        }
        delivered.push({ event, at: Date.now() });
      },
      knobs: options.knobs,
    });
    bus.start();
    return { twin, bus, delivered };
  }

  it('forwards a spoke tag event to the hub bus and delivers it to the intake once', async () => {
    const { twin, bus, delivered } = setup();
    twin.emitTagChange({
      accountId: SPOKE,
      region: 'us-east-1',
      service: 'ec2',
      resourceType: 'vpc',
      resourceId: 'vpc-0a1',
      changedKeys: ['spokelink:connect'],
      tagsAfter: { 'spokelink:connect': 'true' },
    });
    await clock.runUntil(() => bus.pending === 0);

    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.event).toMatchObject({ account: SPOKE, detail: { tags: { 'spokelink:connect': 'true' } } });
    expect(bus.records.map((r) => [r.rule, r.outcome])).toEqual([['tagChange', 'delivered']]);
  });

  it('never delivers the status tags spokelink writes', async () => {
    const { bus, delivered } = setup();
    bus.putOnDefaultBus(tagEvent(['spokelink:status', 'spokelink:detail']));
    await clock.runUntilIdle();

    expect(delivered).toHaveLength(0);
    expect(bus.records.map((r) => r.outcome)).toEqual(['unmatched']);
  });

  it('ignores accounts without the spoke stack, and events the hub bus policy refuses', async () => {
    const { bus, delivered } = setup();
    bus.putOnDefaultBus(tagEvent(['spokelink:connect'], '333333333333'));
    bus.putOnDefaultBus(tagEvent(['spokelink:connect'], '777777777777'));
    await clock.runUntilIdle();

    expect(delivered).toHaveLength(0);
    expect(bus.records.map((r) => [r.account, r.outcome])).toEqual([
      ['333333333333', 'not-forwarded'],
      ['777777777777', 'denied'],
    ]);
  });

  it('drops, duplicates and delays deliveries on request', async () => {
    const { bus, delivered } = setup({
      knobs: { delayMs: 2_500, drop: (_e, n) => n === 1, duplicate: (_e, n) => n === 2 },
    });
    bus.putOnDefaultBus(tagEvent(['spokelink:connect']));
    bus.putOnDefaultBus(tagEvent(['spokelink:segment']));
    await clock.runUntilIdle();

    expect(delivered.map((d) => [d.event.id, d.at])).toEqual([
      ['ev-spokelink:segment-222222222222', 2_500],
      ['ev-spokelink:segment-222222222222', 2_500],
    ]);
    expect(bus.records.filter((r) => r.outcome === 'dropped')).toHaveLength(1);
  });

  it('retries a failing intake twice, one then two minutes later, like a Lambda async invocation', async () => {
    const { bus, delivered } = setup({ fail: 2 });
    bus.putOnDefaultBus(tagEvent(['spokelink:connect']));
    await clock.runUntilIdle();

    expect(delivered.map((d) => d.at)).toEqual([180_000]);
    expect(bus.records.map((r) => [r.outcome, r.attempt])).toEqual([
      ['retrying', 1],
      ['retrying', 2],
      ['delivered', 3],
    ]);
  });
});
