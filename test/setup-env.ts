// Test process environment: quiet SDK, no real credentials, never a real endpoint by accident.
import '#local/polyfills';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_REGION ??= 'us-east-1';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_DEV ??= 'false';
// Handlers called directly (not through a local hub) would print their EMF metrics on stdout.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
