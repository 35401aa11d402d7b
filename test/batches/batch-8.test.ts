// One batch of the default tier's test files (test/batches/partition.js explains why).
import { runBatch } from './run-batch';

runBatch(8);
