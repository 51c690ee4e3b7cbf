import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A sandbox endpoint once it listens: where it is, and how to stop it. */
export interface ListeningEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts a local endpoint on 127.0.0.1 (port 0 picks a free one). close() also ends
 * kept-alive connections, so a test that stops the sandbox lets the process exit.
 */
export async function listenLocally(server: Server, options: { host?: string; port?: number }): Promise<ListeningEndpoint> {
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
