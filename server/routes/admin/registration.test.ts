/**
 * Who can get into the admin API on a server with the default settings:
 * nobody registers an organisation of their own; the owner (bootstrap admin
 * key) invites users, each of whom sets a password once with their token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, TEST_ADMIN_KEY } from '../../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

const PASSWORD = 'a long enough password 1';

describe('registration closed by default, invitations instead', () => {
  let server: TestServer;
  let admin: ReturnType<typeof adminClient>;
  let anonymous: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    server = await createTestServer({ demo: false });
    admin = adminClient(server.app, TEST_ADMIN_KEY);
    anonymous = adminClient(server.app, undefined);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses to register an organisation, whatever the body, and creates none', async () => {
    const before = await server.services.store.db.selectFrom('organisations').select('id').execute();
    const res = await anonymous('POST', '/api/auth/register', { organisation: 'Intruder', name: 'Eve', email: 'eve@intruder.test', password: PASSWORD });
    expect(res.status).toBe(403);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.json.code).toBe('ERR_REGISTRATION_CLOSED');
    expect((await anonymous('POST', '/api/auth/register', '{not json')).json.code).toBe('ERR_REGISTRATION_CLOSED');
    expect(await server.services.store.db.selectFrom('organisations').select('id').execute()).toEqual(before);
    expect((await anonymous('POST', '/api/auth/login', { email: 'eve@intruder.test', password: PASSWORD })).json.code).toBe('ERR_LOGIN_FAILED');
  });

  it('lets an invited user join once with the token, in the role the admin chose', async () => {
    const invited = await admin('POST', '/api/users/invitations', { email: 'Ivy@Acme.test', name: 'Ivy', role: 'analyst' });
    expect(invited.status).toBe(201);
    expect(invited.json).toMatchObject({ email: 'ivy@acme.test', role: 'analyst', invitationToken: expect.stringMatching(/^inv_/) });
    const token: string = invited.json.invitationToken;

    // No password yet: nothing logs in as the invited user.
    expect((await anonymous('POST', '/api/auth/login', { email: 'ivy@acme.test', password: PASSWORD })).json.code).toBe('ERR_LOGIN_FAILED');

    const accepted = await anonymous('POST', '/api/auth/accept-invitation', { token, password: PASSWORD });
    expect(accepted.status).toBe(200);
    expect(accepted.json.user).toMatchObject({ id: invited.json.id, orgId: server.services.defaultOrgId, role: 'analyst' });
    const me = await adminClient(server.app, accepted.json.accessToken)('GET', '/api/auth/me');
    expect(me.json).toMatchObject({ orgId: server.services.defaultOrgId, role: 'analyst', actor: { type: 'user', id: invited.json.id } });
    expect((await anonymous('POST', '/api/auth/login', { email: 'ivy@acme.test', password: PASSWORD })).status).toBe(200);

    // Used up: the same token cannot set another password.
    const again = await anonymous('POST', '/api/auth/accept-invitation', { token, password: 'another long password 2' });
    expect(again.status).toBe(401);
    expect(again.json.code).toBe('ERR_INVITATION_INVALID');
    expect((await anonymous('POST', '/api/auth/login', { email: 'ivy@acme.test', password: PASSWORD })).status).toBe(200);

    // The token was shown once and never written to the audit trail.
    const audit = await admin('GET', '/api/audit');
    expect(audit.text).not.toContain(token);
  });

  it('refuses a forged token and one whose user was deleted', async () => {
    expect((await anonymous('POST', '/api/auth/accept-invitation', { token: 'inv_e30.AAAA', password: PASSWORD })).json.code).toBe('ERR_INVITATION_INVALID');
    const invited = await admin('POST', '/api/users/invitations', { email: 'gone@acme.test', name: 'Gone', role: 'viewer' });
    expect((await admin('DELETE', `/api/users/${invited.json.id}`)).status).toBe(204);
    const res = await anonymous('POST', '/api/auth/accept-invitation', { token: invited.json.invitationToken, password: PASSWORD });
    expect(res.json.code).toBe('ERR_INVITATION_INVALID');
  });

  it('lets only callers who may add users invite, and no one above their own rights', async () => {
    const viewer = await admin('POST', '/api/users/invitations', { email: 'vera@acme.test', name: 'Vera', role: 'viewer' });
    const session = await anonymous('POST', '/api/auth/accept-invitation', { token: viewer.json.invitationToken, password: PASSWORD });
    const asViewer = adminClient(server.app, session.json.accessToken);
    const res = await asViewer('POST', '/api/users/invitations', { email: 'mallory@acme.test', name: 'Mallory', role: 'owner' });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('ERR_FORBIDDEN');
    expect((await admin('POST', '/api/users/invitations', { email: 'vera@acme.test', name: 'Vera again', role: 'viewer' })).json.code).toBe('ERR_CONFLICT');
  });
});
