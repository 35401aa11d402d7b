// Test process environment: quiet SDK, no real credentials, never a real endpoint by accident.
import '#local/polyfills';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_REGION ??= 'us-east-1';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_DEV ??= 'false';
// Handlers called directly (not through a local hub) would print their EMF metrics on stdout.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// aws-cdk-lib validates every synthesized template against CloudFormation's schemas and rules (its built-in
// CloudFormation validation, a WebAssembly engine: about 3 s of CPU per distinct hub template, most of the infra
// tests' time). The infra tests assert what a template holds; that each kind of template is valid CloudFormation is
// asserted once, with the validation on, in test/infra/cfn-validation.test.ts (and by `npm run synth` in .ci/run).
process.env.CDK_VALIDATION ??= 'false';
