/**
 * Small fixed-size summaries of a column, so profiling a file of any length holds a few KB a
 * column: a 32-bit string hash, HyperLogLog for distinct counts (4,096 registers, ~1.6% error), a
 * seeded reservoir sample for quantiles (deterministic, so a redelivered message recomputes the
 * same profile), and capped frequency counts for top values. Each can be saved as JSON and
 * restored, so a profile computed over several invocations (run.ts) equals a one-shot one.
 */

/** MurmurHash3-style 32-bit hash of a string's UTF-16 code units. */
export function hash32(s: string, seed = 0): number {
  let h = seed ^ s.length;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return fmix(h);
}

export function fmix(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const HLL_BITS = 12;
const HLL_M = 1 << HLL_BITS;

export class HyperLogLog {
  readonly registers = new Uint8Array(HLL_M);

  save(): string {
    let s = '';
    for (const r of this.registers) s += String.fromCharCode(r + 48);
    return s;
  }

  static restore(saved: string): HyperLogLog {
    const h = new HyperLogLog();
    for (let i = 0; i < HLL_M; i++) h.registers[i] = saved.charCodeAt(i) - 48;
    return h;
  }

  add(hash: number): void {
    const j = hash >>> (32 - HLL_BITS);
    const w = (hash << HLL_BITS) >>> 0;
    const rank = w === 0 ? 32 - HLL_BITS + 1 : Math.clz32(w) + 1;
    if (rank > this.registers[j]!) this.registers[j] = rank;
  }

  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (const r of this.registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / HLL_M);
    const raw = (alpha * HLL_M * HLL_M) / sum;
    // Small ranges: linear counting is exact-ish where HLL is biased.
    if (raw <= 2.5 * HLL_M && zeros > 0) return Math.round(HLL_M * Math.log(HLL_M / zeros));
    return Math.round(raw);
  }
}

export const RESERVOIR = 2048;

/** Algorithm R over a seeded xorshift generator. */
export interface ReservoirState {
  sample: number[];
  seen: number;
  state: number;
}

export class Reservoir {
  sample: number[] = [];
  private seen = 0;
  private state = 0x9e3779b9;

  save(): ReservoirState {
    return { sample: [...this.sample], seen: this.seen, state: this.state };
  }

  static restore(saved: ReservoirState): Reservoir {
    const r = new Reservoir();
    r.sample = [...saved.sample];
    r.seen = saved.seen;
    r.state = saved.state;
    return r;
  }

  add(x: number): void {
    this.seen++;
    if (this.sample.length < RESERVOIR) {
      this.sample.push(x);
      return;
    }
    this.state ^= this.state << 13;
    this.state ^= this.state >>> 17;
    this.state ^= this.state << 5;
    const k = (this.state >>> 0) % this.seen;
    if (k < RESERVOIR) this.sample[k] = x;
  }

  /** 101 points: the 0th, 1st, …, 100th percentiles of the sample (exact below RESERVOIR values). */
  quantiles(): number[] {
    const s = [...this.sample].sort((a, b) => a - b);
    if (s.length === 0) return [];
    return Array.from(
      { length: 101 },
      (_, p) => s[Math.min(s.length - 1, Math.round((p / 100) * (s.length - 1)))]!,
    );
  }
}

/** Counts of at most CAP distinct values; once full, only values already counted are counted. */
export const TOP_CAP = 4096;

export class TopValues {
  private counts = new Map<string, number>();

  save(): [string, number][] {
    return [...this.counts];
  }

  static restore(saved: [string, number][]): TopValues {
    const t = new TopValues();
    t.counts = new Map(saved);
    return t;
  }

  add(v: string): void {
    const n = this.counts.get(v);
    if (n !== undefined) this.counts.set(v, n + 1);
    else if (this.counts.size < TOP_CAP) this.counts.set(v, 1);
  }

  top(k: number): { value: string; count: number }[] {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, k)
      .map(([value, count]) => ({ value, count }));
  }
}
