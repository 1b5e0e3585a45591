-- The OCI Distribution API (/v2, src/routes/oci/): manifests kept with their exact bytes (the bytes
-- are a blob like any other), what they reference (kept by garbage collection), OCI tags, and
-- upload sessions whose digest is not known until they complete.
CREATE TABLE `oci_manifests` (
	`repo` text NOT NULL,
	`digest` text NOT NULL,
	`media_type` text NOT NULL,
	`artifact_type` text,
	`subject` text,
	`annotations` text,
	`size` integer NOT NULL,
	`version_digest` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`repo`, `digest`)
);
--> statement-breakpoint
CREATE INDEX `oci_manifests_subject_idx` ON `oci_manifests` (`repo`,`subject`);--> statement-breakpoint
CREATE INDEX `oci_manifests_version_idx` ON `oci_manifests` (`version_digest`);--> statement-breakpoint
CREATE INDEX `oci_manifests_digest_idx` ON `oci_manifests` (`digest`);--> statement-breakpoint
CREATE TABLE `oci_manifest_refs` (
	`repo` text NOT NULL,
	`manifest` text NOT NULL,
	`digest` text NOT NULL,
	PRIMARY KEY(`repo`, `manifest`, `digest`)
);
--> statement-breakpoint
CREATE INDEX `oci_manifest_refs_digest_idx` ON `oci_manifest_refs` (`digest`);--> statement-breakpoint
CREATE TABLE `oci_tags` (
	`repo` text NOT NULL,
	`tag` text NOT NULL,
	`manifest` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`repo`, `tag`)
);
--> statement-breakpoint
CREATE TABLE `oci_uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`repo` text NOT NULL,
	`size` integer DEFAULT 0 NOT NULL,
	`chunks` integer DEFAULT 0 NOT NULL,
	`hash_state` text,
	`lease_until` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `oci_uploads_expires_at_idx` ON `oci_uploads` (`expires_at`);--> statement-breakpoint
-- The garbage collection fence of 0004, for what an OCI manifest references: a reference may only be
-- recorded to a live blob, so GC's mark and the reference are ordered by D1 (services/gc.ts).
CREATE TRIGGER `oci_manifest_refs_need_live_blob` BEFORE INSERT ON `oci_manifest_refs`
WHEN NOT EXISTS (SELECT 1 FROM `blobs` WHERE `digest` = NEW.`digest` AND `state` = 'live')
BEGIN
  SELECT RAISE(ABORT, 'CAIRN_BLOB_NOT_LIVE');
END;
