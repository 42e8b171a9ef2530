'use strict';
const { compile } = require('json-schema-to-typescript');
const { HEADER } = require('./model.cjs');

/** Rewrites '#/components/schemas/X' refs to '#/definitions/X' so one root schema holds every component. */
function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', '#/definitions/') : rewriteRefs(v);
    }
    return out;
  }
  return node;
}

/** TypeScript types for every component schema; names are the component names, wire names kept as written. */
async function generateTypes(model) {
  const definitions = {};
  for (const [name, schema] of Object.entries(model.spec.components.schemas)) {
    definitions[name] = { ...rewriteRefs(schema), title: name };
  }
  const root = {
    title: 'TickwireContractRoot',
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(Object.keys(definitions).map((n) => [n, { $ref: `#/definitions/${n}` }])),
    definitions,
  };
  let ts = await compile(root, 'TickwireContractRoot', {
    bannerComment: '',
    additionalProperties: false,
    unreachableDefinitions: true,
    strictIndexSignatures: true,
    style: { singleQuote: true, printWidth: 120 },
  });
  // The synthetic root only exists to reach every definition; drop it.
  ts = ts.replace(/export interface TickwireContractRoot \{[\s\S]*?\n\}\n/, '');
  ts = ts.replace(/ \*\n \* This interface was referenced by `TickwireContractRoot`'s JSON-Schema\n \* via the `definition` "\w+".\n/g, '');
  ts = ts.replace(/\/\*\*\n \* This interface was referenced by `TickwireContractRoot`'s JSON-Schema\n \* via the `definition` "\w+".\n \*\/\n/g, '');
  return HEADER + '/* Types for every schema in components.schemas of asyncapi.yaml. */\n\n' + ts.trimStart();
}

module.exports = { generateTypes, rewriteRefs };
