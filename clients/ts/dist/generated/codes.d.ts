// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/** Stable error codes sent in `error` messages (components.schemas.ErrorCode), with their meaning. */
export declare const ErrorCodes: {
    readonly INVALID_JSON: "the frame is not valid JSON";
    readonly BINARY_NOT_SUPPORTED: "a binary frame was sent; only JSON text frames are accepted";
    readonly UNKNOWN_TYPE: "the type is missing or not a message this endpoint accepts";
    readonly INVALID_MESSAGE: "the message does not match its schema";
    readonly UNKNOWN_SYMBOL: "the symbol is well-formed but not served by the market source";
    readonly SUBSCRIPTION_LIMIT: "the subscribe would pass the per-connection subscription cap";
    readonly UNKNOWN_STREAM: "a dashboard subscribe named a stream that does not exist";
    readonly UNKNOWN_BACKTEST: "no backtest has this id";
    readonly BACKTEST_FAILED: "the backtest run failed";
    readonly INTERNAL_ERROR: "the server failed while handling a valid request";
    readonly UNAVAILABLE: "the pub/sub broker is unreachable; nothing was changed, retry later";
    readonly FORBIDDEN: "this identity may not read that topic; nothing was changed";
    readonly UNAUTHORIZED: "a token is needed for this endpoint or topic";
    readonly INVALID_TOKEN: "the token is malformed, badly signed, not yet valid, or for another audience or issuer";
    readonly TOKEN_EXPIRED: "the token has expired; send a fresh one";
    readonly HISTORY_UNAVAILABLE: "the market source could not supply history now; retry later";
};
export type ErrorCode = keyof typeof ErrorCodes;
/**
 * WebSocket close codes with their reasons (each under 123 bytes).
 * 4000-4499: the client may reconnect with backoff; 4500-4999: do not reconnect without changing something.
 */
export declare const CloseCodes: {
    readonly GOING_AWAY: {
        readonly code: 1001;
        readonly reason: "server shutting down";
        readonly reconnect: true;
    };
    readonly MESSAGE_TOO_BIG: {
        readonly code: 1009;
        readonly reason: "message too big";
        readonly reconnect: false;
    };
    readonly LIFESPAN_EXPIRED: {
        readonly code: 4000;
        readonly reason: "max connection lifespan reached";
        readonly reconnect: true;
    };
    readonly SLOW_CONSUMER: {
        readonly code: 4001;
        readonly reason: "slow consumer";
        readonly reconnect: true;
    };
    readonly RATE_LIMITED: {
        readonly code: 4002;
        readonly reason: "inbound message rate exceeded";
        readonly reconnect: true;
    };
    readonly SERVER_FULL: {
        readonly code: 4003;
        readonly reason: "server at max connections";
        readonly reconnect: true;
    };
    readonly HEARTBEAT_TIMEOUT: {
        readonly code: 4004;
        readonly reason: "heartbeat timeout";
        readonly reconnect: true;
    };
    readonly INSUFFICIENT_STATE: {
        readonly code: 4005;
        readonly reason: "continuity lost; reconnect and recover";
        readonly reconnect: true;
    };
    readonly UNAVAILABLE: {
        readonly code: 4006;
        readonly reason: "pub/sub broker unreachable; retry later";
        readonly reconnect: true;
    };
    readonly TOKEN_EXPIRED: {
        readonly code: 4007;
        readonly reason: "token expired; reconnect with a fresh token";
        readonly reconnect: true;
    };
    readonly UNKNOWN_BACKTEST: {
        readonly code: 4500;
        readonly reason: "unknown backtest id";
        readonly reconnect: false;
    };
    readonly BAD_REQUEST: {
        readonly code: 4501;
        readonly reason: "invalid connection url";
        readonly reconnect: false;
    };
    readonly INVALID_TOKEN: {
        readonly code: 4502;
        readonly reason: "invalid token";
        readonly reconnect: false;
    };
    readonly UNAUTHORIZED: {
        readonly code: 4503;
        readonly reason: "a token is required for this endpoint";
        readonly reconnect: false;
    };
    readonly FORBIDDEN: {
        readonly code: 4504;
        readonly reason: "not allowed to read this endpoint";
        readonly reconnect: false;
    };
};
export type CloseCodeName = keyof typeof CloseCodes;
