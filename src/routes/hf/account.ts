/**
 * `GET /hf/api/whoami-v2`: who the token is, in the shape `huggingface_hub` reads (`whoami()`,
 * and `login()`, which validates a token with it and stores it under `auth.accessToken
 * .displayName`). A Cairn token has no user behind it: its name stands for both, its namespaces
 * (all of them: none listed) for the organizations, its scopes for the Hub's read/write role.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { hasScope } from '../../services/auth';

export const hfAccountRoutes = new Hono<AppEnv>().get('/whoami-v2', (c) => {
  const principal = c.var.principal;
  // Even where anonymous reads are allowed: there is no one to describe without a token.
  if (!principal)
    throw new ApiError('UNAUTHORIZED', 'this needs a token: send "Authorization: Bearer hf_<cairn token>"');
  return c.json({
    type: 'user',
    id: principal.id,
    name: principal.name,
    fullname: principal.name,
    orgs: (principal.namespaces ?? []).map((name) => ({ type: 'org', name, fullname: name })),
    auth: {
      type: 'access_token',
      accessToken: { displayName: principal.name, role: hasScope(principal, 'write') ? 'write' : 'read' },
    },
  });
});
