import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// Tests run inside workerd with the real (local) D1 and R2 of wrangler.toml; the migrations in
// /migrations are applied by test/setup/apply-migrations.ts before any test.
export default defineConfig(async () => {
  const migrations = await readD1Migrations('./migrations');
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ADMIN_TOKEN: 'test-admin-token',
            // A test-only registry signing key (ECDSA P-256, PKCS#8): never used outside tests.
            REGISTRY_SIGNING_KEY: [
              '-----BEGIN PRIVATE KEY-----',
              'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyxB8G8sL/9BNbSFQ',
              'KioM++GC9sJSn53GZk/QHnijpEGhRANCAAQ0M27tnsVuhKzAy1uYXa5IlEHfvppj',
              'LrxCtiiunib8CEZDyv7YfHdSMVdIe4XaI2vWUtyZ60OVNcJGtJc/tc/5',
              '-----END PRIVATE KEY-----',
            ].join('\n'),
          },
        },
      }),
    ],
    test: {
      include: ['test/unit/**/*.test.ts'],
      setupFiles: ['./test/setup/apply-migrations.ts'],
      testTimeout: 30_000,
    },
  };
});
