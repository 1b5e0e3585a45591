/**
 * /ui/login: a form posting `token` (and where to go next), checked with the API's own
 * credential check (`checkCredentials`, failed-authentication limiter included); on success the
 * token goes into the session cookie and the browser is sent on. /ui/logout forgets it. Both POSTs are CSRF-checked by the routes (Origin or
 * Sec-Fetch-Site must be this origin) on top of the cookie's SameSite=Strict.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { checkCredentials } from '../middleware/auth';
import { Note } from './components';
import { page } from './layout';
import { endSession, safeNext, startSession } from './session';
import { LOGIN_PATH, LOGOUT_PATH, UI_ROOT } from './urls';

const loginForm = z.object({
  token: z.string().trim().min(1, 'enter a token').max(1024, 'that is too long to be a token'),
  next: z.string().max(2048).optional(),
});

function LoginForm(props: { next: string; error?: string | undefined }) {
  return (
    <section class="login">
      <h1>Log in</h1>
      <p class="muted">
        Paste an API token (any scope can read). It is kept in an HttpOnly cookie for this site only.
      </p>
      {props.error ? <Note error>{props.error}</Note> : null}
      <form method="post" action={LOGIN_PATH}>
        <p>
          <label for="token">Token</label>
          <br />
          <input id="token" name="token" type="password" autocomplete="current-password" required />
        </p>
        <input type="hidden" name="next" value={props.next} />
        <button type="submit">Log in</button>
      </form>
    </section>
  );
}

export function showLogin(c: Context<AppEnv>) {
  return page(c, 'Log in', <LoginForm next={safeNext(c, c.req.query('next'))} />);
}

export async function submitLogin(c: Context<AppEnv>) {
  const body = await c.req.parseBody();
  const parsed = loginForm.safeParse({ token: body.token, next: body.next });
  const next = safeNext(c, typeof body.next === 'string' ? body.next : undefined);
  if (!parsed.success) {
    return page(c, 'Log in', <LoginForm next={next} error={parsed.error.issues[0]?.message} />, 400);
  }
  // Counted by the failed-authentication limiter like any API request (429 when over it).
  const result = await checkCredentials(c, parsed.data.token);
  if (!result.ok || !result.principal) {
    const error = result.ok ? 'the token is not valid' : result.message;
    return page(c, 'Log in', <LoginForm next={next} error={`Not logged in: ${error}.`} />, 401);
  }
  startSession(c, parsed.data.token);
  return c.redirect(next, 303);
}

export function showLogout(c: Context<AppEnv>) {
  // A GET never logs out (link prefetchers would); it offers the button.
  return page(
    c,
    'Log out',
    <form method="post" action={LOGOUT_PATH}>
      <button type="submit">Log out</button>
    </form>,
  );
}

export function submitLogout(c: Context<AppEnv>) {
  endSession(c);
  return c.redirect(`${LOGIN_PATH}?next=${encodeURIComponent(UI_ROOT)}`, 303);
}
