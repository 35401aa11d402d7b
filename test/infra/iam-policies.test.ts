import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIamPolicies, IAM_GENERATE_COMMAND, IAM_POLICIES_PATH } from '../../infra/iam-policies';
import { APPROVER_POLICY_STATEMENTS } from '../../infra/permissions';

describe('The IAM policies the twin evaluates', () => {
  it('are the synthesized policies of the CDK app (the committed file equals the generator output)', () => {
    const committed = readFileSync(IAM_POLICIES_PATH, 'utf8');
    // The generator's apps without creation stack traces, as the other infra tests' (newApp, ./helpers.ts): metadata
    // no policy holds. An App reads context from CDK_CONTEXT_JSON as the CDK CLI passes it.
    const saved = process.env.CDK_CONTEXT_JSON;
    process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:disable-creation-stack-traces': true });
    let generated: string;
    try {
      generated = generateIamPolicies();
    } finally {
      if (saved === undefined) delete process.env.CDK_CONTEXT_JSON;
      else process.env.CDK_CONTEXT_JSON = saved;
    }
    if (committed !== generated) {
      throw new Error(
        `local/iam-policies.generated.json is out of date with infra/permissions.ts and the stacks: run \`${IAM_GENERATE_COMMAND}\` and commit the file`,
      );
    }
    // Not vacuous: every function and the spoke role are there, with their grants.
    const file = JSON.parse(committed);
    expect(Object.keys(file.variants.perAccountShare.functions)).toEqual(
      expect.arrayContaining(['intake', 'validate', 'transit-gateway', 'routes', 'zones', 'consumer', 'reconcile']),
    );
    expect(JSON.stringify(file.variants.perAccountShare.spokeRoles.write.trust)).toContain('sts:ExternalId');
    expect(JSON.stringify(file.variants.perAccountShare.spokeRoles.read.trust)).toContain('-fn-validate"');
    expect(JSON.stringify(file.variants.organizationShareOnly.functions['transit-gateway'])).not.toContain(
      'ram:CreateResourceShare',
    );
  });

  it('hold the approver policy exactly as docs/lifecycle.md documents it', () => {
    const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'lifecycle.md'), 'utf8');
    const block = /The approver needs:\s*```json\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(block).toBeDefined();
    expect(JSON.parse(`[${block}]`)).toEqual(APPROVER_POLICY_STATEMENTS);
  });
});
