/**
 * Identity and access control in one place: users and their sessions,
 * custom roles, API keys, embed keys, the login lockout and the audit log,
 * all over the platform store.
 */
import type { Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { StoreSchema } from '../store/store-schema.ts';
import type { EmbedKeyRing } from '../tokens/embed-key-ring.ts';
import { createApiKeyRepository, type ApiKeyRepository } from './api-key-repository.ts';
import type { AuditLog } from './audit-log.ts';
import { createEmbedKeyRepository, type EmbedKeyRepository } from './embed-key-repository.ts';
import { createInvitationTokens, type InvitationTokens } from './invitation-token.ts';
import { createLoginThrottle, type LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts';
import { createRoleRepository, type RoleRepository } from './role-repository.ts';
import { createSessionService, type SessionService } from './session-service.ts';
import { createSessionKey, type SessionKey } from './session-token.ts';
import { createUserRepository, type UserRepository } from './user-repository.ts';

export interface Identity {
  sessionKey: SessionKey;
  sessions: SessionService;
  users: UserRepository;
  roles: RoleRepository;
  apiKeys: ApiKeyRepository;
  embedKeys: EmbedKeyRepository;
  throttle: LoginThrottle;
  audit: AuditLog;
  /** One-time invitation tokens (signed with a key derived from the session secret). */
  invitations: InvitationTokens;
}

export interface IdentityOptions {
  db: Kysely<StoreSchema>;
  box: SecretBox;
  keys: EmbedKeyRing;
  audit: AuditLog;
  /** Signs session JWTs; separate from every embed secret. */
  sessionSecret: string;
  throttle?: LoginThrottleOptions;
}

export async function createIdentity(options: IdentityOptions): Promise<Identity> {
  const { db, audit } = options;
  const sessionKey = await createSessionKey(options.sessionSecret);
  return {
    sessionKey,
    sessions: createSessionService(db, sessionKey, audit),
    users: createUserRepository(db),
    roles: createRoleRepository(db),
    apiKeys: createApiKeyRepository(db),
    embedKeys: createEmbedKeyRepository(db, options.box, options.keys),
    throttle: createLoginThrottle(db, options.throttle),
    audit,
    invitations: createInvitationTokens(options.sessionSecret),
  };
}
