import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError } from '#shared/errors';
import type { CommandIo } from './commands/cost';

/**
 * The `spokelink` command (bin/spokelink.js runs this file through tsx). Each subcommand lives in
 * `cli/commands/<name>.ts` and exports `run(argv, io): Promise<number>`; commands are loaded only when used, so
 * `spokelink cost` does not pay for the simulator and `spokelink simulate` does not load the chart renderer.
 */

type Run = (argv: string[], io: CommandIo, deps?: never) => Promise<number>;

interface Command {
  summary: string;
  load: () => { run: Run };
  /** Dependencies injected into the command (local data of the last simulate run). */
  deps?: () => unknown;
}

/** Folder where `spokelink simulate` saves its last run (relative to the working directory). */
const RUN_DIR = '.spokelink/last-run';

/** Registry records saved by the last `spokelink simulate` (current and history items). */
function lastRunRegistry(): unknown[] {
  const path = join(process.cwd(), RUN_DIR, 'registry.json');
  if (!existsSync(path)) {
    throw new ConfigurationError(
      `no local registry at ${join(RUN_DIR, 'registry.json')}: run "spokelink simulate" (or "npm run demo") first, or pass --registry-file FILE`,
    );
  }
  const items = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[];
  // The table also holds leases and other short-lived items: only consumer records count.
  return items.filter((item) => item.sk === 'CURRENT' || String(item.sk ?? '').startsWith('HISTORY#'));
}

const COMMANDS: Record<string, Command> = {
  simulate: {
    summary: 'run the onboarding workflow on the local AWS twin and report what it did',
    load: () => require('./commands/simulate') as { run: Run },
  },
  cost: {
    summary: 'monthly cost of centralized vs decentralized endpoints, break-even and recommendation',
    load: () => require('./commands/cost') as { run: Run },
    deps: () => ({
      loadRecords: async () => {
        const { parseRegistryRecords } = require('#shared/cost-inputs') as typeof import('#shared/cost-inputs');
        return parseRegistryRecords(lastRunRegistry(), join(RUN_DIR, 'registry.json'));
      },
    }),
  },
  chargeback: {
    summary: "split the hub's monthly cost across consumer VPCs and accounts",
    load: () => require('./commands/chargeback') as { run: Run },
    deps: () => ({
      loadMembership: async () => {
        const { parseRegistryRecords } = require('#shared/cost-inputs') as typeof import('#shared/cost-inputs');
        const { membershipFromRecords } = require('#shared/chargeback') as typeof import('#shared/chargeback');
        return membershipFromRecords(parseRegistryRecords(lastRunRegistry(), join(RUN_DIR, 'registry.json')));
      },
    }),
  },
};

/** Top-level usage. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: spokelink <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'run "spokelink <command> --help" for the options of a command',
    '',
  ].join('\n');
}

/**
 * Runs the CLI with `argv` (without node and script). Exit codes: 0 success, 1 failure, 2 usage errors (unknown
 * command or flag, bad input files).
 */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    if (rest[0] !== undefined && rest[0] in COMMANDS) return main([rest[0], '--help'], io);
    if (rest[0] !== undefined) {
      io.stderr(`spokelink: unknown command "${rest[0]}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
      return 2;
    }
    io.stdout(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    io.stdout(`spokelink ${pkg.version}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    const hint = name.startsWith('-') ? `unknown option "${name}" before the command` : `unknown command "${name}"`;
    io.stderr(`spokelink: ${hint} (commands: ${Object.keys(COMMANDS).join(', ')})\nrun "spokelink --help"\n`);
    return 2;
  }
  const { run } = command.load();
  return run(rest, io, command.deps?.() as never);
}

if (require.main === module || process.argv[1]?.endsWith('spokelink.js')) {
  const io: CommandIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`spokelink: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
