import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type IDestination, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Retention of every spokelink log group (Lambda and state machines). */
export const LOG_RETENTION = RetentionDays.THREE_MONTHS;

/**
 * ESM output needs `require` for the CommonJS dependencies esbuild inlines (the AWS SDK, zod): the usual banner.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __spokelinkCreateRequire } from 'node:module';" +
  'const require = __spokelinkCreateRequire(import.meta.url);';

export interface SpokelinkFunctionProps {
  /** Step name: the folder under the functions directory (`transit-gateway`). */
  readonly name: string;
  /** Physical function name (`<prefix>-<name>`). */
  readonly functionName: string;
  /** Role name; the spoke execution role trusts the `<prefix>-fn-*` pattern. */
  readonly roleName: string;
  /** Absolute path of `handler.ts`. */
  readonly entry: string;
  /** Repository root (esbuild's working directory, where package-lock.json and tsconfig.json live). */
  readonly projectRoot: string;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /** Asynchronous invocations only (EventBridge targets): where failed events go after the retries. */
  readonly onFailure?: IDestination;
}

/**
 * The one place Lambda defaults are set: arm64, Node.js 22, explicit memory and timeout, its own log group with
 * retention, active tracing, and an esbuild bundle that is ESM, minified, with source maps and the AWS SDK inside
 * (the SDK is pinned in package-lock.json; the runtime's copy would silently differ). Each function has its own role
 * with no managed policy: its permissions come from the manifest (`infra/permissions.ts`).
 */
export class SpokelinkFunction extends Construct {
  readonly function: NodejsFunction;
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

    this.function = new NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
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
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        platform: 'node',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        bundleAwsSDK: true,
        externalModules: [],
        tsconfig: `${props.projectRoot}/tsconfig.json`,
      },
    });
  }
}
