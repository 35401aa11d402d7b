import { logger } from './logger';

/**
 * Runs a step's `work`, then `record`s what it did, also when the work fails part-way: nothing the step made or
 * removed goes unrecorded. After a failure, a failed record is only logged: the work's error is what the step reports
 * (the ASL retries or catches it by name).
 *
 * @param what what the record holds, for the log line (`the routes made`).
 */
export async function recordingProgress(
  what: string,
  work: () => Promise<void>,
  record: () => Promise<unknown>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    await record().catch((recordError: unknown) =>
      logger.error(`could not record ${what} before the failure`, { recordError }),
    );
    throw error;
  }
  await record();
}
