// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
import { TickwireClient, type ClientOptions, type EndpointAddress } from './client.js';
export * from './client.js';
export declare function connect<E extends EndpointAddress>(url: string, endpoint: E, options?: ClientOptions<E>): TickwireClient<E>;
