import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { AssetHashType, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Code,
  type IDestination,
  Function as LambdaFunction,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Retention of every spokelink log group (Lambda and state machines). */
export const LOG_RETENTION = RetentionDays.THREE_MONTHS;

export interface SpokelinkFunctionProps {
  /** Step name: the folder under the functions directory (`transit-gateway`). */
  readonly name: string;
  /** Physical function name (`<prefix>-<name>`). */
  readonly functionName: string;
  /** Role name; the spoke execution role trusts the `<prefix>-fn-*` pattern. */
  readonly roleName: string;
  /** Absolute path of `handler.ts`. */
  readonly entry: string;
  /** Repository root (where package-lock.json, tsconfig.json and infra/bundling live). */
  readonly projectRoot: string;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Files written beside the bundle in the function's package (name -> text): the configuration file the handlers
   * read (functions/shared/env.ts). Part of the asset, so a change of their text is a new package.
   */
  readonly files?: Readonly<Record<string, string>>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /** Asynchronous invocations only (EventBridge targets): where failed events go after the retries. */
  readonly onFailure?: IDestination;
}

/**
 * The one place Lambda defaults are set: arm64, Node.js 24, explicit memory and timeout, its own log group with
 * retention, active tracing, and the bundle of infra/bundling/esbuild.ts (ESM, minified, source maps, the AWS SDK
 * inside and tree-shaken; the same bundle `npm run bench` measures). Each function has its own role with no managed
 * policy: its permissions come from the manifest (`infra/permissions.ts`).
 */
export class SpokelinkFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IRole;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: SpokelinkFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `spokelink ${props.name} step`,
    });
    this.logGroup.grantWrite(role);
    this.role = role;

    this.function = new LambdaFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      code: lambdaCode(props.projectRoot, props.entry, props.files ?? {}),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      onFailure: props.onFailure,
      retryAttempts: props.onFailure ? 2 : undefined,
      maxEventAge: props.onFailure ? Duration.hours(1) : undefined,
    });
  }
}

/**
 * The function's code: the repository bundled by infra/bundling/cli.ts, run locally with the Node.js that runs the
 * CDK app (esbuild's plugin API is asynchronous, so the bundler runs in its own process). The asset hash is the
 * bundle's, as for NodejsFunction; stacks excluded from bundling (`cdk synth --exclusively`, the infra tests) skip it.
 * Bundling is local only: a failure stops the synthesis with the bundler's message (the Docker image below is never
 * used, `tryBundle` either succeeds or throws).
 */
function lambdaCode(projectRoot: string, entry: string, files: Readonly<Record<string, string>>): Code {
  const cli = join(projectRoot, 'infra', 'bundling', 'cli.ts');
  const names = Object.keys(files).sort();
  for (const name of names) {
    if (basename(name) !== name || name.startsWith('index.mjs')) {
      throw new Error(
        `spokelink: ${name} cannot be written beside the bundle (a plain file name other than index.mjs*)`,
      );
    }
  }
  // The files' digest is in the bundling command too: CDK caches staged assets by source path and bundling options.
  const filesDigest = createHash('sha256')
    .update(JSON.stringify(names.map((name) => [name, files[name]])))
    .digest('hex');
  return Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: Runtime.NODEJS_24_X.bundlingImage,
      // The command names the entry: CDK caches staged assets by source path and bundling options, and every
      // function's source path is the repository, so without it all functions would get the first one's bundle.
      command: [
        'bash',
        '-c',
        `echo "spokelink bundles ${relative(projectRoot, entry)} (files ${filesDigest}) locally: run the CDK app where npm ci has run" >&2; exit 1`,
      ],
      local: {
        tryBundle(outputDir: string): boolean {
          execFileSync(process.execPath, ['--import', 'tsx', cli, entry, outputDir], {
            cwd: projectRoot,
            stdio: ['ignore', 'inherit', 'inherit'],
            env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          });
          for (const name of names) writeFileSync(join(outputDir, name), files[name]!);
          return true;
        },
      },
    },
  });
}
