/** The wire protocol's version. Bump it only with a changelog entry in docs/protocol.md. */
export const PROTOCOL_VERSION = 1;
