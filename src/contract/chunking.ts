/**
 * Content-defined chunking for chunk-level dedup (issue 15): FastCDC with a Gear hash and
 * normalized chunking (Xia et al., "FastCDC", USENIX ATC 2016). Cut points depend only on the
 * bytes near them, so an insertion or deletion moves the boundaries of the chunks it touches and
 * leaves every other chunk, and its SHA-256, unchanged: a re-push sends only those chunks.
 *
 * The algorithm, exactly (another client reproduces Cairn's boundaries from this paragraph):
 * - `GEAR[b]` is the first 4 bytes, big-endian, of SHA-256(ASCII "cairn-fastcdc-gear-v1" ‖ byte b),
 *   for b = 0…255 (the test suite derives the table again and compares).
 * - A chunk starts with h = 0. Its first CHUNK_MIN bytes are skipped (not hashed). Every later
 *   byte b updates h = (h << 1) + GEAR[b] modulo 2^32; when that byte makes the chunk L bytes
 *   long, the chunk ends after it if (h & MASK_S) = 0 while L ≤ CHUNK_AVG, or (h & MASK_L) = 0
 *   while L > CHUNK_AVG, and in any case at L = CHUNK_MAX. The last chunk ends at the end of
 *   the input, whatever its length. An empty input has no chunks.
 * - MASK_S has 18 one bits and MASK_L 14 (the top bits of h, which depend on the most bytes):
 *   cuts are rarer than 1 in 64 Ki before the average size and more frequent after it, which
 *   pulls chunk sizes towards CHUNK_AVG ("normalized chunking", level 2).
 *
 * Pure and allocation-free per byte: the CLI feeds it the buffers it reads while hashing the
 * file, so chunking costs no extra pass over the disk.
 */

export const CHUNK_MIN = 16 * 1024;
export const CHUNK_AVG = 64 * 1024;
export const CHUNK_MAX = 256 * 1024;
export const GEAR_SEED = 'cairn-fastcdc-gear-v1';
/** Bits 14–31. Written as int32, as the hash is (`| 0` keeps V8 on small-integer arithmetic). */
export const MASK_S = 0xffffc000 | 0;
/** Bits 18–31. */
export const MASK_L = 0xfffc0000 | 0;

// prettier-ignore
export const GEAR: Int32Array = Int32Array.from([
  0xf957ba64, 0xdd18a2ae, 0xbb11d5d5, 0x732801ed, 0x6c000f14, 0xb5b0ec61, 0xed752ed5, 0x1e249db5, 0x7593e20f,
  0xedfbac52, 0x0e38148d, 0xb00e921a, 0xf7a5f7af, 0xc7971f07, 0x71ca5df7, 0xbb7d8ac7, 0x5ee95356, 0x5d6b52e1,
  0x036a8665, 0x96a0e790, 0x7477e0f8, 0xd55c76a6, 0x248731a8, 0xd84c6c05, 0xc8d6ccdc, 0xbe40d586, 0xb0a05df1,
  0xa88a1093, 0x62bf1ce5, 0x877bd698, 0xcbca0443, 0xe5bae5d7, 0x3c738043, 0x570e6266, 0xb65f86e9, 0x63162228,
  0x584d3ae5, 0xb44eecc2, 0x9ce3bac9, 0xa171a0f2, 0xd58553cd, 0x8ce42109, 0xd79a895e, 0x41e3a58f, 0x94a151c0,
  0x30a8620f, 0xf4454c39, 0x653b0890, 0x7854eb30, 0x570bfd18, 0x30d2ccc6, 0x06782745, 0xc0e42995, 0xab17b8b6,
  0x337a1cf3, 0xf480d6aa, 0xdda1c772, 0x87567916, 0xaddadd6d, 0x8e5ce9db, 0xb9a52430, 0xff4b27d0, 0xfc4f4a5f,
  0x13011ed3, 0x00aeda99, 0xd95c09b9, 0x6dcc500a, 0xc3f02b74, 0x0a25bb1f, 0x466f2ce1, 0xc5d863dc, 0xa6c14899,
  0x476d75ca, 0x9880441f, 0xeae6b79b, 0xe9c2d9ac, 0x095976f7, 0x7af79d6f, 0x91a2ed9a, 0x6e766826, 0x36bbf86b,
  0x0ca02748, 0x6a5e920d, 0x2ed040fb, 0xe33fb9ea, 0x6e5dfde7, 0x8a75e286, 0x9b059f72, 0x0852cf03, 0x4f6d31df,
  0xeb41e942, 0x9fa135fd, 0x10b6a855, 0x8665b484, 0x35e21638, 0x388f0a0b, 0x0e4b8ca6, 0x0cf1ac71, 0xcabe1ea6,
  0x2332c232, 0x5cde7c48, 0x5de60fbf, 0xd70be83c, 0xa4d20c7b, 0x3678ccc9, 0xb7cbe606, 0x05f8b99c, 0x9156c0c9,
  0x8e39942f, 0x2f3e0627, 0xb7bed649, 0xf7f4c9eb, 0x814c985e, 0x2c7a6f38, 0x86b4e111, 0x48ceb86f, 0x56240d77,
  0xaab75910, 0xf5a8a3ec, 0xf49ddf32, 0x380f63ad, 0x626702b7, 0x63ed4a3e, 0x06c56e5e, 0x1ce30d51, 0x27759421,
  0x9660adc5, 0x9def46b3, 0xc2779476, 0x85613836, 0xd3d88bd6, 0x68a4c867, 0x92a6ca8a, 0xf02ab930, 0xf483eb71,
  0x800efd3b, 0x32351adc, 0x54340631, 0xae859f82, 0x21a8e852, 0x71c1d297, 0xc72d1174, 0xa9d5dd1d, 0x20d0f215,
  0x9531867b, 0xa7050352, 0x94484bdb, 0xaeb64190, 0xb716e4c0, 0xe1762345, 0x023b5f3b, 0xe084e971, 0xbf903aa0,
  0x1e957a93, 0xb9c0afb9, 0xba1fa363, 0xadc0152d, 0x531d6cca, 0xb46985b2, 0x60f39bcf, 0x05edd339, 0x3667e96e,
  0x2dce7ea6, 0xb9b02a86, 0x6bb16550, 0x758c7e3b, 0x8d2a4e34, 0x0c88ced6, 0x6aae24d7, 0x0170889b, 0x01b39341,
  0x723d6f3c, 0x90917ae7, 0xae044746, 0x63636a0c, 0x884553df, 0xac233620, 0x78d3444b, 0x5c0bdf62, 0x2d6af0be,
  0x18c11185, 0x4f0eb3a3, 0xa1c64d1b, 0x053b31cb, 0xbd813430, 0x46ed2220, 0xdf7a5da7, 0xa884d7c5, 0xbaa45063,
  0x49c47f1b, 0xf58e999e, 0x06737138, 0xe2903f0d, 0xb2fabf70, 0x5c686dea, 0x25fc66ca, 0xbde80003, 0xa50ac93c,
  0xe56c21d0, 0xa0a97815, 0x1b3bbea7, 0xdc4eec76, 0x0e407895, 0xc7bc19a4, 0x95da800a, 0xb4d15d21, 0x3e01be9a,
  0x26bb0119, 0x356f05d9, 0x37e23fde, 0x3e68917b, 0x16e63480, 0x9a57c22c, 0x6978d0ff, 0x098dbc94, 0x7a0adb54,
  0xbd42851c, 0xa3d699e0, 0x12127609, 0x23b04f36, 0xd0ce28fa, 0x3da867b9, 0xc7d10ef0, 0xf2f39f6e, 0xd7b44191,
  0xb63896d2, 0xbda7a014, 0x850db772, 0x105e4066, 0xcb5872e0, 0xf25afd0a, 0x432b86a6, 0xb885e4f3, 0x47ceb5c2,
  0xe035b726, 0xa98c3656, 0x6ecde189, 0xb5cde124, 0xacbce58d, 0x67195794, 0x2d40d42d, 0x07026162, 0x27273721,
  0x78639890, 0xa46d1f3a, 0xcd8d8897, 0x8a6d8a90, 0x118505ca, 0xa4ec64d1, 0x41137516, 0x570634c3, 0xeb697ff5,
  0x38d7b914, 0x24affce1, 0xe9b28584, 0xafec22e3,
]);

/**
 * A streaming chunker: `update` takes the input in buffers of any size and split, `finish`
 * ends it. Both return the absolute end offsets of the chunks they complete, so the boundaries
 * are the same however the input is split.
 */
export class Chunker {
  /** Gear hash of the bytes of the current chunk hashed so far. */
  private h = 0;
  /** Bytes of the current chunk seen so far. */
  private len = 0;
  /** Absolute offset of the next byte `update` will see. */
  private offset = 0;

  /** Feeds the next bytes; returns the end offsets of the chunks that end inside them. */
  update(buf: Uint8Array): number[] {
    const cuts: number[] = [];
    const gear = GEAR;
    const n = buf.length;
    let h = this.h;
    let len = this.len;
    let i = 0;
    while (i < n) {
      if (len < CHUNK_MIN) {
        const skip = Math.min(CHUNK_MIN - len, n - i);
        i += skip;
        len += skip;
        continue;
      }
      const small = len < CHUNK_AVG;
      const mask = small ? MASK_S : MASK_L;
      const stop = Math.min(n, i + (small ? CHUNK_AVG : CHUNK_MAX) - len);
      const from = i;
      let cut = false;
      while (i < stop) {
        h = ((h << 1) + (gear[buf[i] as number] as number)) | 0;
        i++;
        if ((h & mask) === 0) {
          cut = true;
          break;
        }
      }
      len += i - from;
      if (cut || len === CHUNK_MAX) {
        cuts.push(this.offset + i);
        h = 0;
        len = 0;
      }
    }
    this.h = h;
    this.len = len;
    this.offset += n;
    return cuts;
  }

  /** Ends the input: the end offset of the last chunk, or null when no bytes are pending. */
  finish(): number | null {
    if (this.len === 0) return null;
    this.len = 0;
    this.h = 0;
    return this.offset;
  }
}

/** The chunk lengths of a whole buffer (tests, small inputs). */
export function chunkLengths(bytes: Uint8Array): number[] {
  const chunker = new Chunker();
  const ends = chunker.update(bytes);
  const last = chunker.finish();
  if (last !== null) ends.push(last);
  return ends.map((end, i) => end - (i === 0 ? 0 : (ends[i - 1] as number)));
}
