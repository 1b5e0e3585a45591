/**
 * `/hf`: the Hugging Face Hub protocol (`HF_ENDPOINT=https://host/hf`, `hubUrl` in JS), a thin
 * translation over the registry's services: repos and commits (repos.ts), Git LFS batch and the
 * signed transfers (lfs.ts), downloads (resolve.ts). It authenticates itself (`hf_<token>`) and
 * answers every error in the Hub's shape (src/http/hf.ts).
 */
import { Hono } from 'hono';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { hfAuthenticate, renderHfError } from '../../http/hf';
import { hfAccountRoutes } from './account';
import { hfLfsRoutes, hfTransferRoutes } from './lfs';
import { hfRepoRoutes } from './repos';
import { hfResolveRoutes } from './resolve';

export const hfRoutes = new Hono<AppEnv>();
hfRoutes.onError(renderHfError);
hfRoutes.use('*', hfAuthenticate);
hfRoutes.route('/api', hfAccountRoutes);
hfRoutes.route('/api', hfRepoRoutes);
hfRoutes.route('/_transfer', hfTransferRoutes);
hfRoutes.route('/', hfLfsRoutes);
hfRoutes.route('/', hfResolveRoutes);
hfRoutes.all('*', (c) => {
  throw new ApiError('NOT_FOUND', `no Hub endpoint ${c.req.method} ${c.req.path}`);
});
