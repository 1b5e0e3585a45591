-- Tag-move guards (services/tag-guard.ts): a publish batch writes a version and moves tags; a move
-- whose expectation or policy no longer holds must abort the whole batch, not match no row. SQLite
-- aborts a statement only from a trigger, so every insert into this table raises: a guard inserts
-- a row exactly when a move's condition fails, and D1 rolls the batch back. It never holds a row.
CREATE TABLE `tag_move_guards` (
	`reason` text NOT NULL
);
--> statement-breakpoint
CREATE TRIGGER `tag_move_guards_abort` BEFORE INSERT ON `tag_move_guards`
BEGIN
  SELECT RAISE(ABORT, 'CAIRN_TAG_MOVED') WHERE NEW.`reason` = 'tag-moved';
  SELECT RAISE(ABORT, 'CAIRN_TAG_POLICY_UNMET');
END;
