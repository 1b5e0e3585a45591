/**
 * The page frame: head (one stylesheet, no script), a header that says who you are (and offers
 * log in / log out), the content. `page()` renders it with the status and headers every UI page
 * shares; the security headers themselves are added by the UI middleware.
 */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { AppEnv } from '../env';
import type { Principal } from '../services/auth';
import { CSS_URL } from './styles';
import { API_PAGE, LOGIN_PATH, LOGOUT_PATH, UI_ROOT } from './urls';

function Who({ principal, publicRead }: { principal: Principal | null | undefined; publicRead: boolean }) {
  if (principal) {
    return (
      <div class="who">
        <span>
          signed in as <strong>{principal.name}</strong>
          {principal.namespaces ? ` (namespaces: ${principal.namespaces.join(', ')})` : ''}
        </span>
        <form method="post" action={LOGOUT_PATH}>
          <button type="submit" class="link">
            Log out
          </button>
        </form>
      </div>
    );
  }
  return (
    <div class="who">
      {publicRead ? <span>public read-only view</span> : null}
      <a href={LOGIN_PATH}>Log in</a>
    </div>
  );
}

export function Layout(props: {
  title: string;
  principal: Principal | null | undefined;
  publicRead: boolean;
  children?: Child;
}) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · Cairn`}</title>
        <link rel="stylesheet" href={CSS_URL} />
        {/* No favicon request: the browser would otherwise ask /favicon.ico on every page. */}
        <link rel="icon" href="data:," />
      </head>
      <body>
        <header class="top">
          <a class="brand" href={UI_ROOT}>
            Cairn
          </a>
          <nav class="links" aria-label="site">
            <a href={UI_ROOT}>Artifacts</a>
            <a href={API_PAGE}>API</a>
          </nav>
          <Who principal={props.principal} publicRead={props.publicRead} />
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

export type Status = 200 | 400 | 401 | 403 | 404 | 405 | 409 | 410 | 411 | 413 | 415 | 416 | 422 | 429 | 500;

/** Renders `content` inside the layout as a complete HTML document. */
export async function page(c: Context<AppEnv>, title: string, content: Child, status: Status = 200) {
  const doc = (
    <Layout title={title} principal={c.var.principal} publicRead={c.var.deps.config?.publicRead ?? false}>
      {content}
    </Layout>
  );
  return c.body(`<!doctype html>${await doc.toString()}`, status, {
    'Content-Type': 'text/html; charset=utf-8',
  });
}

/** A same-origin hop to `target` (a path of this UI) that needs no script: a meta refresh. */
export async function bouncePage(target: string): Promise<string> {
  const doc = (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="refresh" content={`0;url=${target}`} />
        <title>Cairn</title>
      </head>
      <body>
        <p>
          <a href={target}>Continue</a>
        </p>
      </body>
    </html>
  );
  return `<!doctype html>${await doc.toString()}`;
}
