import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type DynaliteRequests, dynaliteRequests } from './dynamo-direct';
import { registryTableDefinition } from './registry-table';

/**
 * DynamoDB for local runs: dynalite (a real DynamoDB emulator on LevelDB/memdown), started in this process on
 * 127.0.0.1 and a free port. The registry code talks to it through the ordinary SDK client: the only switch is the
 * service-specific endpoint variable `AWS_ENDPOINT_URL_DYNAMODB`, which SDK v3 clients read at construction
 * ("Service-specific endpoints", https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
 */

/** The environment variable SDK v3 reads for the DynamoDB endpoint. */
export const DYNAMODB_ENDPOINT_ENV = 'AWS_ENDPOINT_URL_DYNAMODB';

type DynaliteFactory = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

export interface StartDynamoOptions {
  /** Called when a request reaches the server; the returned function when its response is done (IO tracking). */
  onRequest?: () => () => void;
}

/** An HTTP request as the SDK sends it (method, path, query, headers, body). */
export interface DynamoWireRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** A request the SDK's retry and signing middleware pass by (they act on HTTP requests only). */
export interface UnsignedRequest {
  unsigned: DynamoWireRequest;
}

/**
 * The direct transport of the bench (`LocalHubOptions.sdkTransport`): a DynamoDB request to the in-process dynalite
 * carries an Authorization header of the form SigV4 gives (the caller's access key and credential scope) with a
 * placeholder signature, and is wrapped so that the SDK's signer passes it by. dynalite checks that the header has
 * the SigV4 parts and never verifies the signature (dynalite's index.js: "Authorization header requires ..."), so it
 * answers as for the signed request; SigV4 signing (HMACs and the payload hash) was about 5% of a bench job's CPU.
 */
export function unsignedRequest(request: DynamoWireRequest, context: object): UnsignedRequest {
  const smithy = (context as { __smithy_context?: { selectedHttpAuthScheme?: SelectedScheme } }).__smithy_context;
  const scheme = smithy?.selectedHttpAuthScheme;
  const region = scheme?.httpAuthOption?.signingProperties?.region ?? 'us-east-1';
  const amzDate = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const scope = `${scheme?.identity?.accessKeyId ?? ''}/${amzDate.slice(0, 8)}/${region}/dynamodb/aws4_request`;
  request.headers['x-amz-date'] = amzDate;
  request.headers.authorization = `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=unsigned`;
  return { unsigned: request };
}

/** The request of `unsignedRequest`, or the (signed) request itself. */
export function unwrapUnsigned(request: unknown): unknown {
  return (request as Partial<UnsignedRequest>).unsigned ?? request;
}

type SelectedScheme = {
  identity?: { accessKeyId?: string };
  httpAuthOption?: { signingProperties?: { region?: string } };
};

/** dynalite's answer: status, headers (lower-case names, as Node.js gives them) and body bytes. */
export interface DynamoWireResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A running dynalite server. */
export class LocalDynamo {
  private stopped = false;
  private inflight = 0;
  /** dynalite's own request listener (captured before `track` adds the counting one). */
  private readonly listener: RequestListener;

  constructor(
    private readonly server: Server,
    readonly port: number,
    /** dynalite's validations and actions on the server's own store (the registry's direct path). */
    readonly requests: DynaliteRequests,
  ) {
    this.listener = server.listeners('request')[0] as RequestListener;
  }

  /**
   * Answers one request with dynalite's own HTTP handler, in process: the same parsing, validation, store and
   * response bytes as a request on the socket, without the socket (a loopback round trip costs more than dynalite's
   * work; `createLocalHub` uses this transport unless told `dynamoTransport: 'http'`).
   */
  handle(request: DynamoWireRequest): Promise<DynamoWireResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(request.query ?? {})) {
        for (const v of Array.isArray(value) ? value : [value]) query.append(key, v ?? '');
      }
      const search = query.toString();
      const req = Object.assign(new EventEmitter(), {
        method: request.method,
        url: `${request.path || '/'}${search ? `?${search}` : ''}`,
        headers,
      });
      const responseHeaders: Record<string, string> = {};
      const res = {
        statusCode: 200,
        setHeader(name: string, value: string | number) {
          responseHeaders[name.toLowerCase()] = String(value);
        },
        end(body?: string | Buffer) {
          resolve({
            statusCode: res.statusCode,
            headers: responseHeaders,
            body: body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
          });
        },
      };
      try {
        this.listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
        const body = request.body;
        if (body !== undefined && body !== null && body !== '') {
          // The SDK's JSON body is a Uint8Array subclass whose valueOf() warns: view its bytes instead of converting.
          const bytes =
            body instanceof Uint8Array
              ? Buffer.from(body.buffer, body.byteOffset, body.byteLength)
              : Buffer.from(String(body), 'utf8');
          req.emit('data', bytes);
        }
        req.emit('end');
      } catch (error) {
        reject(error);
      }
    });
  }

  /** `http://127.0.0.1:<port>`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests received by the server whose response is not finished yet. */
  get requestsInFlight(): number {
    return this.inflight;
  }

  /** @internal counts requests (see startDynalite). */
  track(onRequest?: () => () => void): void {
    this.server.on('request', (_req, res) => {
      this.inflight += 1;
      const done = onRequest?.();
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        this.inflight -= 1;
        done?.();
      };
      res.once('finish', finish);
      res.once('close', finish);
    });
  }

  /** A DynamoDB client pointed at this server (dummy credentials: dynalite does not check signatures). */
  client(region = 'us-east-1'): DynamoDBClient {
    return new DynamoDBClient({
      region,
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 3,
    });
  }

  /** Creates the registry table (definition shared with the moto tier) and waits until it is ACTIVE. */
  async createRegistryTable(tableName: string, client: DynamoDBClient = this.client()): Promise<void> {
    try {
      await client.send(new CreateTableCommand(registryTableDefinition(tableName)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    // dynalite flips CREATING -> ACTIVE on a timer (createTableMs): create tables before faking timers.
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`dynalite: table ${tableName} did not become ACTIVE`);
  }

  /** Every item of a table, unmarshalled (paginated scan). */
  async scan(tableName: string, client: DynamoDBClient = this.client()): Promise<Record<string, unknown>[]> {
    const documents = DynamoDBDocumentClient.from(client);
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /**
   * Points every SDK client created from now on at this server (`AWS_ENDPOINT_URL_DYNAMODB`); returns a function
   * that restores the previous value.
   */
  useAsDefaultEndpoint(): () => void {
    const previous = process.env[DYNAMODB_ENDPOINT_ENV];
    process.env[DYNAMODB_ENDPOINT_ENV] = this.endpoint;
    return () => {
      if (previous === undefined) delete process.env[DYNAMODB_ENDPOINT_ENV];
      else process.env[DYNAMODB_ENDPOINT_ENV] = previous;
    };
  }

  /** True until `stop()`. */
  get running(): boolean {
    return !this.stopped;
  }

  /**
   * Stops the server and closes its store. Uses timers internally: call it with real timers installed.
   * Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Keep-alive sockets of SDK clients would hold `close()` open until they time out.
    (this.server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise<void>((resolve, reject) => {
      this.server.close((error?: Error) => (error ? reject(error) : resolve()));
    });
  }
}

const STRINGS = Symbol.for('spokelink.local.memoryLevelStrings');

/** A store iterator as `closing` sees it (abstract-level 3's, with the `return()` dynalite calls). */
type StoreIterator = { next(): Promise<unknown>; close(): Promise<void>; return?: () => Promise<void> };

/**
 * dynalite keeps its tables in a `memory-level` store, which it creates without options: keys and values are stored
 * as Buffers, each a slice of Node's 8 KB allocation pool, and one live slice keeps its whole slab (a 5,000-VPC day held
 * about 0.4 MB of such slabs per VPC: docs/performance.md, "bulk5000"). `memory-level`'s `storeEncoding: 'utf8'`
 * stores strings instead; the order is the same, because dynalite's keys are hex text (its `createKey`), whose order
 * as strings is their order as bytes; and its iterators close (`closing`). Set before dynalite's `db` module takes
 * `MemoryLevel` (its first require).
 */
function storeStrings(): void {
  type Ctor = new (
    location?: unknown,
    options?: Record<string, unknown>,
  ) => { keys(options?: unknown): StoreIterator; values(options?: unknown): StoreIterator };
  const memoryLevel = require('memory-level') as { MemoryLevel: Ctor; [STRINGS]?: true };
  if (memoryLevel[STRINGS]) return;
  const Base = memoryLevel.MemoryLevel;
  memoryLevel.MemoryLevel = class extends Base {
    constructor(location?: unknown, options?: Record<string, unknown>) {
      const given = typeof location === 'object' && location !== null ? (location as Record<string, unknown>) : options;
      super({ storeEncoding: 'utf8', ...given });
    }

    override keys(options?: unknown): StoreIterator {
      return closing(super.keys(options));
    }

    override values(options?: unknown): StoreIterator {
      return closing(super.values(options));
    }
  };
  memoryLevel[STRINGS] = true;
}

/**
 * An iterator that closes itself. dynalite reads a Query's or Scan's items through a stream over `values()` (`keys()`
 * for some), which it ends by calling the iterator's `return()`, a method abstract-level 3's iterators do not have:
 * none was ever closed, and each stayed attached to the store with the version of the store's tree it started on (a
 * 300-VPC day ended with 1,795 open iterators holding the old versions of the items rewritten since, such as every
 * renewal of every lease). Closed at its end, or by `return()`.
 */
function closing<T extends StoreIterator>(iterator: T): T {
  const next = iterator.next.bind(iterator);
  iterator.next = async () => {
    const item = await next();
    if (item === undefined) await iterator.close();
    return item;
  };
  iterator.return ??= () => iterator.close();
  return iterator;
}

/**
 * dynalite's server and the store it serves. `dynalite()` creates its store inside (`db.create(options)`) and binds
 * its HTTP handler to it; the store is taken from that call (dynalite's index.js calls `db.create` through the
 * module object) so that the direct path (`dynaliteRequests`) and the server share one store.
 */
function dynaliteWithStore(options: Parameters<DynaliteFactory>[0]): { server: Server; store: unknown } {
  storeStrings();
  const dynalite = require('dynalite') as DynaliteFactory;
  const db = require('dynalite/db') as { create: (options: object) => unknown };
  const create = db.create;
  let store: unknown;
  db.create = (createOptions: object) => {
    store = create(createOptions);
    return store;
  };
  try {
    const server = dynalite(options);
    if (store === undefined) throw new Error('dynalite: its store was not created through db.create');
    return { server, store };
  } finally {
    db.create = create;
  }
}

/** Starts dynalite in this process on 127.0.0.1 and a free port; tables are ACTIVE as soon as created. */
export async function startDynalite(options: StartDynamoOptions = {}): Promise<LocalDynamo> {
  const { server, store } = dynaliteWithStore({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const dynamo = new LocalDynamo(server, port, dynaliteRequests(store));
  dynamo.track(options.onRequest);
  return dynamo;
}
