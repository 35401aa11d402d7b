import { ListParentsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { TwinError } from '#twin/errors';
import { twinPlugin } from '#twin/plugin';
import type { Twin } from '#twin/twin';
import { createTwin, parseWorld } from '#twin/world';

const HUB = '111111111111';
const SPOKE = '222222222222';
const HUB_ROLE = `arn:aws:iam::${HUB}:role/spokelink-functions`;
const SPOKE_ROLE = `arn:aws:iam::${SPOKE}:role/spokelink-spoke`;

function world() {
  return parseWorld({
    version: 1,
    organization: {
      id: 'o-exampleorg1',
      managementAccountId: '999999999999',
      organizationalUnits: [{ id: 'ou-ab12-wkld0001', name: 'workloads' }],
      accounts: [
        { id: HUB, name: 'network' },
        { id: SPOKE, name: 'app', parentId: 'ou-ab12-wkld0001' },
      ],
    },
    delegatedAdministrators: [HUB],
    iam: {
      principals: [HUB_ROLE, `arn:aws:iam::${SPOKE}:role/intruder`],
      roles: [
        {
          arn: SPOKE_ROLE,
          trust: { principalArnPatterns: [`arn:aws:iam::${HUB}:role/spokelink-*`], externalId: 'ext-1' },
        },
      ],
    },
  });
}

function stsAs(twin: Twin, arn: string, options: { maxAttempts?: number } = {}) {
  const { accessKeyId, secretAccessKey, sessionToken } = twin.credentialsFor(arn);
  const client = new STSClient({
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey, sessionToken },
    ...options,
  });
  client.middlewareStack.use(twinPlugin(twin));
  return client;
}

describe('Twin core: identity and STS through the real SDK client', () => {
  it('identifies the caller from the credentials the request was signed with', async () => {
    const twin = createTwin(world());
    const out = await stsAs(twin, HUB_ROLE).send(new GetCallerIdentityCommand({}));
    expect(out).toMatchObject({ Account: HUB, Arn: HUB_ROLE });
  });

  it('assumes a role trusted for the caller with the right external id, and acts as that account', async () => {
    const twin = createTwin(world());
    const { Credentials } = await stsAs(twin, HUB_ROLE).send(
      new AssumeRoleCommand({ RoleArn: SPOKE_ROLE, RoleSessionName: 'spokelink-hub', ExternalId: 'ext-1' }),
    );
    const spoke = new STSClient({
      region: 'us-east-1',
      credentials: {
        accessKeyId: Credentials!.AccessKeyId!,
        secretAccessKey: Credentials!.SecretAccessKey!,
        sessionToken: Credentials!.SessionToken,
      },
    });
    spoke.middlewareStack.use(twinPlugin(twin));
    const who = await spoke.send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe(SPOKE);
    expect(who.Arn).toBe(`arn:aws:sts::${SPOKE}:assumed-role/spokelink-spoke/spokelink-hub`);
  });

  it.each([
    ['a wrong external id', HUB_ROLE, 'wrong'],
    ['no external id', HUB_ROLE, undefined],
    ['an untrusted principal', `arn:aws:iam::${SPOKE}:role/intruder`, 'ext-1'],
  ])('denies AssumeRole with %s, as an SDK AccessDenied error', async (_case, caller, externalId) => {
    const twin = createTwin(world());
    const error = await stsAs(twin, caller)
      .send(new AssumeRoleCommand({ RoleArn: SPOKE_ROLE, RoleSessionName: 'x1', ExternalId: externalId }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(STSServiceException);
    expect(error).toMatchObject({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
  });

  it('rejects unknown credentials like AWS rejects an invalid token', async () => {
    const twin = createTwin(world());
    const client = new STSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' },
    });
    client.middlewareStack.use(twinPlugin(twin));
    await expect(client.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
  });

  it('expires assumed-role credentials on the twin clock', async () => {
    const twin = createTwin(world());
    const { Credentials } = await stsAs(twin, HUB_ROLE).send(
      new AssumeRoleCommand({ RoleArn: SPOKE_ROLE, RoleSessionName: 's1', ExternalId: 'ext-1', DurationSeconds: 900 }),
    );
    jest.useFakeTimers({ now: Date.now() + 901_000, doNotFake: ['nextTick', 'setImmediate', 'setTimeout'] });
    try {
      const spoke = new STSClient({
        region: 'us-east-1',
        credentials: {
          accessKeyId: Credentials!.AccessKeyId!,
          secretAccessKey: Credentials!.SecretAccessKey!,
          sessionToken: Credentials!.SessionToken,
        },
      });
      spoke.middlewareStack.use(twinPlugin(twin));
      await expect(spoke.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'ExpiredToken' });
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('Twin core: faults, calls and organizations', () => {
  it('injects an error at a chosen call and lets the SDK retry a retryable one', async () => {
    const twin = createTwin(world());
    twin.inject({
      service: 'sts',
      operation: 'GetCallerIdentity',
      times: 1,
      error: () => new TwinError('InternalFailure', 'boom', 500),
    });
    const out = await stsAs(twin, HUB_ROLE).send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe(HUB);
    expect(out.$metadata.attempts).toBe(2);
    expect(twin.calls.map((c) => c.error ?? 'ok')).toEqual(['InternalFailure', 'ok']);
  });

  it('is loud about an operation it does not model', async () => {
    const twin = createTwin(world());
    await expect(
      twin.call('sts', 'GetSessionToken', {}, twin.credentialsFor(HUB_ROLE).accessKeyId, 'us-east-1'),
    ).rejects.toThrow(/sts:GetSessionToken is not modeled/);
  });

  it('answers ListParents for a delegated administrator and refuses a plain member', async () => {
    const twin = createTwin(world());
    const orgs = (arn: string) => {
      const { accessKeyId, secretAccessKey } = twin.credentialsFor(arn);
      const client = new OrganizationsClient({
        region: 'us-east-1',
        credentials: { accessKeyId, secretAccessKey },
        maxAttempts: 1,
      });
      client.middlewareStack.use(twinPlugin(twin));
      return client;
    };
    const out = await orgs(HUB_ROLE).send(new ListParentsCommand({ ChildId: SPOKE }));
    expect(out.Parents).toEqual([{ Id: 'ou-ab12-wkld0001', Type: 'ORGANIZATIONAL_UNIT' }]);
    await expect(
      orgs(`arn:aws:iam::${SPOKE}:role/intruder`).send(new ListParentsCommand({ ChildId: HUB })),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('names every bad field of a world file', () => {
    expect(() => parseWorld({ version: 2, iam: { roles: [{ arn: 'nope' }] } })).toThrow(
      /version[\s\S]*iam\.roles\.0\.arn/,
    );
  });
});
