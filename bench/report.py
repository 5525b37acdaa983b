#!/usr/bin/env python3
"""Turns bench/http.sh's results.txt (and BenchmarkDotNet's joined report, if any) into the generated section of
docs/benchmarks.md and the plot docs/benchmarks-token-latency.svg (latency against concurrency for token issuance).
Usage: bench/report.py RESULTS_DIR [BENCHMARKDOTNET_REPORT.md]     Standard library only."""
import math
import pathlib
import re
import sys

BEGIN = "<!-- bench/run.sh writes from here: begin -->"
END = "<!-- bench/run.sh: end -->"
SECTION = "## 2026-11-26: the server against its peers (issue 13)"
ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SVG = ROOT / "docs" / "benchmarks-token-latency.svg"


def read_results(directory):
    results = {}
    for line in (pathlib.Path(directory) / "results.txt").read_text().splitlines():
        name, _, value = line.partition(" ")
        results[name] = value.strip().strip('"')
    return results


def num(results, name):
    value = results.get(name)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def fmt(value, digits=0):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def databases(results):
    return [db for db in ("sqlite", "postgres") if f"token.{db}.peak_rss_mb" in results]


def connections(results, db):
    found = {int(m.group(1)) for name in results if (m := re.fullmatch(rf"token\.{db}\.c(\d+)\.rps", name))}
    return sorted(found)


def plot(results):
    """Two panels: p50/p99 latency (log scale) and tokens/s against connections (log2), one colour per database."""
    colours = {"sqlite": "#1f77b4", "postgres": "#d62728"}
    width, height, margin = 920, 380, 60
    panel = (width - 3 * margin) / 2
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>']
    dbs = databases(results)
    conns = sorted({c for db in dbs for c in connections(results, db)}) or [1]
    xmin, xmax = math.log2(min(conns)), math.log2(max(conns)) or 1

    def x(panel_left, c):
        return panel_left + (math.log2(c) - xmin) / ((xmax - xmin) or 1) * panel

    top, bottom = 40, height - 50
    # Latency panel, log10 milliseconds.
    lat = [v for db in dbs for c in connections(results, db) for k in ("p50_ms", "p99_ms") if (v := num(results, f"token.{db}.c{c}.{k}"))]
    lo, hi = math.floor(math.log10(min(lat or [0.1]))), math.ceil(math.log10(max(lat or [10])))
    hi = hi if hi > lo else lo + 1

    def ylat(v):
        return bottom - (math.log10(v) - lo) / (hi - lo) * (bottom - top)

    rps = [v for db in dbs for c in connections(results, db) if (v := num(results, f"token.{db}.c{c}.rps"))]
    rmax = max(rps or [1]) * 1.1

    def yrps(v):
        return bottom - v / rmax * (bottom - top)

    for left, title in ((margin, "token issuance latency (ms, log scale)"), (2 * margin + panel, "tokens per second")):
        out.append(f'<text x="{left + panel / 2}" y="20" text-anchor="middle" font-weight="bold">{title}</text>')
        out.append(f'<line x1="{left}" y1="{bottom}" x2="{left + panel}" y2="{bottom}" stroke="black"/>')
        out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="black"/>')
        for c in conns:
            out.append(f'<text x="{x(left, c)}" y="{bottom + 15}" text-anchor="middle">{c}</text>')
        out.append(f'<text x="{left + panel / 2}" y="{bottom + 32}" text-anchor="middle">concurrent connections (wrk)</text>')
    for e in range(lo, hi + 1):
        y = ylat(10 ** e)
        out.append(f'<line x1="{margin}" y1="{y}" x2="{margin + panel}" y2="{y}" stroke="#ddd"/>')
        out.append(f'<text x="{margin - 5}" y="{y + 4}" text-anchor="end">{10 ** e:g}</text>')
    right = 2 * margin + panel
    for i in range(0, 6):
        v = rmax * i / 5
        out.append(f'<line x1="{right}" y1="{yrps(v)}" x2="{right + panel}" y2="{yrps(v)}" stroke="#ddd"/>')
        out.append(f'<text x="{right - 5}" y="{yrps(v) + 4}" text-anchor="end">{v:,.0f}</text>')
    target = 5000
    if target < rmax:
        out.append(f'<line x1="{right}" y1="{yrps(target)}" x2="{right + panel}" y2="{yrps(target)}" stroke="#2ca02c" stroke-dasharray="6,4"/>')
        out.append(f'<text x="{right + panel - 4}" y="{yrps(target) - 4}" text-anchor="end" fill="#2ca02c">target 5,000/s</text>')
    legend = 0
    for db in dbs:
        colour = colours[db]
        cs = connections(results, db)
        for key, dash in (("p50_ms", ""), ("p99_ms", ' stroke-dasharray="5,3"')):
            points = [(x(margin, c), ylat(v)) for c in cs if (v := num(results, f"token.{db}.c{c}.{key}"))]
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in points)}"/>')
            out.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{colour}"/>' for a, b in points)
            out.append(f'<text x="{margin + 8}" y="{top + 14 + 14 * legend}" fill="{colour}">{db} {key[:3]}{" (dashed)" if dash else ""}</text>')
            legend += 1
        points = [(x(right, c), yrps(v)) for c in cs if (v := num(results, f"token.{db}.c{c}.rps"))]
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in points)}"/>')
        out.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{colour}"/>' for a, b in points)
        out.append(f'<text x="{right + 8}" y="{top + 14 + 14 * dbs.index(db)}" fill="{colour}">{db}</text>')
    out.append("</svg>")
    SVG.write_text("\n".join(out) + "\n")


def benchmark_mean(dotnet_report, method):
    """The Mean cell of METHOD's row in BenchmarkDotNet's joined GitHub-markdown report, or None."""
    if not dotnet_report:
        return None
    header = None
    for line in pathlib.Path(dotnet_report).read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if "Method" in cells and "Mean" in cells:
            header = cells
        elif header and len(cells) == len(header) and cells[header.index("Method")].strip("'") == method:
            return cells[header.index("Mean")]
    return None


def section(results, dotnet_report, directory):
    r = results
    lines = [BEGIN, "",
             f"### Latest run: {r.get('date', '?')} (generated by `bench/run.sh`; do not edit by hand)", "",
             f"Machine: {r.get('machine', '?')}; PostgreSQL {r.get('postgres.version', 'n/a')}. "
             f"vouch-server (published, Release) pinned to CPU 0 with `taskset`, wrk (1 thread) on CPU 1, "
             f"{r.get('duration', '?')} per measurement after a warm-up; PostgreSQL (fsync and synchronous_commit on) "
             "shares CPU 1 with wrk; SQLite in WAL mode (synchronous FULL, each commit fsyncs). `load` is the 1-minute "
             "load average when the measurement ended (other builds on the machine show there). Rerun: `bench/run.sh` "
             "(all of it) or `RESULTS=DIR bench/http.sh && bench/report.py DIR` (`DURATION`, `CONNECTIONS`, `DATABASES`, "
             "`USERS`, `LOGINS`, `WARMUP` override).", ""]
    jv, jo = num(r, "jwks.vouch.rps"), num(r, "jwks.oidc_provider.rps")
    ratio = f"{jv / jo:.1f}x" if jv and jo else "n/a"
    lines += ["| benchmark | result | target | load |", "| --- | --- | --- | --- |",
              f"| `GET /.well-known/jwks.json`, vouch-server, 64 connections | {fmt(jv)} req/s, p50 {r.get('jwks.vouch.p50_ms')} ms, p99 {r.get('jwks.vouch.p99_ms')} ms ({r.get('jwks.vouch.bytes')} B body) | | {r.get('jwks.vouch.load')} |",
              f"| the same from oidc-provider (Node), same CPU | {fmt(jo)} req/s, p50 {r.get('jwks.oidc_provider.p50_ms')} ms, p99 {r.get('jwks.oidc_provider.p99_ms')} ms ({r.get('jwks.oidc_provider.bytes')} B body) | | {r.get('jwks.oidc_provider.load')} |",
              f"| vouch-server / oidc-provider | **{ratio}** | ≥ 3x | |",
              f"| `GET /.well-known/openid-configuration` | {fmt(num(r, 'discovery.vouch.rps'))} req/s, p99 {r.get('discovery.vouch.p99_ms')} ms | | {r.get('discovery.vouch.load')} |",
              f"| `GET /healthz` | {fmt(num(r, 'healthz.vouch.rps'))} req/s, p99 {r.get('healthz.vouch.p99_ms')} ms | | {r.get('healthz.vouch.load')} |"]
    for db in databases(r):
        cs = connections(r, db)
        best = max(cs, key=lambda c: num(r, f"token.{db}.c{c}.rps") or 0) if cs else None
        lines.append(f"| `POST /api/v1/token` on {db}, best of {', '.join(map(str, cs))} connections | "
                     f"**{fmt(num(r, f'token.{db}.c{best}.rps'))} tokens/s** at {best}, p99 {r.get(f'token.{db}.c{best}.p99_ms')} ms; "
                     f"{r.get(f'audit.{db}.verified', 'chain not verified')} | ≥ 5,000/s | {r.get(f'token.{db}.c{best}.load')} |")
        lines.append(f"| server resident memory under the token load on {db} | peak {r.get(f'token.{db}.peak_rss_mb')} MB "
                     f"(VmHWM), {r.get(f'token.{db}.c{best}.rss_mb')} MB after the {best}-connection run | reported | |")
        lines.append(f"| server CPU per login on {db} over HTTP (options + assertion check + session and audit write) | "
                     f"**{r.get(f'login.{db}.cpu_ms')} ms** ({r.get(f'login.{db}.per_s')} logins/s, users in parallel; "
                     f"{r.get(f'login.{db}.measured', '?')} logins measured after {r.get(f'login.{db}.warm_up', '?')} to warm up) | ≤ 2 ms | |")
    for method, what in (("VerifyAssertion", "the assertion check alone, in process (parse + Fido2 verify, `LoginBenchmarks.VerifyAssertion`)"),
                         ("LoginOptions", "login options in process on SQLite (`LoginBenchmarks.LoginOptions`)"),
                         ("FinishLogin", "the whole login finish in process on SQLite (`LoginBenchmarks.FinishLogin`)")):
        if (mean := benchmark_mean(dotnet_report, method)) is not None:
            lines.append(f"| {what} | **{mean}** (BenchmarkDotNet mean, not pinned) | {'≤ 2 ms' if method == 'VerifyAssertion' else ''} | |")
    lines += ["", "Token issuance against concurrency (every request a valid session, a signed token and a committed audit record):", "",
              "| connections | " + " | ".join(f"{db} tokens/s | p50 ms | p99 ms | errors | server CPU µs/token | RSS MB | load" for db in databases(r)) + " |",
              "| --- |" + " --- | --- | --- | --- | --- | --- | --- |" * len(databases(r))]
    for c in sorted({c for db in databases(r) for c in connections(r, db)}):
        cells = []
        for db in databases(r):
            p = f"token.{db}.c{c}"
            cells += [fmt(num(r, p + ".rps")), r.get(p + ".p50_ms", ""), r.get(p + ".p99_ms", ""), r.get(p + ".errors", ""),
                      r.get(p + ".cpu_us", ""), r.get(p + ".rss_mb", ""), r.get(p + ".load", "")]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines += ["", "![token issuance: latency and throughput against concurrent connections](benchmarks-token-latency.svg)", ""]
    if dotnet_report:
        text = pathlib.Path(dotnet_report).read_text()
        table = [l for l in text.splitlines() if l.startswith("|")]
        lines += ["BenchmarkDotNet (in-process, not pinned):", ""] + table + [""]
    for cli in sorted(pathlib.Path(directory).glob("cli*.txt")):
        # Every table the script printed, each under its own "run N of M (...)" line when it has one: a repeated
        # benchmark shows all its runs, not one.
        blocks, previous = [], ""
        for line in cli.read_text().splitlines():
            if line.startswith("|"):
                if not previous.startswith("|"):
                    blocks.append([])
                blocks[-1].append(line)
            elif line.startswith("run ") and " of " in line:
                blocks.append([line, ""])
                previous = ""
                continue
            previous = line
        if blocks:
            lines += [f"The CLI (`bench/{cli.stem}.sh`, hyperfine, not pinned):", ""]
            for block in blocks:
                lines += block + ([""] if block[-1] else [])
    lines.append(END)
    return "\n".join(lines)


def main():
    results = read_results(sys.argv[1])
    dotnet_report = sys.argv[2] if len(sys.argv) > 2 else None
    plot(results)
    doc = DOC.read_text()
    generated = section(results, dotnet_report, sys.argv[1])
    if BEGIN in doc:
        start, end = doc.index(BEGIN), doc.index(END) + len(END)
        doc = doc[:start] + generated + doc[end:]
    elif SECTION in doc:
        at = doc.index(SECTION) + len(SECTION)
        doc = doc[:at] + "\n\n" + generated + doc[at:]
    else:
        doc = doc.rstrip("\n") + "\n\n" + SECTION + "\n\n" + generated + "\n"
    DOC.write_text(doc)
    print(f"wrote {DOC.relative_to(ROOT)} and {SVG.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
