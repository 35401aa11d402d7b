import { TwinError } from '../errors';
import type { CallContext, ServiceModule } from '../types';

/**
 * IAM, as far as checking permissions goes: `SimulatePrincipalPolicy` answers from the policies the twin evaluates
 * every call with (the IAM model given to the twin, ../iam.ts), so a simulation and a real call of the same role
 * agree. https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html: one result per action
 * and resource (no resource: `*`), `EvalDecision` `allowed`, `explicitDeny` or `implicitDeny`; a principal that does
 * not exist is `NoSuchEntity` (404). Context entries are the request's condition keys (a key the simulation is not
 * given is absent, so a condition on it does not match, as in AWS). The twin models no other IAM operation.
 */

interface ContextEntry {
  ContextKeyName?: string;
  ContextKeyValues?: string[];
}

async function simulatePrincipalPolicy(ctx: CallContext, input: Record<string, unknown>) {
  const source = String(input.PolicySourceArn ?? '');
  const actions = (input.ActionNames as string[] | undefined) ?? [];
  if (actions.length === 0) throw new TwinError('InvalidInput', 'ActionNames must contain at least one action', 400);
  const resources = (input.ResourceArns as string[] | undefined) ?? ['*'];
  const context: Record<string, string | string[]> = {};
  for (const entry of (input.ContextEntries as ContextEntry[] | undefined) ?? []) {
    if (!entry.ContextKeyName) continue;
    const values = entry.ContextKeyValues ?? [];
    context[entry.ContextKeyName] = values.length === 1 ? values[0]! : values;
  }
  const evaluator = ctx.twin.iam;
  const results = [];
  for (const action of actions) {
    for (const resource of resources) {
      const decision = await evaluator?.simulatePrincipal(source, {
        action,
        resource,
        // Only identity-based policies are simulated (the API takes a resource policy only when given one, and the
        // twin is given none): the request is evaluated as one in the principal's account, whatever the resource's.
        resourceAccount: source.split(':')[4] ?? '',
        context,
      });
      if (decision === undefined) {
        throw new TwinError('NoSuchEntity', `The role with name ${source.split('/').pop()} cannot be found.`, 404);
      }
      results.push({ EvalActionName: action, EvalResourceName: resource, EvalDecision: decision });
    }
  }
  return { EvaluationResults: results, IsTruncated: false };
}

export const iam: ServiceModule<Record<string, never>, unknown> = {
  name: 'iam',
  createState: () => ({}),
  operations: {
    SimulatePrincipalPolicy: (ctx, input) => simulatePrincipalPolicy(ctx, input ?? {}),
  },
};
