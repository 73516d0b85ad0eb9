/** Node entry of the SDK: what a host backend needs. */
export { signEmbedToken } from './sign-embed-token.ts';
export type { SignEmbedTokenOptions } from './sign-embed-token.ts';
export type { EmbedPermission, EmbedTokenClaims } from './protocol.ts';
