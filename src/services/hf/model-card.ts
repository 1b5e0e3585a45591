/**
 * The metadata block of a model or dataset card (`README.md`): YAML between a leading `---` line
 * and the next. `huggingface_hub` asks the Hub to validate it (`POST /api/validate-yaml`) before
 * uploading a commit that adds a README.md. The Hub checks it against its own schemas (license
 * ids, task names…); Cairn imposes none, so it checks only that the block parses and is a mapping,
 * which is what every reader of the card (the Hub's and the clients' `ModelCard`) needs.
 */
import { parseDocument } from 'yaml';

const FRONT_MATTER_RE = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/** What is wrong with `content`'s metadata block; empty when it is fine or absent. */
export function cardMetadataProblems(content: string): string[] {
  const block = FRONT_MATTER_RE.exec(content)?.[1];
  if (block === undefined) return [];
  const doc = parseDocument(block);
  if (doc.errors.length > 0) return doc.errors.map((e) => `YAML metadata: ${e.message}`);
  const value: unknown = doc.toJS();
  if (value !== null && (typeof value !== 'object' || Array.isArray(value)))
    return ['YAML metadata must be a mapping of keys to values'];
  return [];
}
