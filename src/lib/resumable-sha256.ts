/// <reference path="../wasm.d.ts" />
/**
 * SHA-256 whose running state can be saved between requests and resumed later: multipart uploads
 * hash each in-order part as it streams through and keep the state in D1 (services/uploads.ts).
 * Neither WebCrypto nor workerd's DigestStream can export a running state, so this uses
 * hash-wasm's SHA-256 WebAssembly binary (vendored as src/vendor/hash-wasm-sha256.wasm, see
 * scripts/vendor-hash-wasm.mjs: Workers may not compile WebAssembly from bytes at run time, which
 * is how hash-wasm's own JS loads it). This file is the glue hash-wasm's JS would otherwise be:
 *
 *   Hash_Init(256)   starts a SHA-256 context        Hash_GetBuffer()  the 16 KiB input buffer
 *   Hash_Update(n)   hashes n bytes of that buffer   Hash_GetState()   the context (STATE_SIZE bytes)
 *   Hash_Final()     writes the digest to the buffer
 *
 * One instance per isolate is shared by every request: each update() loads this hasher's context,
 * hashes and saves it back without yielding, so interleaved requests never see each other's state.
 * Measured in workerd: ≈ 280 MiB/s (native DigestStream ≈ 1.7 GB/s, a pure-JS SHA-256 is slower
 * than this WebAssembly).
 */

import { HASH_WASM_SHA256 } from '../vendor/hash-wasm-sha256';
import wasmModule from '../vendor/hash-wasm-sha256.wasm';
import { toBase64 } from './base64';
import { toHex } from './digest';

interface Exports {
  memory: WebAssembly.Memory;
  STATE_SIZE: WebAssembly.Global;
  Hash_GetBuffer(): number;
  Hash_GetState(): number;
  Hash_Init(bits: number): void;
  Hash_Update(size: number): void;
  Hash_Final(): void;
}

/** hash-wasm's input buffer size (MAIN_BUFFER_SIZE in its C sources). */
const WASM_BUFFER_BYTES = 16 * 1024;
/** Saved states carry the binary they belong to: a state from another hash-wasm build is refused. */
const STATE_PREFIX = `hw-sha256-${HASH_WASM_SHA256.binaryHash}:`;

let instance: { exports: Exports; buffer: number; state: number; stateSize: number } | undefined;

function wasm() {
  if (!instance) {
    const exports = new WebAssembly.Instance(wasmModule, {}).exports as unknown as Exports;
    const stateSize = new DataView(exports.memory.buffer).getUint32(exports.STATE_SIZE.value as number, true);
    instance = { exports, buffer: exports.Hash_GetBuffer(), state: exports.Hash_GetState(), stateSize };
  }
  return instance;
}

export class ResumableSha256 {
  private constructor(private readonly context: Uint8Array) {}

  /** A hasher that has seen no bytes. */
  static create(): ResumableSha256 {
    const w = wasm();
    w.exports.Hash_Init(256);
    return new ResumableSha256(new Uint8Array(w.exports.memory.buffer, w.state, w.stateSize).slice());
  }

  /** Resumes a state from serialize(); null when it is not one this build can continue. */
  static restore(saved: string): ResumableSha256 | null {
    if (!saved.startsWith(STATE_PREFIX)) return null;
    let binary: string;
    try {
      binary = atob(saved.slice(STATE_PREFIX.length));
    } catch {
      return null;
    }
    if (binary.length !== wasm().stateSize) return null;
    return new ResumableSha256(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  }

  /** Feeds bytes (any length; copied into WebAssembly memory 16 KiB at a time). */
  update(bytes: Uint8Array): this {
    const w = wasm();
    const memory = new Uint8Array(w.exports.memory.buffer);
    memory.set(this.context, w.state);
    for (let offset = 0; offset < bytes.length; offset += WASM_BUFFER_BYTES) {
      const chunk = bytes.subarray(offset, offset + WASM_BUFFER_BYTES);
      memory.set(chunk, w.buffer);
      w.exports.Hash_Update(chunk.length);
    }
    this.context.set(memory.subarray(w.state, w.state + w.stateSize));
    return this;
  }

  /** The state as text (for D1), to continue later with restore(). */
  serialize(): string {
    return STATE_PREFIX + toBase64(this.context);
  }

  /** The hex SHA-256 of everything fed so far (the state itself is left as it was). */
  digestHex(): string {
    const w = wasm();
    const memory = new Uint8Array(w.exports.memory.buffer);
    memory.set(this.context, w.state);
    w.exports.Hash_Final();
    return toHex(memory.slice(w.buffer, w.buffer + 32));
  }
}
