/**
 * The version page's "Signatures" section: the version's attestations (who signed what, and
 * whether it still verifies), and for each tag a policy gates, whether this version meets it.
 * Reads the same services as the API (provenance/attestations.ts, policy.ts).
 */
import type { ArtifactRow, VersionRow } from '../db/schema';
import type { Deps } from '../deps';
import { listAttestations } from '../services/provenance/attestations';
import { getPolicy, unmetRules } from '../services/provenance/policy';
import { Digest, Table, Time } from './components';

export async function attestationsOf(deps: Deps, artifact: ArtifactRow, version: VersionRow) {
  const [items, policy] = await Promise.all([
    listAttestations(deps, version.id),
    getPolicy(deps, artifact.id),
  ]);
  const gates = await Promise.all(
    Object.keys(policy).map(async (tag) => ({
      tag,
      missing: await unmetRules(deps, artifact.id, tag, version.id),
    })),
  );
  return { items, gates };
}

export function Attestations({ items, gates }: Awaited<ReturnType<typeof attestationsOf>>) {
  return (
    <>
      <h2 id="signatures">Signatures</h2>
      <Table
        head={['Type', 'Signer', 'Key', 'Verified', 'Attested']}
        empty={
          items.length === 0 &&
          'No attestations. The registry signs this version’s provenance on request (…/provenance).'
        }
      >
        {items.map((a) => (
          <tr>
            <td>
              <code>{a.predicateType}</code>
            </td>
            <td>{a.signer}</td>
            <td>
              <code class="mono" title={a.keyId}>
                {a.keyId.slice(0, 12)}
              </code>
            </td>
            <td>{a.verified ? 'yes' : `no: key revoked ${a.keyRevokedAt ?? ''}`}</td>
            <td>
              <Time iso={a.createdAt} /> by {a.createdBy} <Digest digest={a.digest} />
            </td>
          </tr>
        ))}
      </Table>
      {gates.length > 0 ? (
        <Table head={['Policy-gated tag', 'This version']}>
          {gates.map((g) => (
            <tr>
              <td>{g.tag}</td>
              <td>
                {g.missing.length === 0
                  ? 'may be promoted: every required attestation is present'
                  : `lacks: ${g.missing.map((r) => `${r.predicateType}${r.keys ? ` by ${r.keys.map((k) => k.slice(0, 12)).join(', ')}` : ''}`).join('; ')}`}
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
    </>
  );
}
