CREATE TABLE `signing_keys` (
	`key_id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`algorithm` text NOT NULL,
	`public_key` text NOT NULL,
	`namespaces` text,
	`registry` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`revoked_at` integer,
	`revoked_by` text
);
--> statement-breakpoint
CREATE TABLE `attestations` (
	`version_id` integer NOT NULL,
	`digest` text NOT NULL,
	`key_id` text NOT NULL,
	`predicate_type` text NOT NULL,
	`size` integer NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	PRIMARY KEY(`version_id`, `digest`),
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`key_id`) REFERENCES `signing_keys`(`key_id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `attestations_digest_idx` ON `attestations` (`digest`);--> statement-breakpoint
CREATE TABLE `tag_policies` (
	`artifact_id` integer NOT NULL,
	`tag` text NOT NULL,
	`predicate_type` text NOT NULL,
	`key_ids` text,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	PRIMARY KEY(`artifact_id`, `tag`, `predicate_type`),
	FOREIGN KEY (`artifact_id`) REFERENCES `artifacts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `tag_events` ADD `attestations` text;
