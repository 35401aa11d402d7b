import * as z from 'zod';
import { TwinError } from '../errors';
import type { CallContext, ServiceModule } from '../types';

/** World file section: the organization, its OU tree and its member accounts. */
export const organizationsWorldSchema = z
  .strictObject({
    id: z.string().regex(/^o-[a-z0-9]{10,32}$/),
    managementAccountId: z.string().regex(/^\d{12}$/),
    /** Service principals with trusted access (EnableAWSServiceAccess), e.g. StackSets' or RAM's. */
    trustedServices: z.array(z.string().regex(/^[a-z0-9.-]+\.amazonaws\.com$/)).default([]),
    rootId: z
      .string()
      .regex(/^r-[0-9a-z]{4,32}$/)
      .default('r-ab12'),
    organizationalUnits: z
      .array(
        z.strictObject({
          id: z.string().regex(/^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/),
          name: z.string(),
          parentId: z.string().optional(),
        }),
      )
      .default([]),
    accounts: z
      .array(
        z.strictObject({
          id: z.string().regex(/^\d{12}$/),
          name: z.string(),
          parentId: z.string().optional(),
        }),
      )
      .default([]),
  })
  .optional();
export type OrganizationsWorld = z.infer<typeof organizationsWorldSchema>;

export interface OrganizationsState {
  organization?: { id: string; managementAccountId: string; rootId: string };
  /** child id (account or OU) -> parent id (OU or root). */
  parents: Record<string, string>;
  accounts: Record<string, { id: string; name: string }>;
  ous: Record<string, { id: string; name: string }>;
  /** Accounts registered as delegated administrators (may read the structure like the management account). */
  delegated: string[];
  /** Service principals with trusted access to the organization. */
  trustedServices: string[];
}

function state(ctx: CallContext): OrganizationsState {
  return ctx.twin.stateOf<OrganizationsState>('organizations');
}

function requireMember(ctx: CallContext): NonNullable<OrganizationsState['organization']> {
  const s = state(ctx);
  if (!s.organization || !(ctx.caller.accountId in s.accounts)) {
    throw new TwinError('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.', 400);
  }
  return s.organization;
}

/** Only the management account (or a delegated administrator) may read the organization's structure. */
function requireManagement(ctx: CallContext): NonNullable<OrganizationsState['organization']> {
  const org = requireMember(ctx);
  if (ctx.caller.accountId !== org.managementAccountId && !delegatedAdmins(ctx).includes(ctx.caller.accountId)) {
    throw new TwinError(
      'AccessDeniedException',
      'You don\u2019t have permissions to access this resource. Only the management account or a delegated administrator can call this.',
      400,
    );
  }
  return org;
}

function delegatedAdmins(ctx: CallContext): string[] {
  return state(ctx).delegated;
}

/** The ARN of an account as Organizations shows it. */
function accountArn(org: NonNullable<OrganizationsState['organization']>, accountId: string): string {
  return `arn:aws:organizations::${org.managementAccountId}:account/${org.id}/${accountId}`;
}

function accountView(org: NonNullable<OrganizationsState['organization']>, account: { id: string; name: string }) {
  return { Id: account.id, Arn: accountArn(org, account.id), Name: account.name, Status: 'ACTIVE' };
}

/**
 * Pagination of the List* operations: `MaxResults` 1-20 (ListAccounts, ListAccountsForParent,
 * ListOrganizationalUnitsForParent all document "Valid Range: Minimum value of 1. Maximum value of 20."), and
 * `NextToken` present in the answer only when more results follow. Organizations may also answer fewer results than
 * asked with a NextToken ("Remember to check the NextToken response parameter ... even when there are no more
 * results to display"): callers must loop, which the default page size of 20 exercises.
 */
function page<T>(items: T[], input: { MaxResults?: number; NextToken?: string }): { page: T[]; NextToken?: string } {
  const size = input.MaxResults ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > 20) {
    throw new TwinError(
      'InvalidInputException',
      'You provided a value that does not match the required pattern. (MaxResults must be between 1 and 20)',
      400,
    );
  }
  let offset = 0;
  if (input.NextToken !== undefined) {
    const match = /^twin-org:(\d+)$/.exec(Buffer.from(input.NextToken, 'base64').toString('utf8'));
    if (!match) throw new TwinError('InvalidInputException', 'The NextToken value is not valid.', 400);
    offset = Number(match[1]);
  }
  const end = offset + size;
  return {
    page: items.slice(offset, end),
    ...(end < items.length ? { NextToken: Buffer.from(`twin-org:${end}`).toString('base64') } : {}),
  };
}

/**
 * A parent (root or OU) of the organization, or ParentNotFoundException. ListAccountsForParent lists the accounts
 * directly in the parent, not those of its child OUs
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html).
 */
function requireParent(ctx: CallContext, org: NonNullable<OrganizationsState['organization']>, parentId: string) {
  if (parentId !== org.rootId && !(parentId in state(ctx).ous)) {
    throw new TwinError(
      'ParentNotFoundException',
      "We can't find a root or OU with the ParentId that you specified.",
      400,
    );
  }
}

/**
 * One page of the accounts or OUs directly in the parent a List*ForParent request names, by id; only the management
 * account lists them.
 */
function childrenOf(
  ctx: CallContext,
  input: { ParentId?: string; MaxResults?: number; NextToken?: string },
  kind: 'accounts' | 'ous',
) {
  const org = requireManagement(ctx);
  const parentId = input.ParentId ?? '';
  requireParent(ctx, org, parentId);
  const s = state(ctx);
  const children = Object.values(s[kind])
    .filter((child) => s.parents[child.id] === parentId)
    .sort((a, b) => a.id.localeCompare(b.id));
  const { page: items, NextToken } = page(children, input);
  return { org, items, NextToken };
}

/** True when `accountId` is in the organization (used by STS for `aws:PrincipalOrgID`). */
export function organizationOf(orgState: OrganizationsState, accountId: string): string | undefined {
  return orgState.organization && accountId in orgState.accounts ? orgState.organization.id : undefined;
}

/** Ancestors of an account, nearest first (OU ids, then the root id). */
export function ancestorsOf(orgState: OrganizationsState, childId: string): string[] {
  const out: string[] = [];
  let current = orgState.parents[childId];
  while (current !== undefined && out.length < 10) {
    out.push(current);
    current = orgState.parents[current];
  }
  return out;
}

export const organizations: ServiceModule<
  OrganizationsState,
  { organization?: OrganizationsWorld; delegatedAdministrators?: string[] }
> = {
  name: 'organizations',
  createState: () => ({ parents: {}, accounts: {}, ous: {}, delegated: [], trustedServices: [] }),
  seed(twin, world) {
    const org = world.organization;
    if (!org) return;
    const s = twin.stateOf<OrganizationsState>('organizations');
    s.organization = { id: org.id, managementAccountId: org.managementAccountId, rootId: org.rootId };
    s.delegated = world.delegatedAdministrators ?? [];
    s.trustedServices = [...org.trustedServices].sort();
    for (const ou of org.organizationalUnits) {
      s.ous[ou.id] = { id: ou.id, name: ou.name };
      s.parents[ou.id] = ou.parentId ?? org.rootId;
    }
    const accounts = [...org.accounts];
    if (!accounts.some((a) => a.id === org.managementAccountId)) {
      accounts.push({ id: org.managementAccountId, name: 'management', parentId: org.rootId });
    }
    for (const account of accounts) {
      s.accounts[account.id] = { id: account.id, name: account.name };
      s.parents[account.id] = account.parentId ?? org.rootId;
    }
  },
  operations: {
    DescribeOrganization(ctx) {
      const org = requireMember(ctx);
      return {
        Organization: {
          Id: org.id,
          Arn: `arn:aws:organizations::${org.managementAccountId}:organization/${org.id}`,
          MasterAccountId: org.managementAccountId,
          FeatureSet: 'ALL',
        },
      };
    },
    // https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAWSServiceAccessForOrganization.html:
    // the management account or a delegated administrator only. The twin does not record when access was enabled.
    ListAWSServiceAccessForOrganization(ctx) {
      requireManagement(ctx);
      return { EnabledServicePrincipals: state(ctx).trustedServices.map((ServicePrincipal) => ({ ServicePrincipal })) };
    },
    ListParents(ctx, input: { ChildId?: string }) {
      const org = requireManagement(ctx);
      const childId = input.ChildId ?? '';
      const parent = state(ctx).parents[childId];
      if (parent === undefined) {
        throw new TwinError(
          'ChildNotFoundException',
          `We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.`,
          400,
        );
      }
      return { Parents: [{ Id: parent, Type: parent === org.rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }] };
    },
    ListAccounts(ctx, input: { MaxResults?: number; NextToken?: string }) {
      const org = requireManagement(ctx);
      const accounts = Object.values(state(ctx).accounts).sort((a, b) => a.id.localeCompare(b.id));
      const { page: items, NextToken } = page(accounts, input);
      return { Accounts: items.map((a) => accountView(org, a)), ...(NextToken ? { NextToken } : {}) };
    },
    ListAccountsForParent(ctx, input: { ParentId?: string; MaxResults?: number; NextToken?: string }) {
      const { org, items, NextToken } = childrenOf(ctx, input, 'accounts');
      return { Accounts: items.map((a) => accountView(org, a)), ...(NextToken ? { NextToken } : {}) };
    },
    ListOrganizationalUnitsForParent(ctx, input: { ParentId?: string; MaxResults?: number; NextToken?: string }) {
      const { org, items, NextToken } = childrenOf(ctx, input, 'ous');
      return {
        OrganizationalUnits: items.map((ou) => ({
          Id: ou.id,
          Arn: `arn:aws:organizations::${org.managementAccountId}:ou/${org.id}/${ou.id}`,
          Name: ou.name,
        })),
        ...(NextToken ? { NextToken } : {}),
      };
    },
    DescribeAccount(ctx, input: { AccountId?: string }) {
      const org = requireManagement(ctx);
      const account = state(ctx).accounts[input.AccountId ?? ''];
      if (!account) {
        throw new TwinError(
          'AccountNotFoundException',
          `We can't find an AWS account with the AccountId that you specified.`,
          400,
        );
      }
      return { Account: accountView(org, account) };
    },
  },
};
