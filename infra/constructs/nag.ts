import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { CfnPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';
import { RESOURCE_STAR_REASONS, SCOPED_WILDCARD_REASONS } from '../permissions';

/**
 * cdk-nag acknowledgements for IAM wildcards, generated from the documented tables in `permissions.ts` and nothing
 * else: every finding is acknowledged individually (`AwsSolutions-IAM5[Resource::*]`, ...) with the reason of the
 * actions or the resource pattern that caused it. A wildcard that is not documented stays a violation and fails the
 * synth and the tests. Call once all grants of `scope` are made (end of the stack constructor).
 */
export function acknowledgeDocumentedWildcards(scope: IConstruct): void {
  for (const node of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(node)) continue;
    const documents = policyDocuments(node);
    if (documents.length === 0) continue;
    for (const { id, reason } of wildcardFindings(documents)) {
      Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${id}]`, reason });
    }
  }
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
}

function policyDocuments(node: CfnResource): { Statement?: Statement[] }[] {
  const stack = Stack.of(node);
  if (node instanceof CfnPolicy) return [stack.resolve(node.policyDocument)];
  if (node instanceof CfnRole) {
    const policies: { policyDocument: unknown }[] = stack.resolve(node.policies) ?? [];
    return policies.map((policy) => stack.resolve(stack.resolve(policy).policyDocument));
  }
  return [];
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The IAM5 findings of a resource, as cdk-nag computes them, with a reason when the wildcard is documented. */
export function wildcardFindings(documents: { Statement?: Statement[] }[]): { id: string; reason: string }[] {
  const starActions = new Set<string>();
  const findings = new Set<string>();
  for (const document of documents) {
    for (const statement of document.Statement ?? []) {
      if (statement.Effect !== 'Allow') continue;
      const actions = list(statement.Action);
      for (const action of actions) if (action.includes('*')) findings.add(`Action::${action}`);
      for (const resource of list(statement.Resource).map(flattenCfnReference)) {
        if (!resource.includes('*')) continue;
        findings.add(`Resource::${resource}`);
        if (resource === '*') for (const action of actions) starActions.add(action);
      }
    }
  }
  const result: { id: string; reason: string }[] = [];
  for (const id of findings) {
    if (id === 'Resource::*') {
      const actions = [...starActions].sort();
      if (actions.every((action) => RESOURCE_STAR_REASONS[action] !== undefined)) {
        const reasons = [...new Set(actions.map((action) => RESOURCE_STAR_REASONS[action]))];
        result.push({ id, reason: `${actions.join(', ')}: ${reasons.join('; ')}` });
      }
      continue;
    }
    const documented = SCOPED_WILDCARD_REASONS.find(({ pattern }) => pattern.test(id));
    if (documented) result.push({ id, reason: documented.reason });
  }
  return result;
}

/** Acknowledges one rule on one construct; the reason must say why, specifically (at least a few words). */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().split(/\s+/).length < 5) throw new Error(`cdk-nag acknowledgement ${id} needs a specific reason`);
  Validations.of(scope).acknowledge({ id, reason });
}
