import { mockClient } from 'aws-sdk-client-mock';

/**
 * aws-sdk-client-mock's `mockClient`, installed for the tests of the calling file only: the stub of `send` is put on
 * the client (an instance, or a client class's prototype) before the file's first test and taken off after its last.
 * A file calling `mockClient` itself at its top level would stub the client while a batch collects its files, so for
 * every file of the batch (test/batches/partition.js runs such a file alone); one using this helper shares a batch.
 * Call it at a file's top level (it registers the file's `beforeAll` and `afterAll`).
 */
export const mockClientForFile: typeof mockClient = (client) => {
  const stub = mockClient(client);
  stub.restore();
  // `reset` stubs `send` anew: aws-sdk-client-mock runs mockClient again on the same client (instance or prototype).
  beforeAll(() => stub.reset());
  afterAll(() => stub.restore());
  return stub;
};
