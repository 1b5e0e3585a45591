-- Chunk-level dedup (docs/DESIGN.md "Chunk-level dedup", services/chunks/): packs of verified
-- chunks in R2, the chunks' locations, recipes (a blob as its chunks in order) and SHA-256
-- checkpoints at chunk boundaries (prefix resume).
CREATE TABLE `packs` (
	`id` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`chunk_count` integer NOT NULL,
	`state` text DEFAULT 'uploading' NOT NULL,
	`created_at` integer NOT NULL,
	`retired_at` integer,
	`successor` text
);
--> statement-breakpoint
CREATE INDEX `packs_state_created_idx` ON `packs` (`state`,`created_at`);--> statement-breakpoint
CREATE TABLE `chunks` (
	`hash` text PRIMARY KEY NOT NULL,
	`pack_id` text NOT NULL,
	`pack_offset` integer NOT NULL,
	`length` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `chunks_pack_idx` ON `chunks` (`pack_id`);--> statement-breakpoint
CREATE TABLE `chunk_grants` (
	`namespace` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`namespace`, `hash`)
);
--> statement-breakpoint
CREATE INDEX `chunk_grants_hash_idx` ON `chunk_grants` (`hash`);--> statement-breakpoint
CREATE TABLE `recipes` (
	`digest` text PRIMARY KEY NOT NULL,
	`commit_id` text NOT NULL,
	`size` integer NOT NULL,
	`chunk_count` integer NOT NULL,
	`new_bytes` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `recipe_chunks` (
	`digest` text NOT NULL,
	`blob_offset` integer NOT NULL,
	`chunk` text NOT NULL,
	`length` integer NOT NULL,
	PRIMARY KEY(`digest`, `blob_offset`)
);
--> statement-breakpoint
CREATE INDEX `recipe_chunks_chunk_idx` ON `recipe_chunks` (`chunk`);--> statement-breakpoint
CREATE TABLE `chunk_checkpoints` (
	`prefix` text PRIMARY KEY NOT NULL,
	`end_offset` integer NOT NULL,
	`state` text NOT NULL,
	`digest` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `chunk_checkpoints_digest_idx` ON `chunk_checkpoints` (`digest`);--> statement-breakpoint
-- Garbage collection fence (services/chunks/gc.ts): a recipe may only name a chunk whose pack is
-- live at the moment the recipe is inserted. GC marks a pack `deleting` (or compaction retires it)
-- in one statement that checks no recipe uses its chunks; D1 runs statements one at a time, so
-- either the recipe batch sees the mark and aborts (the client uploads the chunk again), or the
-- mark sees the recipe and skips the pack.
CREATE TRIGGER `recipe_chunks_need_live_chunk` BEFORE INSERT ON `recipe_chunks`
WHEN NOT EXISTS (SELECT 1 FROM `chunks` c JOIN `packs` p ON p.`id` = c.`pack_id`
                 WHERE c.`hash` = NEW.`chunk` AND c.`length` = NEW.`length` AND p.`state` = 'live')
BEGIN
  SELECT RAISE(ABORT, 'CAIRN_CHUNK_NOT_LIVE');
END;
