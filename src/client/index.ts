/**
 * The Cairn client library: fetch only, so Node ≥ 20, Workers and browsers can all use it.
 *
 *   import { CairnClient, CairnError } from './client';
 *   const cairn = new CairnClient({ baseUrl: 'http://127.0.0.1:8787', token });
 *   const { digest } = await cairn.resolve('acme/churn-model:production');
 */
export { all, CairnClient, type LineageOptions, type MoveTagRequest } from './client';
export { CairnError, type CairnErrorCode, type ClientErrorCode } from './errors';
export type { TransportOptions, UploadBody } from './http';
export type * from './types';
