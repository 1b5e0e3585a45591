/**
 * The one typed Hono environment. Bindings come from wrangler.toml (generated into
 * worker-configuration.d.ts by `npm run cf-typegen`) plus the ADMIN_TOKEN secret; per-request
 * values live in context variables and are never written back onto `env`.
 */
import type { Deps } from './deps';
import type { OpenApiSource } from './routes/openapi';
import type { Principal } from './services/auth';

export interface Bindings extends CloudflareBindings {
  /** Secret (`wrangler secret put ADMIN_TOKEN`; `.dev.vars` locally). */
  ADMIN_TOKEN?: string;
  /** Secret: the registry's provenance signing key, PKCS#8 PEM or JWK (`npm start` creates one). */
  REGISTRY_SIGNING_KEY?: string;
  /** OpenLineage (README "OpenLineage"): optional vars; the API key is a secret. */
  OPENLINEAGE_URL?: string;
  OPENLINEAGE_API_KEY?: string;
  OPENLINEAGE_NAMESPACE?: string;
  OPENLINEAGE_MAX_ATTEMPTS?: string;
  OPENLINEAGE_RETRY_BASE_SECONDS?: string;
  OPENLINEAGE_TIMEOUT_MS?: string;
  /** Chunked blobs (config.ts): optional vars, defaults 2 GiB and 8 MiB. */
  RECIPE_HASH_BUDGET_BYTES?: string;
  CHUNK_CHECKPOINT_BYTES?: string;
}

export interface Variables {
  requestId: string;
  /** The services' dependencies (deps.ts). */
  deps: Deps;
  /** null for anonymous requests. */
  principal: Principal | null;
  /** The app's OpenAPI document (routes/openapi.ts), for the UI's API reference; set under /ui. */
  openApi?: OpenApiSource;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
