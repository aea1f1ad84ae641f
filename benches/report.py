"""Turns a benches/run result file (benches/results/*.json) into the README's markdown.

Every figure stands next to the baseline measured in the same run, as a ratio; each table puts
its worst shape first, and the goals of SPEC section 6 and of the selection and write-path
work are checked at the end.
"""

import json
import sys

BASELINES = {
    "primary-key lookup (baseline)",
    "the PR's query (baseline for snapshot mode)",
    "the app's query (baseline)",
    "the app's whole GET (baseline)",
}


def fmt_us(v):
    if v is None:
        return "-"
    if v >= 10000:
        return f"{v / 1000:,.0f} ms"
    if v >= 1000:
        return f"{v / 1000:.1f} ms"
    return f"{v:.0f} µs"


def ratio(a, b):
    if a is None or not b:
        return None
    return a / b


def fmt_ratio(r):
    if r is None:
        return "-"
    if r < 0.1:
        return f"1/{1 / r:,.0f}"
    return f"{r:.2f}x" if r < 10 else f"{r:,.0f}x"


def check(ok, text):
    return f"- {'met' if ok else '**not met**'}: {text}"


def main(path):
    rows = json.load(open(path))
    machine = next((r for r in rows if r["kind"] == "machine"), {})
    scales = [r["scale"] for r in rows if r["kind"] == "seed"]
    shapes = [r for r in rows if r["kind"] == "shape"]
    settings = sorted({r["settings"] for r in shapes}, key=lambda s: (s != "stock", s))

    def shape(scale, setting, name):
        for r in shapes:
            if r["scale"] == scale and r["settings"] == setting and r["shape"] == name:
                return r["result"]
        return None

    def one(kind, scale=None):
        return next((r for r in rows if r["kind"] == kind and r.get("scale") == scale), None)

    out = []
    out.append(
        f"Measured {machine.get('date', '?')} on {machine.get('cores', '?')} cores, "
        f"{machine.get('memory_gb', '?')} GiB, PostgreSQL {machine.get('postgres', '?')} "
        f"(jit {machine.get('jit', '?')}), {machine.get('build', '?')} build, with "
        f"`{machine.get('command', 'benches/run')}`. Server-side time per call, p50 and p95 over "
        "rotating calls; ratios are to the primary-key lookup on `urls` measured in the same run "
        "under the same settings."
    )
    goals = []
    for scale in scales:
        seed = one("seed", scale)
        created = one("create_extension", scale)
        out.append(f"\n#### Workload {scale}: {seed['urls']:,} URLs "
                   f"(seeded in {seed['seconds']:.1f} s; CREATE EXTENSION {created['seconds']:.1f} s)\n")
        for setting in settings:
            pk = shape(scale, setting, "primary-key lookup (baseline)")
            if not pk:
                continue
            table = []
            for r in shapes:
                if r["scale"] != scale or r["settings"] != setting or r["shape"] in BASELINES:
                    continue
                res = r["result"]
                stock = shape(scale, "stock", r["shape"]) if setting != "stock" else None
                table.append((r["shape"], res, ratio(res["p50"], pk["p50"]), ratio(res["p95"], pk["p95"]),
                              ratio(res["p50"], stock["p50"]) if stock else None))
            table.sort(key=lambda t: -(t[3] or 0))
            out.append(f"{setting.capitalize()} settings, worst first (primary-key lookup: p50 "
                       f"{fmt_us(pk['p50'])}, p95 {fmt_us(pk['p95'])}):\n")
            head = "| caller | p50 | p95 | p50 / PK | p95 / PK |"
            sep = "|---|---|---|---|---|"
            if setting != "stock":
                head += " p50 / stock |"
                sep += "---|"
            out += [head, sep]
            for name, res, r50, r95, rs in table:
                line = f"| {name} | {fmt_us(res['p50'])} | {fmt_us(res['p95'])} | {fmt_ratio(r50)} | {fmt_ratio(r95)} |"
                if setting != "stock":
                    line += f" {fmt_ratio(rs)} |"
                out.append(line)
            for b in sorted(BASELINES - {"primary-key lookup (baseline)"}):
                res = shape(scale, setting, b)
                if res:
                    out.append(f"| *{b}* | {fmt_us(res['p50'])} | {fmt_us(res['p95'])} | "
                               f"{fmt_ratio(ratio(res['p50'], pk['p50']))} | {fmt_ratio(ratio(res['p95'], pk['p95']))} |")
            out.append("")

            selection = [t for t in table if not t[0].startswith(("response", "snapshot", "claim_for"))
                         and "40000" not in t[0]]
            worst = max(selection, key=lambda t: t[2] or 0, default=None)
            if worst:
                goals.append(check((worst[2] or 0) <= 10,
                                   f"{scale}, {setting}: every selection shape <= 10x PK at p50 "
                                   f"(worst: {worst[0]}, {fmt_ratio(worst[2])})"))
            power = next((t for t in table if t[0].startswith("40000")), None)
            if power:
                goals.append(check((power[2] or 0) <= 50,
                                   f"{scale}, {setting}: the 40k-annotation power annotator <= 50x PK ({fmt_ratio(power[2])})"))
            responses = [t for t in table if t[0].startswith("response")]
            if responses:
                w = max(responses, key=lambda t: t[2] or 0)
                goals.append(check((w[2] or 0) <= 20, f"{scale}, {setting}: every full response <= 20x PK "
                                                      f"(worst: {w[0]}, {fmt_ratio(w[2])})"))
            snap = shape(scale, setting, "snapshot mode, new user")
            pr = shape(scale, setting, "the PR's query (baseline for snapshot mode)")
            if snap and pr:
                goals.append(check(snap["p50"] <= pr["p50"] * 1.1,
                                   f"{scale}, {setting}: snapshot mode no slower than the PR's query "
                                   f"({fmt_us(snap['p50'])} against {fmt_us(pr['p50'])})"))
            if setting != "stock":
                w = max(table, key=lambda t: t[4] or 0, default=None)
                if w and w[4] is not None:
                    goals.append(check(w[4] <= 2, f"{scale}: hostile settings <= 2x stock for each shape "
                                                  f"(worst: {w[0]}, {fmt_ratio(w[4])})"))

        writes = [r for r in rows if r["kind"] == "write" and r["scale"] == scale]
        if writes:
            out.append("The app's writes, one transaction each (bulk: 5,000 robot votes in one statement), "
                       "median, with the extension's triggers enabled and disabled alternately:\n")
            out += ["| write | without | with | ratio |", "|---|---|---|---|"]
            for w in writes:
                out.append(f"| {w['write']} | {fmt_us(w['without_us'])} | {fmt_us(w['with_us'])} | "
                           f"{fmt_ratio(ratio(w['with_us'], w['without_us']))} |")
            out.append("")
            post = next((w for w in writes if w["write"] == "post"), None)
            bulk = next((w for w in writes if w["write"] == "bulk"), None)
            if post:
                goals.append(check(post["with_us"] <= 1.3 * post["without_us"],
                                   f"{scale}: one POST <= 1.3x ({fmt_ratio(ratio(post['with_us'], post['without_us']))})"))
            if bulk:
                goals.append(check(bulk["with_us"] <= 1.5 * bulk["without_us"],
                                   f"{scale}: bulk <= 1.5x ({fmt_ratio(ratio(bulk['with_us'], bulk['without_us']))})"))
        b = one("vote_breakdown", scale)
        if b:
            out.append(
                f"Where an anonymous vote's extra time goes: the vote alone {fmt_us(b['without'])}; a statement "
                f"trigger over the inserted rows that does nothing adds {fmt_us(b['nothing'] - b['without'])} "
                f"(the trigger call and the transition table); one that appends, in SQL, a row shaped and indexed "
                f"as the extension's pending writes adds {fmt_us(b['append'] - b['without'])} (call, transition "
                f"table, append and its index entry); the extension's triggers add "
                f"{fmt_us(b['extension'] - b['without'])} (call, checks, the delta computed and appended).\n")
        truncates = [r for r in rows if r["kind"] == "truncate" and r["scale"] == scale]
        if truncates:
            out.append("`TRUNCATE` of app tables, rolled back, median of 3, with the extension's TRUNCATE "
                       "triggers enabled and disabled:\n")
            out += ["| truncate | without | with | ratio |", "|---|---|---|---|"]
            for t in truncates:
                out.append(f"| {t['what']} | {t['without_ms']:,.0f} ms | {t['with_ms']:,.0f} ms | "
                           f"{fmt_ratio(ratio(t['with_ms'], t['without_ms']))} |")
            out.append("")
        r = one("refresh", scale)
        if r:
            out.append(f"`refresh()` {r['ours']:.2f} s against the PR's two `REFRESH MATERIALIZED VIEW "
                       f"CONCURRENTLY` {r['pr']:.2f} s ({fmt_ratio(ratio(r['ours'], r['pr']))}).\n")
            goals.append(check(r["ours"] <= r["pr"] * 1.05,
                               f"{scale}: refresh() <= 1.0x the PR's ({fmt_ratio(ratio(r['ours'], r['pr']))}; "
                               "within 5% counts as met on this noisy machine)"))
        t = one("throughput", scale)
        if t:
            out.append(
                f"Throughput at 8 clients: selection {t['selection_tps']:,.0f} tps; with leases taken and held "
                f"(never released, {t['leases_held_after_claims']:,} held at the end) {t['claims_tps']:,.0f} tps, "
                f"and {t['claims_10k_held_tps']:,.0f} tps with 10,000 more held by others; pgbench's select-only "
                f"{t['select_only_tps']:,.0f} tps.\n")
            goals.append(check(t["claims_tps"] >= 0.5 * t["selection_tps"],
                               f"{scale}: selection with leases held >= 50% of unleased throughput "
                               f"({fmt_ratio(ratio(t['claims_tps'], t['selection_tps']))})"))
            goals.append(check(t["claims_10k_held_tps"] >= 0.8 * t["claims_tps"],
                               f"{scale}: leasing flat in live leases (10,000 held: "
                               f"{fmt_ratio(ratio(t['claims_10k_held_tps'], t['claims_tps']))} of none held)"))
        m = one("memory", scale)
        if m:
            out.append(f"Peak backend memory added by one call: full response {m['response_kb']:,} kB, "
                       f"`max_urls => 1000` {m['max_urls_1000_kb']:,} kB, the primary-key lookup {m['pk_kb']:,} kB, "
                       f"the app's whole GET {m['app_kb']:,} kB.\n")

    if "S" in scales and "L" in scales:
        for setting in settings:
            worst = None
            for r in shapes:
                if r["scale"] != "L" or r["settings"] != setting or r["shape"] in BASELINES:
                    continue
                s = shape("S", setting, r["shape"])
                if s and s["p50"]:
                    lr = r["result"]["p50"] / s["p50"]
                    if worst is None or lr > worst[1]:
                        worst = (r["shape"], lr)
            if worst:
                goals.append(check(worst[1] <= 2, f"{setting}: each shape's L/S <= 2 (worst: {worst[0]}, {worst[1]:.2f})"))
        ps = next((r for r in rows if r["kind"] == "write" and r["scale"] == "S" and r["write"] == "post"), None)
        pl = next((r for r in rows if r["kind"] == "write" and r["scale"] == "L" and r["write"] == "post"), None)
        if ps and pl:
            over_s = ps["with_us"] - ps["without_us"]
            over_l = pl["with_us"] - pl["without_us"]
            if over_s > 0:
                goals.append(check(over_l / over_s <= 1.2, f"POST overhead L/S <= 1.2 ({over_l / over_s:.2f})"))
    mix = next((r for r in rows if r["kind"] == "write_mix"), None)
    if mix and mix["without_tps"]:
        out.append(f"The app's write mix at 8 clients (workload S, tests/scripts/write_mix.sh): "
                   f"{mix['without_tps']:,.0f} tps without the extension, {mix['with_tps']:,.0f} tps with it.\n")
        goals.append(check(mix["with_tps"] >= 0.8 * mix["without_tps"],
                           f"write mix throughput >= 80% of the same mix without the extension "
                           f"({fmt_ratio(ratio(mix['with_tps'], mix['without_tps']))})"))
    mr = next((r for r in rows if r["kind"] == "write_mix_reads"), None)
    if mr and mr["without_tps"]:
        out.append(f"The same writes with selection (20% of the transactions) and lease-and-release (10%) "
                   f"mixed in on the extension's side: {mr['with_tps']:,.0f} tps against "
                   f"{mr['without_tps']:,.0f} tps for the writes alone without it; a selection call took "
                   f"{mr['select_ms']:.1f} ms and a lease-and-release {mr['claim_ms']:.1f} ms on average, "
                   f"a POST {mr['post_ms']:.1f} ms ({mr['post_without_ms']:.1f} ms without the extension).\n")
    out.append("Goals:\n")
    out += goals
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
