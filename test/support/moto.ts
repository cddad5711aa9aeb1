import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * moto's server (https://github.com/getmoto/moto, Apache-2.0): an independent DynamoDB + Streams
 * emulator in Python that the conformance suite and the differential test hold our engine against.
 * Install with `pip install 'moto[server]'` (or `pipx install 'moto[server]'`).
 */
export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Kills the server and waits for it to exit. */
  stop(): Promise<void>;
}

export const MOTO_INSTALL_HINT = "moto is not installed: install it with `pip install 'moto[server]'` (python3), so `moto_server` (or `python3 -m moto.server`) runs";

/** How to launch moto here, or undefined when neither `moto_server` nor `python3 -m moto.server` works. */
export function motoCommand(): { command: string; args: string[] } | undefined {
  const probe = (command: string, args: string[]): boolean => {
    const result = spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 });
    return result.error === undefined && result.status === 0;
  };
  if (probe('moto_server', ['--help'])) return { command: 'moto_server', args: [] };
  if (probe('python3', ['-c', 'import moto.server, flask'])) return { command: 'python3', args: ['-m', 'moto.server'] };
  return undefined;
}

async function freePort(): Promise<number> {
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

/** True once moto answers a DynamoDB ListTables on the endpoint. */
export async function motoAnswers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization: 'AWS4-HMAC-SHA256 Credential=x/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
      },
      body: '{}',
      signal: AbortSignal.timeout(2_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

const children = new Set<ChildProcess>();
let exitHookInstalled = false;
function killChildrenOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}

/**
 * Starts `moto_server` on a free loopback port (falls back to `python3 -m moto.server`), waits
 * until it answers, and returns its endpoint. The child is killed when this process exits, even
 * without `stop()`. Throws with {@link MOTO_INSTALL_HINT} when moto is not installed.
 */
export async function startMoto(options: { readonly port?: number; readonly timeoutMs?: number } = {}): Promise<MotoServer> {
  const launcher = motoCommand();
  if (!launcher) throw new Error(MOTO_INSTALL_HINT);
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(launcher.command, [...launcher.args, '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  killChildrenOnExit();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
    children.delete(child);
  });
  const stop = async (): Promise<void> => {
    if (exited !== undefined) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
    });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!(await motoAnswers(endpoint))) {
    if (exited !== undefined) throw new Error(`moto_server exited (code ${exited}) before answering on ${endpoint}:\n${stderr}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within ${options.timeoutMs ?? 30_000} ms:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { endpoint, stop };
}
