/** Removes the run's folder of validated state machine definitions (`test/global-setup.ts`). */
import { rmSync } from 'node:fs';

export default function globalTeardown(): void {
  const dir = process.env.SPOKELINK_ASL_VALIDATED_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
