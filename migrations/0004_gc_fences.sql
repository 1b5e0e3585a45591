CREATE TABLE `blob_grants` (
	`namespace` text NOT NULL,
	`digest` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`namespace`, `digest`)
);
--> statement-breakpoint
CREATE INDEX `blob_grants_digest_idx` ON `blob_grants` (`digest`);--> statement-breakpoint
CREATE TABLE `lfs_objects` (
	`repo` text NOT NULL,
	`digest` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`repo`, `digest`)
);
--> statement-breakpoint
CREATE INDEX `lfs_objects_digest_idx` ON `lfs_objects` (`digest`);--> statement-breakpoint
-- Garbage collection fence (services/gc.ts): a version may only reference a blob that is live at the
-- moment its files are inserted. GC marks a blob `deleting` in one statement that also checks no
-- version references it, and D1 runs statements one at a time: so either the publish batch sees the
-- mark and aborts (the publisher re-uploads), or the mark sees the reference and skips the blob.
CREATE TRIGGER `version_files_need_live_blob` BEFORE INSERT ON `version_files`
WHEN NOT EXISTS (SELECT 1 FROM `blobs` WHERE `digest` = NEW.`digest` AND `state` = 'live')
BEGIN
  SELECT RAISE(ABORT, 'CAIRN_BLOB_NOT_LIVE');
END;
