import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeControl } from '#shared/display';
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
  /**
   * Takes the flags main handles off the command line and builds the command's dependencies: the registry source
   * of cost and chargeback (`--local`, `--run-dir`, `--region`, `--profile`: cli/audit/source.ts).
   */
  prepare?: (argv: string[]) => { argv: string[]; deps: unknown };
  /** Appended to the command's own `--help`. */
  help?: () => string;
}

/** The source module (registry and Step Functions readers), loaded only by the commands that read a registry. */
const source = () => require('./audit/source') as typeof import('./audit/source');

const COMMANDS: Record<string, Command> = {
  simulate: {
    summary: 'run the onboarding workflow on the local AWS twin and report what it did',
    load: () => require('./commands/simulate') as { run: Run },
  },
  cost: {
    summary: 'monthly cost of centralized vs decentralized endpoints, break-even and recommendation',
    load: () => require('./commands/cost') as { run: Run },
    prepare: (argv) => source().costDeps(argv),
    help: () => source().SOURCE_HELP,
  },
  chargeback: {
    summary: "split the hub's monthly cost across consumer VPCs and accounts",
    load: () => require('./commands/chargeback') as { run: Run },
    prepare: (argv) => source().chargebackDeps(argv),
    help: () => source().SOURCE_HELP,
  },
  audit: {
    summary: "a VPC's executions as a timeline (who asked, each step, resources, retries, result), or --all",
    load: () => require('./commands/audit') as { run: Run },
  },
  approve: {
    summary: 'let a VPC join a segment that requires approval (its waiting onboarding resumes)',
    load: () => ({ run: (require('./commands/approve') as typeof import('./commands/approve')).runApprove as Run }),
  },
  deny: {
    summary: 'refuse a VPC the segment that requires approval (rejected, nothing changed)',
    load: () => ({ run: (require('./commands/approve') as typeof import('./commands/approve')).runDeny as Run }),
  },
  plan: {
    summary: 'what a configuration would do to which VPCs (routes, zones, rules, principals), before deploying it',
    load: () => require('./commands/plan') as { run: Run },
  },
  preflight: {
    summary: 'check a hub account before the first onboarding (--aws: resources, RAM share, roles simulated)',
    load: () => require('./commands/preflight') as { run: Run },
  },
  migrate: {
    summary: "bring a hub's registry to the current schema after an upgrade (--dry-run first)",
    load: () => require('./commands/migrate') as { run: Run },
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
 * The streams every command writes to, with control and bidi characters escaped (escapeControl): the reports, the
 * audit text and CSV and the `--json` documents carry tag values app teams chose, and none of them may drive the
 * reader's terminal. The `\uXXXX` escapes keep a JSON document valid and equal in value.
 */
export function hygienicIo(io: CommandIo): CommandIo {
  return { stdout: (text) => io.stdout(escapeControl(text)), stderr: (text) => io.stderr(escapeControl(text)) };
}

/**
 * Runs the CLI with `argv` (without node and script). Exit codes: 0 success, 1 failure, 2 usage errors (unknown
 * command or flag, bad input files).
 */
export async function main(argv: string[], rawIo: CommandIo): Promise<number> {
  const io = hygienicIo(rawIo);
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    if (rest[0] !== undefined && rest[0] in COMMANDS) return main([rest[0], '--help'], rawIo);
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
  let args = rest;
  let deps: unknown;
  if (command.prepare) {
    try {
      ({ argv: args, deps } = command.prepare(rest));
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      io.stderr(`spokelink ${name}: ${error.message}\nrun "spokelink ${name} --help" for the flags\n`);
      return 2;
    }
  }
  const { run } = command.load();
  const code = await run(args, io, deps as never);
  if (code === 0 && command.help && (args.includes('--help') || args.includes('-h'))) io.stdout(command.help());
  return code;
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
      process.stderr.write(escapeControl(`spokelink: ${(error as Error).stack ?? String(error)}\n`));
      process.exitCode = 1;
    },
  );
}
