/**
 * @file The machine-readable summary `npm run bench -- --json` prints as its last line:
 *   {"cases":[{"id":…,"ratios":{"jax-js":…,"tfjs":…},…}],"geomean":{"jax-js":…,"tfjs":…}}
 * A ratio is peer e2e time / wgtensor e2e time (> 1: wgtensor faster); null where either side
 * was not measured or the comparison is invalid. A case with `ratios: null` has no peers at all
 * (UniFormerV2) and stays out of the geometric means, as do null ratios. Pure: no GPU, no I/O.
 */

export const PEERS = ["jax-js", "tfjs"] as const;
export type Peer = (typeof PEERS)[number];
export type BenchFramework = "wgtensor" | Peer;

/** One measured case, as the bench hands it over. */
export interface CaseTimings {
  readonly id: string;
  readonly title?: string;
  /** Median e2e ms per call, per framework that ran. */
  readonly ms: Partial<Record<BenchFramework, number | undefined>>;
  /** Make + first call (the compile) in ms, per framework. */
  readonly firstMs?: Partial<Record<BenchFramework, number | undefined>>;
  /** wgtensor's summed GPU kernel time (timestamp queries). */
  readonly kernelMs?: number;
  /** Max |Δ| of each peer's output vs wgtensor's. */
  readonly maxDiff?: Partial<Record<Peer, number | undefined>>;
  /** Why a peer's comparison is invalid (its ratio is then null). */
  readonly invalid?: Partial<Record<Peer, string | undefined>>;
  /** The case has no peers (wgtensor alone): `ratios: null`. */
  readonly wgtensorOnly?: boolean;
}

export interface JsonCase {
  readonly id: string;
  readonly title?: string;
  readonly ratios: Record<Peer, number | null> | null;
  readonly ms: Record<BenchFramework, number | null>;
  readonly firstMs?: Record<BenchFramework, number | null>;
  readonly kernelMs?: number | null;
  readonly maxDiff?: Record<Peer, number | null>;
  readonly invalid?: Partial<Record<Peer, string>>;
}

export interface BenchJson {
  readonly cases: JsonCase[];
  readonly geomean: Record<Peer, number | null>;
}

const finite = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? x : null);

/** peer ms / wgtensor ms, or null. */
export function ratioOf(c: CaseTimings, peer: Peer): number | null {
  const [ours, theirs] = [finite(c.ms.wgtensor), finite(c.ms[peer])];
  if (c.wgtensorOnly || ours === null || theirs === null || ours <= 0 || c.invalid?.[peer]) return null;
  return theirs / ours;
}

/** Geometric mean of the positive finite values; null for none. */
export function geomean(xs: readonly (number | null)[]): number | null {
  const ok = xs.filter((x): x is number => x !== null && Number.isFinite(x) && x > 0);
  return ok.length ? Math.exp(ok.reduce((t, x) => t + Math.log(x), 0) / ok.length) : null;
}

export function benchJson(cases: readonly CaseTimings[]): BenchJson {
  const per = (rec: Partial<Record<string, number | undefined>> | undefined, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, finite(rec?.[k])]));
  const out: JsonCase[] = cases.map((c) => {
    const invalid = Object.fromEntries(PEERS.filter((p) => c.invalid?.[p]).map((p) => [p, c.invalid![p]!])) as Partial<Record<Peer, string>>;
    return {
      id: c.id,
      ...(c.title !== undefined ? { title: c.title } : {}),
      ratios: c.wgtensorOnly ? null : (Object.fromEntries(PEERS.map((p) => [p, ratioOf(c, p)])) as Record<Peer, number | null>),
      ms: per(c.ms, ["wgtensor", ...PEERS]) as Record<BenchFramework, number | null>,
      ...(c.firstMs ? { firstMs: per(c.firstMs, ["wgtensor", ...PEERS]) as Record<BenchFramework, number | null> } : {}),
      ...(c.kernelMs !== undefined ? { kernelMs: finite(c.kernelMs) } : {}),
      ...(c.maxDiff ? { maxDiff: per(c.maxDiff, PEERS) as Record<Peer, number | null> } : {}),
      ...(Object.keys(invalid).length ? { invalid } : {}),
    };
  });
  const geo = Object.fromEntries(PEERS.map((p) => [p, geomean(out.map((c) => c.ratios?.[p] ?? null))])) as Record<Peer, number | null>;
  return { cases: out, geomean: geo };
}

/** The one line: JSON with no newlines. */
export function benchJsonLine(cases: readonly CaseTimings[]): string {
  return JSON.stringify(benchJson(cases));
}
