/** The client in Node: the same `connect`, with the `ws` package as its WebSocket (it answers server pings itself). */
import WebSocket from 'ws';
import { TickwireClient, type ClientOptions, type EndpointAddress, type WebSocketFactory } from './client.ts';

export * from './client.ts';

export function connect<E extends EndpointAddress>(url: string, endpoint: E, options: ClientOptions<E> = {}): TickwireClient<E> {
  return new TickwireClient(url, endpoint, { WebSocket: WebSocket as unknown as WebSocketFactory, ...options });
}
