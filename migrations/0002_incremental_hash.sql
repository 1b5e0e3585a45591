ALTER TABLE `upload_parts` ADD `hashed` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `uploads` ADD `hashed_through` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `uploads` ADD `hash_state` text;--> statement-breakpoint
ALTER TABLE `uploads` ADD `hash_claim` integer;