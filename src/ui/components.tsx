/** Small pieces the pages share: digests, times, tag chips, pagers, key/value tables. */
import type { Child } from 'hono/jsx';
import { formatTime, formatValue, shortDigest } from './format';
import { versionUrl } from './urls';

export function Digest({ digest, full = false }: { digest: string; full?: boolean }) {
  return (
    <code class="mono" title={digest}>
      {full ? digest : shortDigest(digest)}
    </code>
  );
}

export function Time({ iso }: { iso: string }) {
  return <time datetime={iso}>{formatTime(iso)}</time>;
}

/** Tags as chips linking to the version they name; protected tags stand out. */
export function TagChips(props: {
  artifact: string;
  tags: readonly string[];
  protectedTags: readonly string[];
}) {
  return (
    <>
      {props.tags.map((tag) => (
        <a
          class={props.protectedTags.includes(tag) ? 'chip protected' : 'chip'}
          href={versionUrl(props.artifact, tag)}
          title={props.protectedTags.includes(tag) ? 'protected tag' : undefined}
        >
          {tag}
        </a>
      ))}
    </>
  );
}

export function Pager(props: { first?: string | undefined; next?: string | undefined; label?: string }) {
  if (!props.first && !props.next) return null;
  return (
    <nav class="pager" aria-label={props.label ?? 'pages'}>
      {props.first ? <a href={props.first}>« First page</a> : null}
      {props.next ? (
        <a href={props.next} rel="next">
          Next page »
        </a>
      ) : null}
    </nav>
  );
}

/** A two-column table of keys and JSON-ish values (params, labels, runtime, metrics). */
export function KeyValues({ entries, empty }: { entries: [string, unknown][]; empty: string }) {
  if (entries.length === 0) return <p class="muted">{empty}</p>;
  return (
    <div class="scroll">
      <table class="kv">
        <tbody>
          {entries.map(([k, v]) => (
            <tr>
              <th scope="row">
                <code>{k}</code>
              </th>
              <td>
                <code>{formatValue(v)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Facts({ items }: { items: [string, Child][] }) {
  return (
    <dl class="facts">
      {items.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </>
      ))}
    </dl>
  );
}

export function Note({ children, error = false }: { children?: Child; error?: boolean }) {
  return <p class={error ? 'note error' : 'note'}>{children}</p>;
}

/**
 * A table that scrolls sideways on its own at 320 px instead of widening the page; `empty` (when
 * set) replaces the table with a sentence. Heads listed in `numeric` are right-aligned.
 */
export function Table(props: {
  head: string[];
  numeric?: string[];
  empty?: string | false;
  children?: Child;
}) {
  if (props.empty) return <p class="muted">{props.empty}</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            {props.head.map((h) => (
              <th class={props.numeric?.includes(h) ? 'num' : undefined}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
