// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/* Types for every schema in components.schemas of asyncapi.yaml. */
export {};
