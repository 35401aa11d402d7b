import { describeCriticalPath } from './critical-path';

// The rest of the sweep of critical-path.test.ts over the phase of the 3 s poll (scale tier, `npm run test:scale`).
describeCriticalPath([500, 1_000, 2_000, 2_500]);
