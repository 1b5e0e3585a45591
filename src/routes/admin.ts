/**
 * /v1/admin (admin): garbage collection on demand (it also runs on the hourly Cron Trigger), and the
 * store's storage report (logical vs stored bytes).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { requireScope } from '../middleware/auth';
import { storageReport } from '../services/chunks/storage-report';
import { collectGarbage } from '../services/gc';
import { validate } from '../validation';

const gcBody = z
  .object({
    /** Report what would be deleted, delete nothing. */
    dryRun: z.boolean().default(false),
    /** R2 list pages (1,000 objects each) to scan for orphaned bytes in this run. */
    orphanPages: z.number().int().min(0).max(100).default(1),
    maxBlobs: z.number().int().min(1).max(100_000).default(10_000),
  })
  .strict();

export const adminRoutes = new Hono<AppEnv>()
  .post('/gc', requireScope('admin'), validate('json', gcBody), async (c) => {
    const options = c.req.valid('json');
    const report = await collectGarbage(c.var.deps, {
      ...options,
      graceMs: c.var.deps.config.gcGraceMs,
    });
    return c.json(report);
  })
  // Logical vs stored bytes and the dedup ratio (services/chunks/storage-report.ts).
  .get('/storage', requireScope('admin'), async (c) => c.json(await storageReport(c.var.deps)));
