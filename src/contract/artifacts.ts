/** Artifacts (docs/API.md "Artifacts, versions and manifests"). */

export interface ArtifactSummary {
  name: string;
  kind: string;
  createdAt: string;
  latestVersion: number | null;
}

export interface ArtifactDetail {
  name: string;
  kind: string;
  createdAt: string;
  createdBy: string;
  /** Tag name → the digest it points to. */
  tags: Record<string, string>;
  latestVersion: { version: number; digest: string; createdAt: string } | null;
  versionCount: number;
}
