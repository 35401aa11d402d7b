/**
 * Once per jest run, before any test file: a folder where the local Step Functions records the state machine
 * definitions it has validated (`SPOKELINK_ASL_VALIDATED_DIR`, local/sfn.ts), so the test files share one validation
 * per definition instead of each compiling asl-validator's schemas again. Removed by `test/global-teardown.ts`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function globalSetup(): void {
  process.env.SPOKELINK_ASL_VALIDATED_DIR = mkdtempSync(join(tmpdir(), 'spokelink-asl-validated-'));
}
