-- Resumable table profiles (services/tables/run.ts): a file too large for one invocation is
-- profiled in steps. `table_profile_progress` says where the last step stopped (its number, the
-- reader's byte offset or Parquet row group, the index chunks already written); the profiler's
-- and the reader's state are JSON text in `table_profile_progress_parts` (≤ 512 KiB a row, as
-- D1 caps a value at 2 MB), written under the step they lead to, before the progress row is
-- moved to that step by compare-and-swap: a redelivered step loses the swap and counts nothing.
ALTER TABLE `table_profiles` ADD `index_widths` integer;
--> statement-breakpoint
CREATE TABLE `table_profile_progress` (
	`digest` text NOT NULL,
	`key` text NOT NULL,
	`step` integer NOT NULL,
	`offset` integer NOT NULL,
	`chunks` integer NOT NULL,
	`parts` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`digest`, `key`)
);
--> statement-breakpoint
CREATE TABLE `table_profile_progress_parts` (
	`digest` text NOT NULL,
	`key` text NOT NULL,
	`step` integer NOT NULL,
	`part` integer NOT NULL,
	`body` text NOT NULL,
	PRIMARY KEY(`digest`, `key`, `step`, `part`)
);
