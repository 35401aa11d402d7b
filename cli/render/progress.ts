import type { HubProgress } from '#local/hub';
import { causeMessage, clip, duration, offset } from './format';

/**
 * Live progress of `spokelink simulate`: one compact line per state a workflow leaves (with how long it took), per
 * failure, retry and catch, per execution start and end, and per event the intake acts on; with the simulated time.
 * In real-clock mode the Task states also get a line when entered (their waits are felt).
 */
export class ProgressPrinter {
  private readonly entered = new Map<string, number>();
  private readonly failures = new Map<string, string>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly options: { showEntered?: boolean } = {},
  ) {}

  /** Handles one progress event. */
  handle(progress: HubProgress): void {
    const who = progress.vpcId ?? ('execution' in progress ? progress.execution : '');
    const where = progress.region === undefined ? '' : `${progress.region.padEnd(14)} `;
    const prefix = `${offset(progress.at)}  ${where}${who.padEnd(21)}`;
    switch (progress.kind) {
      case 'intake':
        this.write(`${prefix}  ⇢ ${clip(progress.outcome, 100)}`);
        return;
      case 'execution': {
        const key = `${progress.execution}`;
        if (progress.event === 'started') {
          this.entered.set(key, progress.at);
          this.write(`${prefix}  ▶ execution ${progress.execution}`);
          return;
        }
        const took = duration(progress.at - (this.entered.get(key) ?? progress.at));
        const why = progress.error ? `  ${progress.error}: ${clip(causeMessage(progress.cause), 80)}` : '';
        this.write(`${prefix}  ■ ${progress.event.toUpperCase()} after ${took}${why}`);
        return;
      }
      case 'state': {
        const key = `${progress.execution}\u0000${progress.state}`;
        switch (progress.event) {
          case 'entered':
            if (!this.entered.has(key)) this.entered.set(key, progress.at);
            if (this.options.showEntered && progress.stateType === 'Task') {
              this.write(`${prefix}  → ${progress.state}`);
            }
            return;
          case 'exited': {
            const took = progress.at - (this.entered.get(key) ?? progress.at);
            this.entered.delete(key);
            this.write(`${prefix}  ✓ ${progress.state}${took > 0 ? ` (${duration(took)})` : ''}`);
            return;
          }
          case 'failed':
            // Shown with what follows: a retry, a catch, or the execution's failure.
            this.failures.set(key, `${progress.error ?? 'Error'}: ${clip(causeMessage(progress.cause), 80)}`);
            return;
          case 'retried':
            this.write(`${prefix}  ↻ ${progress.state}  ${this.failures.get(key) ?? ''} (retried)`);
            this.failures.delete(key);
            return;
          case 'caught':
            this.entered.delete(key);
            this.write(`${prefix}  ↳ ${progress.state}  ${this.failures.get(key) ?? ''} (caught)`);
            this.failures.delete(key);
            return;
        }
      }
    }
  }
}
