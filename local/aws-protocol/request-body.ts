import type { IncomingMessage } from 'node:http';

/** The whole body of a request, as bytes. */
export function readRequestBytes(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The whole body of a request, as UTF-8 text. */
export async function readRequestBody(request: IncomingMessage): Promise<string> {
  return (await readRequestBytes(request)).toString('utf8');
}
