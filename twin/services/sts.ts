import * as z from 'zod';
import { TwinError } from '../errors';
import type { CallContext, ServiceModule } from '../types';
import { type OrganizationsState, organizationOf } from './organizations';

/**
 * STS and the IAM roles it can assume. A role's trust is modeled as the conditions spokelink's spoke role uses:
 * trusted principal ARN patterns (`aws:PrincipalArn`, `*` wildcards), an external id (`sts:ExternalId`) and an
 * optional organization (`aws:PrincipalOrgID`). Permission policies, trust policies given by the IAM model and session
 * policies are evaluated by ../iam.ts (see docs/twin.md).
 */
export const stsWorldSchema = z
  .strictObject({
    roles: z
      .array(
        z.strictObject({
          arn: z.string().regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]{1,64}$/),
          trust: z.strictObject({
            principalArnPatterns: z.array(z.string()).min(1),
            externalId: z.string().optional(),
            principalOrgId: z.string().optional(),
          }),
          maxSessionDurationSeconds: z.number().int().min(3600).max(43200).default(3600),
        }),
      )
      .default([]),
    /** Long-lived principals (Lambda roles, users) that exist in the world; credentials come from the twin. */
    principals: z.array(z.string().regex(/^arn:aws:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/)).default([]),
  })
  .default({ roles: [], principals: [] });
export type StsWorld = z.infer<typeof stsWorldSchema>;

export interface RoleDef {
  arn: string;
  accountId: string;
  name: string;
  trust: { principalArnPatterns: string[]; externalId?: string; principalOrgId?: string };
  maxSessionDurationSeconds: number;
}

export interface StsState {
  roles: Record<string, RoleDef>;
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
}

function accessDenied(ctx: CallContext, roleArn: string): TwinError {
  return new TwinError(
    'AccessDenied',
    `User: ${ctx.caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    403,
  );
}

/** A session policy (`Policy`, inline JSON, at most 2,048 characters packed: STS AssumeRole API reference). */
function parseSessionPolicy(text: string): { Version: string; Statement: unknown[] } {
  const malformed = () => new TwinError('MalformedPolicyDocument', 'The policy is not in the valid JSON format.', 400);
  if (text.length > 2048) {
    throw new TwinError('PackedPolicyTooLarge', 'Packed size of the session policy exceeds the limit.', 400);
  }
  try {
    const policy = JSON.parse(text) as { Version?: unknown; Statement?: unknown };
    if (typeof policy.Version !== 'string') throw malformed();
    return {
      Version: policy.Version,
      Statement: Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement],
    };
  } catch {
    throw malformed();
  }
}

export const sts: ServiceModule<StsState, { iam?: StsWorld }> = {
  name: 'sts',
  createState: () => ({ roles: {} }),
  seed(twin, world) {
    const s = twin.stateOf<StsState>('sts');
    for (const role of world.iam?.roles ?? []) {
      const [, , , , accountId, resource] = role.arn.split(':');
      s.roles[role.arn] = {
        arn: role.arn,
        accountId: accountId!,
        name: resource!.replace(/^role\/(.*\/)?/, ''),
        trust: role.trust,
        maxSessionDurationSeconds: role.maxSessionDurationSeconds,
      };
    }
    for (const principal of world.iam?.principals ?? []) twin.credentialsFor(principal);
  },
  operations: {
    GetCallerIdentity(ctx) {
      return { UserId: ctx.caller.accessKeyId, Account: ctx.caller.accountId, Arn: ctx.caller.arn };
    },
    AssumeRole(
      ctx,
      input: {
        RoleArn?: string;
        RoleSessionName?: string;
        ExternalId?: string;
        DurationSeconds?: number;
        Policy?: string;
      },
    ) {
      const roleArn = input.RoleArn ?? '';
      const session = input.RoleSessionName ?? '';
      if (!/^[\w+=,.@-]{2,64}$/.test(session)) {
        throw new TwinError(
          'ValidationError',
          `1 validation error detected: Value '${session}' at 'roleSessionName' failed to satisfy constraint`,
          400,
        );
      }
      const role = ctx.twin.stateOf<StsState>('sts').roles[roleArn];
      // AWS does not reveal whether the role exists: a missing role and a failed trust look the same.
      if (!role) throw accessDenied(ctx, roleArn);
      const principalArn = ctx.caller.roleArn ?? ctx.caller.arn;
      if (!role.trust.principalArnPatterns.some((p) => globMatch(p, principalArn))) throw accessDenied(ctx, roleArn);
      if (role.trust.externalId !== undefined && input.ExternalId !== role.trust.externalId)
        throw accessDenied(ctx, roleArn);
      if (role.trust.principalOrgId !== undefined) {
        const org = organizationOf(ctx.twin.stateOf<OrganizationsState>('organizations'), ctx.caller.accountId);
        if (org !== role.trust.principalOrgId) throw accessDenied(ctx, roleArn);
      }
      // Role chaining limits the session to one hour
      // (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining).
      const chained = ctx.caller.sessionToken !== undefined;
      const max = chained ? 3600 : role.maxSessionDurationSeconds;
      const duration = input.DurationSeconds ?? 3600;
      if (duration < 900 || duration > max) {
        throw new TwinError(
          'ValidationError',
          `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
          400,
        );
      }
      const expiresAt = ctx.now + duration * 1000;
      const sessionPolicy = input.Policy === undefined ? undefined : parseSessionPolicy(input.Policy);
      const identity = ctx.twin.addIdentity({
        ...(sessionPolicy ? { sessionPolicy } : {}),
        accountId: role.accountId,
        arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${session}`,
        roleArn: role.arn,
        sessionToken: ctx.twin.newId('tok', 64).slice(4),
        expiresAt,
      });
      return {
        Credentials: {
          AccessKeyId: identity.accessKeyId,
          SecretAccessKey: identity.secretAccessKey,
          SessionToken: identity.sessionToken,
          Expiration: new Date(expiresAt),
        },
        AssumedRoleUser: { AssumedRoleId: `AROA${identity.accessKeyId.slice(4)}:${session}`, Arn: identity.arn },
      };
    },
  },
};
