/**
 * `/ui/artifacts/{ns}/{name}/tags/{tag}/explain`: the tag's last move (who, when, why) and the
 * diff between where it pointed before and where it points now (services/explain.ts, as the
 * API's explain route).
 */
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { tagUnknown } from '../http/lookups';
import { explainTag } from '../services/explain';
import { tagSchema } from '../validation';
import { Facts, Time } from './components';
import { DiffView } from './diff-view';
import { page } from './layout';
import { artifactFromPath, parseWith } from './params';
import { artifactUrl, listUrl } from './urls';

export async function explainPage(c: Context<AppEnv>) {
  const artifact = await artifactFromPath(c);
  const tag = parseWith(tagSchema, c.req.param('tag'), 'path');
  const explained = await explainTag(c.var.deps, artifact, tag);
  if (!explained.ok) throw tagUnknown(artifact, explained.tag);
  const { diff, move } = explained;
  const protectedTag = c.var.deps.config.protectedTags.includes(tag);
  return page(
    c,
    `${artifact.name}:${tag} explained`,
    <>
      <p class="crumbs">
        <a href={listUrl()}>Artifacts</a> / <a href={artifactUrl(artifact.name)}>{artifact.name}</a>
      </p>
      <h1>
        Why <span class={protectedTag ? 'chip protected' : 'chip'}>{tag}</span> moved
      </h1>
      <Facts
        items={[
          ['moved', <Time iso={move.at} />],
          ['by', move.by],
          ['reason', move.reason ?? '—'],
        ]}
      />
      {diff.from ? null : (
        <p class="note">This was the tag's first move: everything the version has shows as changed.</p>
      )}
      <DiffView diff={diff} />
    </>,
  );
}
