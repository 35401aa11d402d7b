import { describeCriticalPath } from './critical-path';

// Two phases of the poll, at its start and its middle; the other four in critical-path.scale.test.ts.
describeCriticalPath([0, 1_500]);
