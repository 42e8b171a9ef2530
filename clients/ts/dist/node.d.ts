// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/** @tickwire/client for Node: the same API, with the `ws` package (an optional peer dependency) as the WebSocket. */
export * from './src/client/node.js';
export type * as Contract from './generated/types.js';
export { ErrorCodes, CloseCodes } from './generated/codes.js';
