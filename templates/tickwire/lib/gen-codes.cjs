'use strict';
const { HEADER } = require('./model.cjs');

const q = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The one table of error codes and the one table of close codes, from x-tickwire-* in the contract. */
function generateCodes(model) {
  const out = [HEADER,
    '/** Stable error codes sent in `error` messages (components.schemas.ErrorCode), with their meaning. */',
    'export const ErrorCodes = {',
    ...Object.entries(model.errorCodes).map(([c, d]) => `  ${c}: ${q(d)},`),
    '} as const;',
    'export type ErrorCode = keyof typeof ErrorCodes;',
    '',
    '/**',
    ' * WebSocket close codes with their reasons (each under 123 bytes).',
    ' * 4000-4499: the client may reconnect with backoff; 4500-4999: do not reconnect without changing something.',
    ' */',
    'export const CloseCodes = {',
    ...Object.entries(model.closeCodes).map(([n, c]) => `  ${n}: { code: ${c.code}, reason: ${q(c.reason)}, reconnect: ${c.reconnect} },`),
    '} as const;',
    'export type CloseCodeName = keyof typeof CloseCodes;',
    '',
  ];
  return out.join('\n');
}

module.exports = { generateCodes };
