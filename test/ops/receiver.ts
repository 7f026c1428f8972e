/**
 * A local webhook receiver on 127.0.0.1 port 0: records each POSTed JSON body (`bodies`) and every accepted
 * request as it came (`requests`: raw body and headers); `failFirst` answers 500 first.
 */
import { createServer, type Server } from 'node:http';

export interface Receiver {
  readonly url: string;
  readonly bodies: Record<string, unknown>[];
  readonly requests: { body: string; headers: Record<string, string | string[] | undefined> }[];
  /** requests seen, answered or not */
  hits: number;
  close(): Promise<void>;
}

export async function startReceiver(o: { failFirst?: number } = {}): Promise<Receiver> {
  let fail = o.failFirst ?? 0;
  const r: Pick<Receiver, 'bodies' | 'requests' | 'hits'> = { bodies: [], requests: [], hits: 0 };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      r.hits += 1;
      if (fail > 0) {
        fail -= 1;
        res.writeHead(500).end();
        return;
      }
      r.requests.push({ body: raw, headers: req.headers });
      if (String(req.headers['content-type']).startsWith('application/json')) r.bodies.push(JSON.parse(raw) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}/hook/secret-token`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
