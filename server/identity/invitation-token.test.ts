import { describe, expect, it } from 'vitest';
import { createInvitationTokens, INVITATION_TTL_SECONDS } from './invitation-token.ts';

const SECRET = 'session-secret-that-is-long-enough-0123456789';

describe('invitation tokens', () => {
  const invitations = createInvitationTokens(SECRET);
  const issuedAt = new Date('2026-01-01T00:00:00Z');
  const { token, expiresAt } = invitations.issue({ userId: 'u_1', orgId: 'org_1' }, issuedAt);

  it('names the invited user until it expires', () => {
    expect(invitations.verify(token, issuedAt)).toEqual({ userId: 'u_1', orgId: 'org_1' });
    expect(expiresAt).toBe(new Date(issuedAt.getTime() + INVITATION_TTL_SECONDS * 1000).toISOString());
    expect(invitations.verify(token, new Date(expiresAt))).toBeUndefined();
  });

  it('refuses a token signed with another secret, an altered payload and garbage', () => {
    const other = createInvitationTokens('another-secret-that-is-long-enough-987654');
    expect(other.verify(token, issuedAt)).toBeUndefined();
    const [payload, signature] = token.slice(4).split('.');
    const forged = Buffer.from(JSON.stringify({ u: 'u_owner', o: 'org_1', exp: 4_102_444_800 })).toString('base64url');
    expect(invitations.verify(`inv_${forged}.${signature}`, issuedAt)).toBeUndefined();
    expect(invitations.verify(`inv_${payload}.${signature}x`, issuedAt)).toBeUndefined();
    for (const junk of ['', 'inv_', 'inv_a.b.c', token.slice(4), 'eyJhbGciOiJIUzI1NiJ9.e30.x']) expect(invitations.verify(junk, issuedAt)).toBeUndefined();
  });
});
