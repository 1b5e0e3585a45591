-- OpenLineage outbox (services/openlineage/outbox.ts): one row per event, written in the same D1
-- batch as the publish or tag move it describes, so an event exists if and only if its change
-- committed. The row's id is the feed's order (GET /v1/openlineage/events); `status` tracks the
-- push delivery to OPENLINEAGE_URL: pending → queued → delivered | dead.
CREATE TABLE `openlineage_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`namespace` text NOT NULL,
	`namespaces` text NOT NULL,
	`event` text NOT NULL,
	`tag_event_id` integer,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`queued_at` integer,
	`last_attempt_at` integer,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `openlineage_events_tag_event_unique` ON `openlineage_events` (`tag_event_id`);--> statement-breakpoint
CREATE INDEX `openlineage_events_status_idx` ON `openlineage_events` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `openlineage_events_namespace_idx` ON `openlineage_events` (`namespace`,`id`);
