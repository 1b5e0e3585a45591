/** Worker entry: the HTTP app, and the hourly cron (expired uploads, old idempotency records). */
import { createApp } from './app';
import { createDb } from './db/client';
import type { Bindings } from './env';
import { sweepIdempotencyKeys } from './services/idempotency';
import { expireStaleUploads } from './services/uploads';

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    const db = createDb(env.DB);
    ctx.waitUntil(
      Promise.all([expireStaleUploads({ db, bucket: env.BLOBS }), sweepIdempotencyKeys(db)]).then(
        ([dropped]) => console.log(JSON.stringify({ cron: 'maintenance', expiredUploads: dropped })),
      ),
    );
  },
} satisfies ExportedHandler<Bindings>;
