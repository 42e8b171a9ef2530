'use strict';
const Ajv = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;
const { HEADER } = require('./model.cjs');
const { rewriteRefs } = require('./gen-types.cjs');

/**
 * Precompiled AJV validators (standalone ESM code) for every component schema: nothing compiles a schema while
 * the server runs. AJV runtime helpers it still requires are turned into ESM imports.
 */
function generateValidators(model) {
  const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: true, code: { source: true, esm: true, lines: true } });
  const definitions = {};
  for (const [name, schema] of Object.entries(model.spec.components.schemas)) definitions[name] = rewriteRefs(schema);
  ajv.addSchema({ $id: 'tickwire', definitions });
  const exportsMap = {};
  for (const name of model.schemas) exportsMap[`validate${name}`] = `tickwire#/definitions/${name}`;
  let code = standaloneCode(ajv, exportsMap);
  // Any runtime helper AJV still requires becomes an ESM import (keeps the file loadable in browsers and Node).
  const imports = [];
  code = code.replace(/require\("([^"]+)"\)/g, (_, mod) => {
    let i = imports.indexOf(mod);
    if (i < 0) i = imports.push(mod) - 1;
    return `__runtime${i}`;
  });
  const importLines = imports.map((m, i) => `import __runtime${i} from '${m}.js';`).join('\n');
  const js = HEADER + '/* eslint-disable */\n' + (importLines ? importLines + '\n' : '') + code.replace(/^"use strict";/, '') + '\n';

  const dts = [HEADER, "import type * as T from './types.ts';", '',
    '/** An AJV standalone validator: returns true when valid; on false, `errors` holds why. */',
    'export interface Validator<Value> {',
    '  (data: unknown): data is Value;',
    '  errors?: ValidationIssue[] | null;',
    '}',
    'export interface ValidationIssue {',
    '  instancePath: string;',
    '  schemaPath: string;',
    '  keyword: string;',
    '  params: Record<string, unknown>;',
    '  message?: string;',
    '}',
    '',
    ...model.schemas.map((n) => `export declare const validate${n}: Validator<T.${n}>;`),
    ''].join('\n');
  return { js, dts };
}

module.exports = { generateValidators };
