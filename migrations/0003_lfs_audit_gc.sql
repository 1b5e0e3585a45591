CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`request_id` text NOT NULL,
	`actor_id` text,
	`actor` text NOT NULL,
	`ip` text,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`action` text NOT NULL,
	`artifact` text,
	`status` integer NOT NULL,
	`outcome` text NOT NULL,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_events_artifact_idx` ON `audit_events` (`artifact`,`id`);--> statement-breakpoint
CREATE INDEX `audit_events_actor_idx` ON `audit_events` (`actor_id`,`id`);--> statement-breakpoint
CREATE INDEX `audit_events_at_idx` ON `audit_events` (`at`);--> statement-breakpoint
CREATE TABLE `auth_failures` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `blob_writes` (
	`id` text PRIMARY KEY NOT NULL,
	`digest` text NOT NULL,
	`started_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `blob_writes_digest_idx` ON `blob_writes` (`digest`);--> statement-breakpoint
CREATE TABLE `lfs_locks` (
	`id` text PRIMARY KEY NOT NULL,
	`repo` text NOT NULL,
	`path` text NOT NULL,
	`owner_id` text NOT NULL,
	`owner_name` text NOT NULL,
	`locked_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `lfs_locks_repo_path_unique` ON `lfs_locks` (`repo`,`path`);--> statement-breakpoint
CREATE INDEX `lfs_locks_repo_idx` ON `lfs_locks` (`repo`,`id`);--> statement-breakpoint
ALTER TABLE `blobs` ADD `state` text DEFAULT 'live' NOT NULL;--> statement-breakpoint
CREATE INDEX `blobs_state_created_idx` ON `blobs` (`state`,`created_at`);