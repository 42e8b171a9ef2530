import { File, Text } from '@asyncapi/generator-react-sdk';

/*
 * The Tickwire template: one entry that renders every file of generated/ from the contract.
 * The work is done by plain CommonJS helpers in ../lib (kept out of the transpiled bundle on purpose).
 */
const path = require('path');
const fs = require('fs');
const YAML = require('yaml');

export default async function ({ originalAsyncAPI }) {
  const lib = (name) => require(path.join(__dirname, '..', 'lib', name));
  const { buildModel, HEADER } = lib('model.cjs');
  const spec = YAML.parse(originalAsyncAPI);
  const model = buildModel(spec);
  const { js, dts, strictJs, strictDts } = lib('gen-validators.cjs').generateValidators(model);
  const runtime = fs.readFileSync(path.join(__dirname, '..', 'static', 'runtime.ts'), 'utf8');
  const files = {
    // JSON has no comments: the do-not-edit header is an extension key (allowed at the root of an AsyncAPI document).
    'asyncapi.json': JSON.stringify({ 'x-generated': HEADER.replace(/^\/\/ /, '').trim(), ...spec }, null, 2) + '\n',
    'types.ts': await lib('gen-types.cjs').generateTypes(model),
    'validators.js': js,
    'validators.d.ts': dts,
    'validators-strict.js': strictJs,
    'validators-strict.d.ts': strictDts,
    'runtime.ts': HEADER + runtime,
    'messages.ts': lib('gen-messages.cjs').generateMessages(model),
    'topics.ts': lib('gen-topics.cjs').generateTopics(model),
    'codes.ts': lib('gen-codes.cjs').generateCodes(model),
    'client.ts': lib('gen-client.cjs').generateClient(model),
  };
  return Object.entries(files).map(([name, content]) => (
    <File name={name}>
      <Text>{content}</Text>
    </File>
  ));
}
