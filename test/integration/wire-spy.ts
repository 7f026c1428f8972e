/**
 * A wire spy for the end-to-end tests: a TCP proxy on a free loopback port in front of the simulator that
 * forwards every byte both ways and records each message the client sends (TWS framing: "API\0", then
 * BE32-length-prefixed frames of NUL-terminated fields; the first field is the message id).
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../src/sim/wire/framing.js';

/** TWS client message ids the tests look for. */
export const MSG = { REQ_MKT_DATA: '1', PLACE_ORDER: '3', REQ_CONTRACT_DATA: '9' } as const;

export interface WireSpy {
  readonly port: number;
  /** every client frame seen so far, as fields (the handshake's version frame included) */
  readonly frames: readonly string[][];
  /** frames whose message id is `id` */
  sent(id: string): string[][];
  close(): Promise<void>;
}

/** Starts the proxy in front of `127.0.0.1:targetPort`. */
export async function startWireSpy(targetPort: number): Promise<WireSpy> {
  const frames: string[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const decoder = new FrameDecoder();
    let handshake = true;
    client.on('data', (chunk: Buffer) => {
      let data = chunk;
      if (handshake) {
        handshake = false;
        if (data.subarray(0, 4).toString('latin1') === 'API\0') data = data.subarray(4);
      }
      decoder.push(data);
      frames.push(...decoder.drain());
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    frames,
    sent: (id) => frames.filter((f) => f[0] === id),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
