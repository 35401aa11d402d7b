import {
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  OrganizationsClient,
  OrganizationsServiceException,
} from '@aws-sdk/client-organizations';
import { twinPlugin } from '#twin/plugin';
import type { Twin } from '#twin/twin';
import { createTwin, parseWorld } from '#twin/world';

const HUB = '111111111111';
const MGMT = '999999999999';
const WORKLOADS = 'ou-ab12-wkld0001';
const PROD = 'ou-ab12-prod0001';

function world() {
  return parseWorld({
    version: 1,
    organization: {
      id: 'o-exampleorg1',
      managementAccountId: MGMT,
      organizationalUnits: [
        { id: WORKLOADS, name: 'workloads' },
        { id: PROD, name: 'prod', parentId: WORKLOADS },
      ],
      accounts: [
        { id: HUB, name: 'network' },
        { id: '222222222222', name: 'payments', parentId: PROD },
        { id: '333333333333', name: 'analytics', parentId: WORKLOADS },
        { id: '444444444444', name: 'reporting', parentId: WORKLOADS },
      ],
    },
    delegatedAdministrators: [HUB],
    iam: { principals: [`arn:aws:iam::${HUB}:role/spokelink-functions`, 'arn:aws:iam::333333333333:role/app'] },
  });
}

function client(twin: Twin, arn: string) {
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(arn);
  const c = new OrganizationsClient({
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
  c.middlewareStack.use(twinPlugin(twin));
  return c;
}

describe('Twin: Organizations listings', () => {
  const twin = createTwin(world());
  const hub = client(twin, `arn:aws:iam::${HUB}:role/spokelink-functions`);

  it('lists only the accounts directly in a parent, not those of its child OUs', async () => {
    const { Accounts } = await hub.send(new ListAccountsForParentCommand({ ParentId: WORKLOADS }));
    expect(Accounts?.map((a) => a.Id)).toEqual(['333333333333', '444444444444']);
    expect(Accounts?.[0]).toMatchObject({
      Name: 'analytics',
      Status: 'ACTIVE',
      Arn: `arn:aws:organizations::${MGMT}:account/o-exampleorg1/333333333333`,
    });
  });

  it('lists the child OUs of a parent, and of the root', async () => {
    const underWorkloads = await hub.send(new ListOrganizationalUnitsForParentCommand({ ParentId: WORKLOADS }));
    expect(underWorkloads.OrganizationalUnits?.map((ou) => [ou.Id, ou.Name])).toEqual([[PROD, 'prod']]);
    const underRoot = await hub.send(new ListOrganizationalUnitsForParentCommand({ ParentId: 'r-ab12' }));
    expect(underRoot.OrganizationalUnits?.map((ou) => ou.Id)).toEqual([WORKLOADS]);
  });

  it('lists every account of the organization, the management account included, page by page', async () => {
    const first = await hub.send(new ListAccountsCommand({ MaxResults: 2 }));
    expect(first.Accounts).toHaveLength(2);
    expect(first.NextToken).toBeDefined();
    const rest = await hub.send(new ListAccountsCommand({ MaxResults: 20, NextToken: first.NextToken }));
    expect(rest.NextToken).toBeUndefined();
    expect([...first.Accounts!, ...rest.Accounts!].map((a) => a.Id)).toEqual([
      HUB,
      '222222222222',
      '333333333333',
      '444444444444',
      MGMT,
    ]);
  });

  it('refuses an unknown parent and a page size outside 1-20', async () => {
    await expect(hub.send(new ListAccountsForParentCommand({ ParentId: 'ou-ab12-nope0001' }))).rejects.toMatchObject({
      name: 'ParentNotFoundException',
    });
    await expect(hub.send(new ListAccountsCommand({ MaxResults: 21 }))).rejects.toBeInstanceOf(
      OrganizationsServiceException,
    );
  });

  it('answers only the management account and delegated administrators', async () => {
    const member = client(twin, 'arn:aws:iam::333333333333:role/app');
    await expect(member.send(new ListAccountsForParentCommand({ ParentId: WORKLOADS }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });
});
