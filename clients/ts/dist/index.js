// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/** @tickwire/client for browsers (and any runtime with a global WebSocket): the typed Tickwire client. */
export * from "./src/client/client.js";
export { ErrorCodes, CloseCodes } from "./generated/codes.js";
