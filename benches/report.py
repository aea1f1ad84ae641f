"""Turns benches/results/latest.jsonl into the markdown tables and Mermaid chart of the README.

Every figure stands next to the baseline measured in the same run, with their ratio; the
goals are SPEC section 6's.
"""

import json
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def fmt_us(v):
    if v is None:
        return "-"
    if v >= 10000:
        return f"{v / 1000:,.0f} ms"
    if v >= 1000:
        return f"{v / 1000:.1f} ms"
    return f"{v:.0f} µs"


def ratio(a, b):
    if a is None or b in (None, 0):
        return "-"
    r = a / b
    if r < 0.5:
        return f"1/{1 / r:,.0f}"
    return f"{r:.2f}x" if r < 10 else f"{r:,.0f}x"


def main(path):
    rows = load(path)
    machine = next((r for r in rows if r["kind"] == "machine"), {})
    scales = [r["scale"] for r in rows if r["kind"] == "seed"]
    lat = {(r["scale"], r["name"]): r for r in rows if r["kind"] == "latency"}
    by = {(r["kind"], r.get("scale"), r.get("extension")): r for r in rows if r["kind"] != "latency"}

    out = []
    out.append(
        f"Machine: {machine.get('cores')} cores, {machine.get('memory_gb')} GB, PostgreSQL "
        f"{machine.get('postgres')}, {machine.get('build')} build, {machine.get('date')}. "
        "Latencies are server-side per call (p50 / p95) over rotating users; ratios compare p50 "
        "(1/N: N times faster than the baseline)."
    )
    out.append("")
    for s in scales:
        seed = by.get(("seed", s, None), {})
        out.append(f"### Workload {s}: {seed.get('urls', 0):,} URLs (seeded in {seed.get('seconds', 0):.1f} s)")
        out.append("")
        out.append("| figure | annotate_ext | baseline (same run) | baseline value | ratio | goal |")
        out.append("|---|---|---|---|---|---|")

        def line(name, ours_key, base_name, base_key, goal):
            o, b = lat.get((s, ours_key)), lat.get((s, base_key))
            if not o or not b:
                return
            out.append(
                f"| {name} | {fmt_us(o['p50'])} / {fmt_us(o['p95'])} | {base_name} | "
                f"{fmt_us(b['p50'])} / {fmt_us(b['p95'])} | {ratio(o['p50'], b['p50'])} | {goal} |"
            )

        line("selection `next_url_for_annotation`", "selection", "PK lookup on urls", "pk_lookup", "<= 5x")
        line("selection", "selection", "app's plain-view query", "app_selection", "-")
        line("selection", "selection", "PR's materialized-view query", "pr_selection", "-")
        line("selection with batch", "selection_batch", "PK lookup on urls", "pk_lookup", "-")
        line("selection, anonymous", "selection_anonymous", "PK lookup on urls", "pk_lookup", "-")
        line("selection, power annotator", "selection_power", "PK lookup on urls", "pk_lookup", "<= 50x")
        line("full response `next_annotation`", "response", "PK lookup on urls", "pk_lookup", "<= 20x")
        line("full response", "response", "app's query + 5 follow-ups", "app_response", "-")
        line("full response with batch", "response_batch", "app's query + 7 follow-ups", "app_response_batch", "-")
        line("full response, power annotator", "response_power", "PK lookup on urls", "pk_lookup", "-")

        t = by.get(("throughput", s, None))
        if t:
            share = t["ours_tps"] / t["select_only_tps"] if t["select_only_tps"] else 0
            out.append(
                f"| throughput, 8 clients | {t['ours_tps']:,.0f} tps | pgbench select-only | "
                f"{t['select_only_tps']:,.0f} tps | {share:.0%} | >= 25% |"
            )
            if t.get("claims_tps"):
                out.append(
                    f"| throughput with claims (lease + release), 8 clients | {t['claims_tps']:,.0f} tps | "
                    f"the same selection unclaimed | {t['ours_tps']:,.0f} tps | "
                    f"{t['claims_tps'] / t['ours_tps']:.0%} | - |"
                )
        w0, w1 = by.get(("writes", s, "without")), by.get(("writes", s, "with"))
        if w0 and w1:
            out.append(
                f"| one POST's inserts (4 rows) | {fmt_us(w1['post_us'])} | same without the extension | "
                f"{fmt_us(w0['post_us'])} | {ratio(w1['post_us'], w0['post_us'])} | <= 1.3x |"
            )
            out.append(
                f"| bulk insert, 5,000 agency subtasks | {fmt_us(w1['bulk_us'])} | same without the extension | "
                f"{fmt_us(w0['bulk_us'])} | {ratio(w1['bulk_us'], w0['bulk_us'])} | <= 1.5x |"
            )
        r = by.get(("refresh", s, None))
        if r:
            out.append(
                f"| `refresh()` (views + queue reconcile) | {r['ours']:.2f} s | REFRESH ... CONCURRENTLY of the PR's views | "
                f"{r['pr']:.2f} s | {ratio(r['ours'], r['pr'])} | <= 1x |"
            )
        m = by.get(("memory", s, None))
        if m:
            out.append(
                f"| peak backend memory, one `next_annotation` | {m['ours_kb']:,} kB | app's query + follow-ups | "
                f"{m['app_kb']:,} kB | - | - |"
            )
        c = by.get(("create_extension", s, None))
        if c:
            out.append(f"| `CREATE EXTENSION` (builds views and queue) | {c['seconds']:.1f} s | - | - | - | - |")
        out.append("")

    if len(scales) >= 2:
        first, last = scales[0], scales[-1]
        a, b = lat.get((last, "selection")), lat.get((first, "selection"))
        if a and b:
            out.append(f"Selection p50 {last}/{first}: {ratio(a['p50'], b['p50'])} (goal <= 2x: flat in N).")
            out.append("")
        out.append("```mermaid")
        out.append("xychart-beta")
        out.append('    title "Selection latency p50 (µs) against workload size"')
        out.append("    x-axis [" + ", ".join(f'"{s}"' for s in scales) + "]")
        top = max((lat.get((s, "selection"), {}).get("p50", 0) for s in scales), default=0)
        top = max(top, max((lat.get((s, "pk_lookup"), {}).get("p50", 0) for s in scales), default=0))
        out.append(f'    y-axis "µs" 0 --> {int(top * 1.5) + 1}')
        out.append("    line [" + ", ".join(f"{lat.get((s, 'selection'), {}).get('p50', 0):.0f}" for s in scales) + "]")
        out.append("    line [" + ", ".join(f"{lat.get((s, 'pk_lookup'), {}).get('p50', 0):.0f}" for s in scales) + "]")
        out.append("```")
        out.append("")
        out.append("Upper line: `next_url_for_annotation`; lower line: a primary-key lookup. The app's and the")
        out.append("PR's queries are in the tables above (they grow with N).")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benches/results/latest.jsonl")
