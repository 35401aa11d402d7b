import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigurationError } from '#shared/errors';
import type { CommandIo } from './cost';

/** What the CLI's commands share: their flag parsing and their exit codes. */

/** Bad flags or inputs: the command prints the message and exits 2. */
export class UsageError extends ConfigurationError {}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** The flag every command takes besides its own: `-h`/`--help`, its usage. */
const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * The command's flags (`parseArgs`, strict): its `options` and `--help`. An unknown or malformed flag throws
 * `usageError` (exit 2, with the `--help` hint). Positionals only where `allowPositionals` (a VPC id, a decision).
 */
export function parseFlags<O extends FlagOptions, P extends boolean = false>(
  args: string[],
  options: O,
  {
    usageError = UsageError,
    allowPositionals,
  }: { usageError?: new (message: string) => Error; allowPositionals?: P } = {},
) {
  try {
    return parseArgs({
      args,
      options: { ...options, ...HELP },
      strict: true,
      allowPositionals: (allowPositionals ?? false) as P,
    });
  } catch (error) {
    throw new usageError((error as Error).message);
  }
}

/** The values `parseFlags` gives for a command's options (its flags and `help`). */
export type FlagsOf<O extends FlagOptions> = ReturnType<typeof parseFlags<O>>['values'];

/** True when the flags ask for `--help`, the command's usage then printed on stdout (the command exits 0). */
export function helpPrinted(flags: { help?: boolean }, io: CommandIo, usage: string): boolean {
  if (flags.help) io.stdout(usage);
  return flags.help === true;
}

/**
 * A command's `run`: `execute`, with the CLI's exit codes for what it throws. A ConfigurationError (bad flags, files
 * or inputs) prints its message and exits 2, with the `--help` hint when `isUsage` says it is about the flags;
 * anything else is unexpected: its stack, exit 1.
 *
 * @param command the command's name, as the messages start (`spokelink cost: ...`).
 * @param isUsage which configuration errors are about the flags. @default a UsageError
 */
export async function withExitCodes(
  command: string,
  io: CommandIo,
  execute: () => Promise<number>,
  isUsage: (error: ConfigurationError) => boolean = (error) => error instanceof UsageError,
): Promise<number> {
  try {
    return await execute();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.stderr(`spokelink ${command}: ${error.message}\n`);
      if (isUsage(error)) io.stderr(`run "spokelink ${command} --help" for the flags\n`);
      return 2;
    }
    io.stderr(`spokelink ${command}: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
