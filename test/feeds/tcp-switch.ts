import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

/** What a {@link TcpSwitch} does with connections. */
export type SwitchMode = 'forward' | 'black-hole';

/**
 * A raw TCP server in front of a service: in `forward` mode it pipes each connection to the
 * service; in `black-hole` mode it accepts connections, reads what is sent and never answers,
 * like a dependency that is up but stuck.
 */
export interface TcpSwitch {
  readonly url: string;
  /** Changes the mode; open connections are cut so that keep-alive cannot bypass the switch. */
  set(mode: SwitchMode): void;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Starts a switch on 127.0.0.1 in front of `target` (an http://host:port URL), forwarding. */
export async function startTcpSwitch(target: string): Promise<TcpSwitch> {
  const { hostname, port } = new URL(target);
  let mode: SwitchMode = 'forward';
  let accepted = 0;
  const open = new Set<Socket>();
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    // A peer cut (ours or feeds') must not crash the test process.
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    accepted += 1;
    track(client);
    if (mode === 'black-hole') {
      client.resume();
      return;
    }
    const upstream = connect(Number(port), hostname);
    track(upstream);
    client.pipe(upstream).pipe(client);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const cutAll = (): void => {
    for (const socket of open) {
      socket.destroy();
    }
  };
  return {
    url: `http://127.0.0.1:${address.port}`,
    set(next) {
      mode = next;
      cutAll();
    },
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
