-- Table profiles (services/tables/): one row per (file digest, declared key), shared by every
-- version holding identical bytes. state: pending → ready | failed (reason). The row index lives
-- in table_index_chunks (base64 text, ≤ 1 MiB of cells a row) and is visible only once the
-- profile row says ready, so a redelivered message that rewrites it is never half-read.
CREATE TABLE `table_profiles` (
	`digest` text NOT NULL,
	`key` text DEFAULT '' NOT NULL,
	`path` text NOT NULL,
	`state` text NOT NULL,
	`reason` text,
	`profile` text,
	`index_rows` integer,
	`index_columns` integer,
	`index_keyed` integer,
	`index_chunks` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`digest`, `key`)
);
--> statement-breakpoint
CREATE INDEX `table_profiles_pending_idx` ON `table_profiles` (`state`,`updated_at`);
--> statement-breakpoint
CREATE TABLE `table_index_chunks` (
	`digest` text NOT NULL,
	`key` text NOT NULL,
	`chunk` integer NOT NULL,
	`cells` text NOT NULL,
	PRIMARY KEY(`digest`, `key`, `chunk`)
);
--> statement-breakpoint
-- Versions whose tabular files were handed to the queue (the cron sweep catches the others).
CREATE TABLE `table_profile_sweeps` (
	`version_id` integer PRIMARY KEY NOT NULL,
	`enqueued_at` integer NOT NULL,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade
);
