"""Retrieval speed, quality and memory on the shipped corpus and on synthetic corpora of 10k, 100k and 1M
passages, and how long the index takes to build: in full, and again after a one-word edit.

What: each corpus runs in a fresh process (clean RSS). The shipped corpus is built with the real
`build_index` into an empty temporary folder (both dense spaces, as `make index` builds them; the embedding
time of each encoder is counted inside that build), loaded with `load_index`, and its query latency p50/p95
timed over gold questions after a warm-up: (a) encoding a question, (b) the dense search, (c) the lexical
search, (d) the whole hybrid search. Then one word of one passage is changed in a copy of the corpus and the
same folder is rebuilt: its vector cache (index_dir/cache) means only the changed texts are embedded.
Synthetic corpora (harness.synthetic) get the same latency, build, disk and RSS figures, and for every IVF
index recall@10 against exact search at several nprobe (on embedding-like vectors too where they are random).

Why: the hybrid retriever must stay interactive on two cores: hybrid p50 within 1.5x of encode + dense on the
shipped corpus, hybrid p95 under 50 ms (encode included) at 1M passages with IVF; the recall figures are what
index/dense.py's IVF_NPROBE was chosen from; a curator's small edit should not cost a full rebuild.
Figures go to docs/performance.md between <!-- retrieval:start --> and <!-- retrieval:end -->.

Usage: python benchmarks/retrieval.py [--sizes 10000,100000,1000000] [--queries 200] [--corpus DIR] [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT  # noqa: E402  (importing harness puts the project on sys.path)
from harness.cli import BenchParser, ints  # noqa: E402
from harness.cpu import BUSY, IdleWaits, facts_line, machine_facts, run_fresh, usable_cores  # noqa: E402
from harness.indexes import (  # noqa: E402
    CountingEncoder, copy_corpus, describe_dense, edited_copy, index_sizes, saved_sizes, set_threads,
)
from harness.memory import peak_rss_mb, rss_mb  # noqa: E402
from harness.questions import MULTILINGUAL_QUESTIONS_FILE, QUESTIONS_FILE, from_file  # noqa: E402
from harness.report import markdown_table, publish, report_header, subsection, verdict  # noqa: E402
from harness.search import RECALL_AT, dense_recall, forced_ivf, time_queries  # noqa: E402
from harness.stats import fmt_bytes, fmt_ms, fmt_seconds, timed, two  # noqa: E402

SECTION = "retrieval"
SHIPPED = "shipped"
RATIO_TARGET = 1.5  # hybrid p50 / (encode + dense) p50 on the shipped corpus
P95_TARGET_MS, P95_TARGET_SIZE = 50.0, 1_000_000  # hybrid p95 at 1M passages, encode included
QUICK_PASSAGE_FILES = 2  # --quick builds the shipped corpus cut to its first passage files


def run_shipped(spec: dict) -> dict:
    """The real pipeline: the configured encoders, `build_index` (full, then after a one-word edit), `load_index`,
    `HybridRetriever`."""
    from config.settings import Settings
    from corpus import load_corpus
    from index import HybridRetriever, dense
    from index.encoders import configured_encoders
    from index.lexical import LexicalIndex
    from index.store import MULTILINGUAL, build_index, load_index
    from index.units import corpus_units

    info, settings = set_threads(spec["threads"]), Settings()
    encoders = {s: CountingEncoder(e) for s, e in configured_encoders(settings).items()}
    corpus, plain = load_corpus(Path(spec["corpus"])), {s: e.encoder for s, e in encoders.items()}
    texts, questions = [u.text for u in corpus_units(corpus)], from_file(QUESTIONS_FILE, spec["warmup"] + spec["queries"])
    rss_before = rss_mb()
    with tempfile.TemporaryDirectory(prefix="serov-bench-") as workdir:
        index_dir = Path(workdir) / "index"
        build_s = timed(build_index, corpus, encoders, index_dir)[1]
        embed = {s: (e.name, e.seconds, e.texts) for s, e in encoders.items()}
        loaded = load_index(index_dir, corpus, {s: e.name for s, e in encoders.items()})
        retriever = HybridRetriever(corpus, loaded, plain)
        rss_after = rss_mb()
        disk = index_sizes(index_dir)
        dense_s = sum(timed(dense.make_index, space.vectors)[1] for space in loaded.spaces.values())
        lexical_s = timed(LexicalIndex.build, texts)[1]
        latency = time_queries(retriever, questions, spec["warmup"])
        other = None
        if MULTILINGUAL in encoders:
            other = time_queries(retriever, from_file(MULTILINGUAL_QUESTIONS_FILE, len(questions)), spec["warmup"],
                                 space=MULTILINGUAL)
        peak, dense_kind = peak_rss_mb(), describe_dense(loaded.dense)
        edited, change = edited_copy(Path(spec["corpus"]), Path(workdir) / "edited")
        for encoder in encoders.values():
            encoder.reset()
        edit_s = timed(build_index, edited, encoders, index_dir)[1]
    return {
        "name": SHIPPED, "passages": len(corpus.passages), "units": len(texts), "dense_kind": dense_kind, "vectors": "real",
        "spaces": len(encoders), "embed_s": sum(sec for _, sec, _ in embed.values()),
        "embed_label": " + ".join(f"{name} {fmt_seconds(sec)} ({n / sec:.0f}/s)" for name, sec, n in embed.values()),
        "dense_build_s": dense_s, "lexical_build_s": lexical_s, "build_total_s": build_s, "disk": disk,
        "rss_before_mb": rss_before, "rss_after_mb": rss_after, "peak_rss_mb": peak, "latency": latency,
        "latency_multilingual": other, "multilingual_model": encoders[MULTILINGUAL].name if other else None,
        "full_embedded": [n for _, _, n in embed.values()], "edit_s": edit_s, "edit_change": change,
        "edit_embedded": [e.texts for e in encoders.values()], **info,
    }


def run_synthetic(spec: dict) -> dict:
    from config.settings import Settings
    from corpus import load_corpus
    from harness import synthetic
    from index import dense, load_encoder
    from index.units import corpus_units

    count, info = spec["size"], set_threads(spec["threads"])
    encoder, corpus = load_encoder(Settings().model), load_corpus(Path(spec["corpus"]))
    questions, rss_before = from_file(QUESTIONS_FILE, spec["warmup"] + spec["queries"]), rss_mb()
    built = synthetic.build(corpus, encoder, count, spec["embed_up_to"])
    kind, vectors, dense_index = built.kind, built.vectors, built.dense_index
    result = {
        "name": f"{count:,}", "units": count, "dense_kind": describe_dense(dense_index), "vectors": kind,
        "embed_s": built.embed_s, "dense_build_s": built.dense_s,
        "embed_rate": count / built.embed_s if kind == "real" else None, "lexical_build_s": built.lexical_s,
        "build_total_s": built.embed_s + built.dense_s + built.lexical_s, "rss_before_mb": rss_before,
        "rss_after_mb": rss_mb(),  # alive, as in a serving process: encoder, dense index, unit vectors, BM25, texts
        "disk": saved_sizes(dense_index, vectors, built.lexical), "vocabulary": len(built.lexical._model.vocab_dict),
        "latency": time_queries(built.retriever, questions, spec["warmup"]), **info,
    }
    result["peak_rss_mb"], result["calibration"] = peak_rss_mb(), []  # peak before the recall part builds more
    del built
    if not spec["recall"]:
        return result
    queries, calibration = encoder.encode_queries(questions), result["calibration"]
    if dense.index_type(dense_index) == "ivf":
        calibration.append(dense_recall(dense_index, vectors, queries, spec["warmup"],
                                        f"{kind} vectors (the benchmark's index)", result["dense_build_s"]))
    elif kind == "real":
        calibration.append(forced_ivf(vectors, queries, spec["warmup"], "real embeddings (IVF forced)"))
    if kind == "random":  # the realistic recall at this size: embedding-like vectors of the same count
        del dense_index, vectors
        like = synthetic.embedding_like_vectors(encoder.encode_passages([u.text for u in corpus_units(corpus)]), count)
        calibration.append(forced_ivf(like, queries, spec["warmup"], "embedding-like vectors"))
    for c in result["calibration"]:
        at = c["by_nprobe"][c["shipped_nprobe"]]
        print(f"  [{count:,}] {c['label']}: nprobe {c['shipped_nprobe']}: recall@{RECALL_AT} {at['recall']:.3f}, "
              f"search p50/p95 {two(at['search'])} ms", flush=True)
    return result


def build_table(results: list[dict]) -> str:
    rows = []
    for r in results:
        embed = r.get("embed_label") or fmt_seconds(r["embed_s"]) + (f" ({r['embed_rate']:.0f}/s)" if r.get("embed_rate")
                                                                      else " (random)")
        rate = f" ({r['units'] / r['dense_build_s']:.0f}/s)" if "IVF" in r["dense_kind"] else ""
        rebuild = (f"{fmt_seconds(r['edit_s'])} ({' + '.join(map(str, r['edit_embedded']))} texts embedded, not "
                   f"{' + '.join(f'{n:,}' for n in r['full_embedded'])})") if "edit_s" in r else ""
        disk = " / ".join(fmt_bytes(r["disk"][k]) for k in ("dense.faiss", "vectors.npy", "lexical", "total"))
        rows.append([r["name"], f"{r['units']:,}", f"{r['dense_kind'].split(' (')[0]}, {r['vectors']} vectors", embed,
                     fmt_seconds(r["dense_build_s"]) + rate, fmt_seconds(r["lexical_build_s"]),
                     fmt_seconds(r["build_total_s"]), rebuild, disk,
                     f"{r['rss_after_mb']:.0f} MB (+{r['rss_after_mb'] - r['rss_before_mb']:.0f})",
                     f"{r['peak_rss_mb']:.0f} MB"])
    return markdown_table(["corpus", "units", "dense index", "embed", "dense build", "lexical build", "build total",
                           "rebuild after a one-word edit", "disk: dense.faiss / vectors.npy / lexical / total",
                           "RSS after build (+index)", "peak RSS"], rows, align="lrlrrrrrrrr")


def latency_table(results: list[dict]) -> str:
    rows = []
    for r in results:
        variants = [(r["name"], r["latency"])]
        if r.get("latency_multilingual"):
            variants.append((f"{r['name']}, other languages ({r['multilingual_model']} space)", r["latency_multilingual"]))
        rows += [[label, *(two(lat[name]) for name in ("encode", "dense", "lexical", "hybrid", "encode+dense")),
                  f"{lat['lexical_hit_rate']:.0%} / {lat['lexical_mean_hits']:.0f}",
                  f"{lat['postings']['p50']:.2f} / {lat['postings']['p95']:.2f}", f"{r['others_cpu_share']:.0%}"]
                 for label, lat in variants]
    return markdown_table(["corpus", "(a) encode", "(b) dense", "(c) lexical", "(d) hybrid", "encode + dense",
                           "lexical: questions with hits / mean passages", "BM25 postings per question, x units (p50 / p95)",
                           "CPU used by other processes"], rows)


def recall_table(results: list[dict]) -> str:
    return markdown_table(["corpus", "vectors", "count", "nlist", "nprobe", f"recall@{RECALL_AT}", "search", "IVF build"], [
        [r["name"], c["label"], f"{c['count']:,}", f"{c['nlist']:,}", f"**{n}**" if n == c["shipped_nprobe"] else n,
         f"{found['recall']:.3f}", two(found["search"]), fmt_seconds(c["build_s"])]
        for r in results for c in r.get("calibration", []) for n, found in c["by_nprobe"].items()], align="llrrrrrr")


def targets(results: list[dict], sizes: list[int]) -> list[str]:
    by_name, lines = {r["name"]: r for r in results}, []
    if SHIPPED in by_name:
        lat = by_name[SHIPPED]["latency"]
        ratio = lat["hybrid"]["p50"] / lat["encode+dense"]["p50"]
        lines.append(f"Shipped corpus: hybrid p50 / (encode+dense) p50 = {fmt_ms(lat['hybrid']['p50'])} / "
                     f"{fmt_ms(lat['encode+dense']['p50'])} ms = {ratio:.2f}x (target <= {RATIO_TARGET}x): "
                     f"{verdict(ratio <= RATIO_TARGET)}")
    if large := by_name.get(f"{P95_TARGET_SIZE:,}"):
        p95 = large["latency"]["hybrid"]["p95"]
        lines.append(f"{P95_TARGET_SIZE:,} passages: hybrid p95 (encode included) = {fmt_ms(p95)} ms (target < "
                     f"{P95_TARGET_MS:.0f} ms): {verdict(p95 < P95_TARGET_MS)} [{large['dense_kind']} over "
                     f"{large['vectors']} vectors]")
    elif P95_TARGET_SIZE in sizes:
        lines.append(f"{P95_TARGET_SIZE:,} passages: not measured in this run")
    return lines


def notes(results: list[dict], failed: list[dict], args) -> list[str]:
    out = [f"Threads: torch and FAISS {results[0]['torch_threads']}, lexical search 1 (plain numpy). Latencies over "
           f"{args.queries} questions from evaluation/questions.yaml after {args.warmup} warm-up questions; dense and "
           "lexical each fetch 128 units and map them to passages; hybrid is `HybridRetriever.search` (encode + dense + "
           "lexical + RRF), so it encodes the question again. RSS: in a fresh process per corpus, everything alive."]
    if shipped := next((r for r in results if r["name"] == SHIPPED), None):
        out.append(f"Shipped corpus ({args.corpus_label}): {shipped['passages']} passages, {shipped['units']:,} units, "
                   f"{shipped['spaces']} dense space(s) as `make index` builds them. Embed and build total are the real "
                   "`build_index` into an empty folder (embed timed inside it, per encoder); dense and lexical build "
                   "are timed once more on their own. The rebuild goes into the same folder after one word of one "
                   f"passage changed ({shipped['edit_change']}): its vector cache (index_dir/cache, "
                   f"{fmt_bytes(shipped['disk']['cache'])}, not in the disk total) holds the first build's embeddings, "
                   "so only changed texts are embedded. 'Other languages' times questions-multilingual.yaml.")
    if synthetic := [r for r in results if r["name"] != SHIPPED]:
        out.append("Synthetic corpora (harness/synthetic.py, seed 0; text generation not in build time): 1 unit = 1 "
                   "passage of 1-3 shipped sentences with 65% of the words replaced by Zipf draws; BM25 vocabulary "
                   + ", ".join(f"{r['name']}: {r['vocabulary']:,} terms" for r in synthetic) + ". Recall: \"random "
                   "vectors\" rows are the benchmark's own index (pessimistic: nothing is near anything), "
                   "\"embedding-like\" rows the same index type over vectors made from real embeddings, the realistic "
                   "recall at that size.")
    if busy := [r["name"] for r in results if r["others_cpu_share"] > BUSY]:
        out.append(f"**Other processes used more than {BUSY:.0%} of the CPUs while these were measured: {', '.join(busy)}; "
                   "their timings are inflated accordingly.**")
    return out + [f"**{r['name']}: failed** ({r['error'].strip().splitlines()[-1]})." for r in failed]


def render(args, facts: dict, results: list[dict], total_s: float, waited_s: float) -> str:
    ok, failed = [r for r in results if "error" not in r], [r for r in results if "error" in r]
    recall = subsection(f"Approximate dense index: recall@{RECALL_AT} against exact search (IndexFlatIP), and search "
                        "latency of one question fetching 128 units, ms (p50 / p95); the shipped nprobe in bold",
                        [recall_table(ok)]) if any(r.get("calibration") for r in ok) else []
    return "\n".join([*report_header("## Retrieval", args.command, facts, total_s, waited_s),
                      *subsection("Targets", targets(ok, ints(args.sizes)), bullets=True),
                      *subsection("Build, size on disk, memory", [build_table(ok)]),
                      *subsection("Query latency, ms (p50 / p95)", [latency_table(ok)]), *recall,
                      *subsection("Notes", notes(ok, failed, args) if ok else [], bullets=True)]).rstrip()


def main(argv: list[str] | None = None) -> int:
    parser = BenchParser("retrieval.py", __doc__)
    parser.scaled("--sizes", "10000,100000,1000000", "2000", "synthetic corpus sizes in passages; '' for none")
    parser.scaled("--queries", 200, 20, "timed questions per corpus", int)
    parser.scaled("--warmup", 20, 5, "untimed warm-up questions per corpus", int)
    parser.scaled("--embed-up-to", 10_000, 0, "embed synthetic corpora up to this size; random vectors above", int)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus",
                        help=f"corpus folder (default: corpus/; with --quick its first {QUICK_PASSAGE_FILES} passage files)")
    parser.add_argument("--no-recall", action="store_true", help="skip the recall measurements")
    parser.add_argument("--threads", type=int, default=usable_cores(), help="torch and FAISS threads (default: all cores)")
    args = parser.parse_args(argv)
    facts = machine_facts(("faiss-cpu", "bm25s", "sentence-transformers", "torch", "numpy"))
    print(f"{args.command}\n{facts_line(facts)}; load average {os.getloadavg()[0]:.2f}", flush=True)
    started, idle, results = time.perf_counter(), IdleWaits(args.wait_for_idle), []
    with tempfile.TemporaryDirectory(prefix="serov-bench-corpus-") as scratch:
        corpus, args.corpus_label = args.corpus, str(args.corpus)
        if args.quick:
            corpus = copy_corpus(args.corpus, Path(scratch) / "corpus", QUICK_PASSAGE_FILES)
            args.corpus_label = f"the first {QUICK_PASSAGE_FILES} passage files of {args.corpus}"
        for size in [SHIPPED, *ints(args.sizes)]:
            idle()
            print(f"- {size if size == SHIPPED else f'{size:,} synthetic passages'} ...", flush=True)
            spec = {"size": size, "queries": args.queries, "warmup": args.warmup, "corpus": str(corpus),
                    "embed_up_to": args.embed_up_to, "threads": args.threads, "recall": not args.no_recall}
            results.append({"name": size if size == SHIPPED else f"{size:,}",
                            **run_fresh(run_shipped if size == SHIPPED else run_synthetic, spec)})
            r = results[-1]
            print(f"  FAILED: {r['error']}" if "error" in r else f"  done in {fmt_seconds(r['wall_s'])}: hybrid p50/p95 "
                  f"{two(r['latency']['hybrid'])} ms; other processes used {r['others_cpu_share']:.0%} of the CPUs",
                  flush=True)
    publish(SECTION, render(args, facts, results, time.perf_counter() - started - idle.total, idle.total), args)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
