/**
 * Unit tests of the upload path's pure decisions (no server): which failures are retried and
 * after how long, and how a Retry-After header is read. The behaviour against a real server is
 * in test/e2e/cli-gc.test.mjs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { register } from 'tsx/esm/api';

register();
const { retryDelayMs, MAX_RETRY_AFTER_S } = await import('../../cli/upload.ts');
const { CairnError } = await import('../../src/client/index.ts');
const { parseRetryAfter } = await import('../../src/client/errors.ts');

const error = (status, code, retryAfter = null) =>
  new CairnError(status, code, code, {}, null, { retryAfter });

test('Retry-After: delay-seconds or an HTTP date, anything else ignored', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('5', now), 5);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', now), 7);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now), 0, 'a date in the past: now');
  for (const bad of [null, '', 'soon', '-3', '1.5']) assert.equal(parseRetryAfter(bad, now), null, bad);
});

test('BLOB_BUSY waits what the server asks, capped; no header → backoff', () => {
  assert.equal(retryDelayMs(error(409, 'BLOB_BUSY', 5), 1), 5000);
  assert.equal(retryDelayMs(error(409, 'BLOB_BUSY', 3600), 1), MAX_RETRY_AFTER_S * 1000);
  assert.ok(MAX_RETRY_AFTER_S <= 30);
  assert.equal(retryDelayMs(error(409, 'BLOB_BUSY'), 1), 500);
  assert.equal(retryDelayMs(error(409, 'BLOB_BUSY'), 2), 1000);
});

test('network errors, 5xx and a completing multipart upload are retried; client errors are not', () => {
  assert.equal(retryDelayMs(error(0, 'NETWORK_ERROR'), 1), 500);
  assert.equal(retryDelayMs(error(503, 'UNAVAILABLE', 2), 3), 2000, 'a 503 with Retry-After waits it');
  assert.equal(retryDelayMs(error(500, 'INTERNAL_ERROR'), 3), 2000);
  assert.equal(retryDelayMs(error(409, 'UPLOAD_IN_PROGRESS'), 1), 500);
  for (const [status, code] of [
    [409, 'TAG_CONFLICT'],
    [422, 'BLOB_UNKNOWN'],
    [400, 'DIGEST_MISMATCH'],
    [401, 'UNAUTHORIZED'],
    [413, 'BLOB_TOO_LARGE'],
    [429, 'RATE_LIMITED'],
    [0, 'ABORTED'],
  ]) {
    assert.equal(retryDelayMs(error(status, code, 1), 1), null, code);
  }
  assert.equal(retryDelayMs(new Error('not an API error'), 1), null);
});
