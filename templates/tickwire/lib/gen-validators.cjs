'use strict';
const Ajv = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;
const { HEADER } = require('./model.cjs');
const { rewriteRefs } = require('./gen-types.cjs');

/**
 * Precompiled AJV validators (standalone ESM code) for every component schema: nothing compiles a schema while
 * the server runs. 
 */
function generateValidators(model) {
  const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: true, code: { source: true, esm: true, lines: true } });
  const definitions = {};
  for (const [name, schema] of Object.entries(model.spec.components.schemas)) definitions[name] = rewriteRefs(schema);
  ajv.addSchema({ $id: 'tickwire', definitions });
  const exportsMap = {};
  for (const name of model.schemas) exportsMap[`validate${name}`] = `tickwire#/definitions/${name}`;
  let code = standaloneCode(ajv, exportsMap);
  // AJV's standalone output still require()s its runtime helper for min/maxLength. Inline it, so the file is
  // plain ESM with no imports (loads the same in Node, tsx and browsers). Any other helper fails codegen loudly.
  const inlined = { 'ajv/dist/runtime/ucs2length': require('ajv/dist/runtime/ucs2length').default.toString() };
  const helpers = [];
  code = code.replace(/require\("([^"]+)"\)\.default/g, (_, mod) => {
    if (!inlined[mod]) throw new Error(`validators need AJV runtime helper ${mod}; teach gen-validators.cjs to inline it`);
    let i = helpers.indexOf(mod);
    if (i < 0) i = helpers.push(mod) - 1;
    return `__runtime${i}`;
  });
  if (/require\(/.test(code)) throw new Error('validators still contain require(); teach gen-validators.cjs to inline it');
  const helperLines = helpers.map((m, i) => `const __runtime${i} = ${inlined[m].replace(/^function \w+/, 'function')};`).join('\n');
  const js = HEADER + '/* eslint-disable */\n' + (helperLines ? helperLines + '\n' : '') + code.replace(/^"use strict";/, '') + '\n';

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
