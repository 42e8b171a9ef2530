// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/** Stable error codes sent in `error` messages (components.schemas.ErrorCode), with their meaning. */
export const ErrorCodes = {
    INVALID_JSON: 'the frame is not valid JSON',
    BINARY_NOT_SUPPORTED: 'a binary frame was sent; only JSON text frames are accepted',
    UNKNOWN_TYPE: 'the type is missing or not a message this endpoint accepts',
    INVALID_MESSAGE: 'the message does not match its schema',
    UNKNOWN_SYMBOL: 'the symbol is well-formed but not served by the market source',
    SUBSCRIPTION_LIMIT: 'the subscribe would pass the per-connection subscription cap',
    UNKNOWN_STREAM: 'a dashboard subscribe named a stream that does not exist',
    UNKNOWN_BACKTEST: 'no backtest has this id',
    BACKTEST_FAILED: 'the backtest run failed',
    INTERNAL_ERROR: 'the server failed while handling a valid request',
    UNAVAILABLE: 'the pub/sub broker is unreachable; nothing was changed, retry later',
    FORBIDDEN: 'this identity may not read that topic; nothing was changed',
    UNAUTHORIZED: 'a token is needed for this endpoint or topic',
    INVALID_TOKEN: 'the token is malformed, badly signed, not yet valid, or for another audience or issuer',
    TOKEN_EXPIRED: 'the token has expired; send a fresh one',
    HISTORY_UNAVAILABLE: 'the market source could not supply history now; retry later',
};
/**
 * WebSocket close codes with their reasons (each under 123 bytes).
 * 4000-4499: the client may reconnect with backoff; 4500-4999: do not reconnect without changing something.
 */
export const CloseCodes = {
    GOING_AWAY: { code: 1001, reason: 'server shutting down', reconnect: true },
    MESSAGE_TOO_BIG: { code: 1009, reason: 'message too big', reconnect: false },
    LIFESPAN_EXPIRED: { code: 4000, reason: 'max connection lifespan reached', reconnect: true },
    SLOW_CONSUMER: { code: 4001, reason: 'slow consumer', reconnect: true },
    RATE_LIMITED: { code: 4002, reason: 'inbound message rate exceeded', reconnect: true },
    SERVER_FULL: { code: 4003, reason: 'server at max connections', reconnect: true },
    HEARTBEAT_TIMEOUT: { code: 4004, reason: 'heartbeat timeout', reconnect: true },
    INSUFFICIENT_STATE: { code: 4005, reason: 'continuity lost; reconnect and recover', reconnect: true },
    UNAVAILABLE: { code: 4006, reason: 'pub/sub broker unreachable; retry later', reconnect: true },
    TOKEN_EXPIRED: { code: 4007, reason: 'token expired; reconnect with a fresh token', reconnect: true },
    UNKNOWN_BACKTEST: { code: 4500, reason: 'unknown backtest id', reconnect: false },
    BAD_REQUEST: { code: 4501, reason: 'invalid connection url', reconnect: false },
    INVALID_TOKEN: { code: 4502, reason: 'invalid token', reconnect: false },
    UNAUTHORIZED: { code: 4503, reason: 'a token is required for this endpoint', reconnect: false },
    FORBIDDEN: { code: 4504, reason: 'not allowed to read this endpoint', reconnect: false },
};
