/** Blobs and multipart uploads (docs/API.md "Blobs" and "Multipart uploads"). */

export interface BlobInfo {
  digest: string;
  size: number;
}

/** A multipart upload session as the API shows it. */
export interface UploadSession {
  uploadId: string;
  digest: string;
  size: number;
  partSize: number;
  partCount: number;
  /** Part numbers already received (1-based): a resumed session sends only the others. */
  parts: number[];
  expiresAt: string;
}

export type StartUploadResult =
  | ({ exists: false; resumed: boolean } & UploadSession)
  | { exists: true; digest: string; size: number };

/** The answer to one part received. */
export interface PartReceipt {
  part: number;
  size: number;
}
