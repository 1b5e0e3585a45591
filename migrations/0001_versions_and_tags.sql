CREATE TABLE `artifacts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`namespace` text NOT NULL,
	`kind` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `artifacts_name_unique` ON `artifacts` (`name`);--> statement-breakpoint
CREATE INDEX `artifacts_namespace_idx` ON `artifacts` (`namespace`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`principal_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`principal_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_idx` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `lineage_edges` (
	`input_id` integer NOT NULL,
	`output_id` integer NOT NULL,
	`role` text NOT NULL,
	`ref` text NOT NULL,
	PRIMARY KEY(`output_id`, `role`, `input_id`),
	FOREIGN KEY (`input_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`output_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `lineage_edges_input_idx` ON `lineage_edges` (`input_id`);--> statement-breakpoint
CREATE TABLE `tag_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`artifact_id` integer NOT NULL,
	`tag` text NOT NULL,
	`from_digest` text,
	`to_digest` text,
	`at` integer NOT NULL,
	`by` text NOT NULL,
	`reason` text,
	FOREIGN KEY (`artifact_id`) REFERENCES `artifacts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tag_events_tag_idx` ON `tag_events` (`artifact_id`,`tag`,`id`);--> statement-breakpoint
CREATE TABLE `tags` (
	`artifact_id` integer NOT NULL,
	`name` text NOT NULL,
	`version_id` integer NOT NULL,
	`digest` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	PRIMARY KEY(`artifact_id`, `name`),
	FOREIGN KEY (`artifact_id`) REFERENCES `artifacts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tags_version_idx` ON `tags` (`version_id`);--> statement-breakpoint
CREATE TABLE `version_files` (
	`version_id` integer NOT NULL,
	`role` text NOT NULL,
	`path` text NOT NULL,
	`digest` text NOT NULL,
	`size` integer NOT NULL,
	PRIMARY KEY(`version_id`, `role`, `path`),
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `version_files_digest_idx` ON `version_files` (`digest`);--> statement-breakpoint
CREATE TABLE `version_metrics` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`version_id` integer NOT NULL,
	`metrics` text NOT NULL,
	`at` integer NOT NULL,
	`by` text NOT NULL,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `version_metrics_version_idx` ON `version_metrics` (`version_id`,`id`);--> statement-breakpoint
CREATE TABLE `versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`artifact_id` integer NOT NULL,
	`number` integer NOT NULL,
	`digest` text NOT NULL,
	`file_count` integer NOT NULL,
	`total_size` integer NOT NULL,
	`labels` text,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	FOREIGN KEY (`artifact_id`) REFERENCES `artifacts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `versions_artifact_number_unique` ON `versions` (`artifact_id`,`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `versions_digest_unique` ON `versions` (`digest`);