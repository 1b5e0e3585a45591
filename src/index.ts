/** Worker entry: the HTTP app, and the cron that aborts expired multipart uploads. */
import { createApp } from './app';
import { createDb } from './db/client';
import type { Bindings } from './env';
import { expireStaleUploads } from './services/uploads';

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(
      expireStaleUploads({ db: createDb(env.DB), bucket: env.BLOBS }).then((n) =>
        console.log(JSON.stringify({ cron: 'expire-uploads', dropped: n })),
      ),
    );
  },
} satisfies ExportedHandler<Bindings>;
