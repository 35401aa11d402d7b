import { parseRequestTags, RequestTag, statusDetail, touchesRequestTags } from '#shared/tags';

describe('Tag contract: parseRequestTags', () => {
  it('reads connect=true with defaults for segment and services', () => {
    expect(parseRequestTags({ [RequestTag.connect]: 'true' })).toEqual({
      action: 'connect',
      segment: undefined,
      services: '*',
      localServices: [],
    });
  });

  it('treats a missing connect key or "false" as a disconnect request', () => {
    expect(parseRequestTags({})).toEqual({ action: 'disconnect' });
    expect(parseRequestTags({ [RequestTag.connect]: 'FALSE' })).toEqual({ action: 'disconnect' });
  });

  it('splits and trims the services list', () => {
    const request = parseRequestTags({ [RequestTag.connect]: 'true', [RequestTag.services]: ' ssm , sts ' });
    expect(request).toEqual({ action: 'connect', segment: undefined, services: ['ssm', 'sts'], localServices: [] });
  });

  it('reads spokelink:local-services with the same parser as spokelink:services (list or *)', () => {
    const list = parseRequestTags({
      [RequestTag.connect]: 'true',
      [RequestTag.localServices]: ' kinesis-streams , sts',
    });
    expect(list).toEqual({
      action: 'connect',
      segment: undefined,
      services: '*',
      localServices: ['kinesis-streams', 'sts'],
    });
    const all = parseRequestTags({ [RequestTag.connect]: 'true', [RequestTag.localServices]: '*' });
    expect(all.action === 'connect' && all.localServices).toBe('*');
  });

  it.each([
    [{ [RequestTag.connect]: 'yes' }, 'spokelink:connect must be "true" or "false"'],
    [{ [RequestTag.connect]: 'true', [RequestTag.services]: 'ssm,,sts' }, 'has an empty entry'],
    [{ [RequestTag.connect]: 'true', [RequestTag.services]: 'ssm,ssm' }, 'names "ssm" twice'],
    [{ [RequestTag.connect]: 'true', [RequestTag.services]: 'ssm;rm -rf' }, 'is not a service name'],
    [{ [RequestTag.connect]: 'true', [RequestTag.segment]: 'Prod<script>' }, 'is not a segment name'],
    [
      { [RequestTag.connect]: 'true', [RequestTag.localServices]: 'ssm,,sts' },
      'spokelink:local-services has an empty entry',
    ],
    [
      { [RequestTag.connect]: 'true', [RequestTag.localServices]: 'sts,sts' },
      'spokelink:local-services names "sts" twice',
    ],
    [
      { [RequestTag.connect]: 'true', [RequestTag.localServices]: 'Kinesis!' },
      'spokelink:local-services entry "Kinesis!"',
    ],
  ])('rejects malformed values with a reason naming the tag (%j)', (tags, reason) => {
    const request = parseRequestTags(tags);
    expect(request.action).toBe('malformed');
    expect(request.action === 'malformed' && request.reason).toContain(reason);
  });

  it('never echoes non-printable characters of an untrusted value', () => {
    const request = parseRequestTags({ [RequestTag.connect]: 'tr\u0000ue\u202e' });
    expect(request.action === 'malformed' && request.reason).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('Tag contract: helpers', () => {
  it('truncates a detail to the 256-character tag value limit', () => {
    const detail = statusDetail('x'.repeat(400));
    expect(detail).toHaveLength(256);
    expect(detail.endsWith('...')).toBe(true);
  });

  it('does not count status-only tag changes as requests', () => {
    expect(touchesRequestTags(['spokelink:status', 'spokelink:detail'])).toBe(false);
    expect(touchesRequestTags(['spokelink:status', 'spokelink:services'])).toBe(true);
    expect(touchesRequestTags(['spokelink:local-services'])).toBe(true);
  });
});
