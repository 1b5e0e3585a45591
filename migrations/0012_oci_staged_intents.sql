ALTER TABLE `blob_writes` ADD `staged_id` text;--> statement-breakpoint
ALTER TABLE `blob_writes` ADD `staged_chunks` integer;