import { parseConfig } from '#shared/config';
import { ConfigurationError } from '#shared/errors';

/** The message of the ConfigurationError a configuration document is refused with; fails the test if accepted. */
export function refusal(document: unknown): string {
  try {
    parseConfig(document, 'hub.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}
