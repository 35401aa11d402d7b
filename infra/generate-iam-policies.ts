import { writeFileSync } from 'node:fs';
import { generateIamPolicies, IAM_POLICIES_PATH } from './iam-policies';

/** `npm run iam:generate`: writes local/iam-policies.generated.json from the synth of the example configuration. */
writeFileSync(IAM_POLICIES_PATH, generateIamPolicies());
console.log(`wrote ${IAM_POLICIES_PATH.replace(`${process.cwd()}/`, '')}`);
