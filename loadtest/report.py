"""The Markdown report of a load-test run (loadtest/run.sh): the original's metrics per phase
and for the whole run, what the server used meanwhile, and (Task 2) whether every
acknowledged upload was found again. Writes OUT.md and OUT.svg (the chart it shows).

Per-phase figures come from the run's own records of every response and visit (exact
percentiles); the whole-run row also gives Artillery's aggregate, which is authoritative.
"""
import argparse
import csv
import json
import os
import platform
import subprocess
import time

parser = argparse.ArgumentParser()
for name in ("artillery", "samples", "verify", "records", "phases", "drain", "command", "started", "ended",
             "classify", "backend", "task", "rate", "server", "out"):
    parser.add_argument(f"--{name}", default="")
args = parser.parse_args()


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    i = round((len(sorted_values) - 1) * p)
    return sorted_values[i]


def stats(values):
    values = sorted(values)
    if not values:
        return {k: None for k in ("min", "max", "mean", "median", "p95", "p99")}
    return {
        "min": values[0],
        "max": values[-1],
        "mean": sum(values) / len(values),
        "median": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
    }


def fmt(value, digits=0):
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


records = []
if args.records and os.path.exists(args.records):
    with open(args.records) as f:
        records = [json.loads(line) for line in f if line.strip()]
durations = [int(d) for d in args.phases.split(",")] if args.phases else []
names = ["ramp-up", "steady", "ramp-down"][: len(durations)]
first = min((r["t"] for r in records if r["kind"] == "visit"), default=0)
bounds, at = [], first
for d in durations:
    bounds.append((at, at + d * 1000))
    at += d * 1000


def phase_of(t):
    for i, (a, b) in enumerate(bounds):
        if a <= t < b:
            return i
    return len(bounds) - 1 if bounds and t >= bounds[-1][1] else 0


rows = []
for i, name in enumerate(names + ["whole run"]):
    mine = [r for r in records if i == len(names) or phase_of(r["t"]) == i]
    responses = [r for r in mine if r["kind"] == "response"]
    visits = [r for r in mine if r["kind"] == "visit"]
    completed = [r for r in mine if r["kind"] == "completed"]
    codes = {}
    for r in responses:
        codes[r["status"]] = codes.get(r["status"], 0) + 1
    rows.append({
        "phase": name,
        "seconds": durations[i] if i < len(durations) else sum(durations),
        "created": len(visits),
        "completed": len(completed),
        "failed": len(visits) - len(completed),
        "codes": codes,
        "response": stats([r["ms"] for r in responses]),
        "session": stats([r["ms"] for r in completed]),
    })

artillery = load_json(args.artillery) or {}
aggregate = artillery.get("aggregate", {})
counters = aggregate.get("counters", {})
summaries = aggregate.get("summaries", {})

samples = []
if args.samples and os.path.exists(args.samples):
    with open(args.samples) as f:
        for row in csv.DictReader(f):
            samples.append({k: (float(v) if v not in ("", None) else None) for k, v in row.items()})


def column(name):
    return [s[name] for s in samples if s.get(name) is not None]


verify = load_json(args.verify) if args.task == "task2" else None

# The chart: CPU of the server and of the load generator (percent of one core), the
# server's memory and the queue's depth, over the run.
svg_path = os.path.splitext(args.out)[0] + ".svg"
width, height, pad = 720, 260, 40


def polyline(points, scale_max, color, dash=""):
    if not points or not scale_max:
        return ""
    t_max = max(samples[-1]["t"], 1)
    coords = " ".join(
        f"{pad + (t / t_max) * (width - 2 * pad):.1f},{height - pad - (v / scale_max) * (height - 2 * pad):.1f}"
        for t, v in points
    )
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline fill="none" stroke="{color}" stroke-width="1.5"{dash_attr} points="{coords}"/>'


if samples:
    cpu_max = max(200.0, max(column("server_cpu") + column("loadgen_cpu") or [0]))
    rss = [(s["t"], s["server_rss_mb"]) for s in samples if s["server_rss_mb"] is not None]
    queue = [(s["t"], s["queue_depth"]) for s in samples if s["queue_depth"] is not None]
    rss_max = max([v for _, v in rss] or [1])
    queue_max = max([v for _, v in queue] or [0]) or 1
    lines = [
        polyline([(s["t"], s["server_cpu"]) for s in samples], cpu_max, "#d62728"),
        polyline([(s["t"], s["loadgen_cpu"]) for s in samples if s["loadgen_cpu"] is not None], cpu_max,
                 "#7f7f7f", "4 3"),
        polyline(rss, rss_max, "#1f77b4"),
        polyline(queue, queue_max, "#2ca02c"),
    ]
    legend = [
        ("#d62728", f"server CPU (0–{cpu_max:.0f} % of a core)"),
        ("#7f7f7f", "load generator CPU (same scale)"),
        ("#1f77b4", f"server memory (0–{rss_max:.0f} MB)"),
        ("#2ca02c", f"queue depth (0–{queue_max:.0f} jobs)"),
    ]
    # Two entries a row, each in its half of the width, so no label runs off the chart.
    legend_svg = ""
    for i, (color, label) in enumerate(legend):
        x, y = pad + (i % 2) * (width - 2 * pad) / 2, 6 + (i // 2) * 14
        legend_svg += (f'<rect x="{x:.0f}" y="{y}" width="10" height="10" fill="{color}"/>'
                       f'<text x="{x + 14:.0f}" y="{y + 9}" font-size="10" fill="currentColor">{label}</text>')
    t_max = samples[-1]["t"]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Server CPU, memory and queue depth over {t_max:.0f} seconds" '
        f'style="font-family: sans-serif; color: #333; background: #fff">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#999"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#999"/>'
        f'<text x="{width - pad}" y="{height - pad + 16}" font-size="10" text-anchor="end" fill="currentColor">'
        f'{t_max:.0f} s</text>'
        f'<text x="{pad}" y="{height - pad + 16}" font-size="10" fill="currentColor">0 s</text>'
        f"{legend_svg}{''.join(lines)}</svg>\n"
    )
    with open(svg_path, "w") as f:
        f.write(svg)


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except Exception:
        return "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


out = []
out.append(f"# {args.task}, {args.backend}, {args.rate} visitors/s\n")
out.append(f"- Command: `{args.command}`")
started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(args.started or 0)))
out.append(f"- Run: {started}, {int(args.ended or 0) - int(args.started or 0)} s, commit {commit()}")
out.append(f"- Machine: {os.cpu_count()} cores ({cpu_model()}); the load generator ran on the same cores")
out.append(f"- Classifier: {args.classify}")
if args.server:
    out.append(f"- Server: `{args.server}` (`LOADTEST_SERVER`), not this checkout's build")
out.append("")
out.append("## Visitors and responses per phase\n")
out.append("Response times are to the first byte (Artillery's `http.response_time`), in ms; session "
           "lengths are whole visits, in ms.\n")
head = ("| phase | s | vusers.created | vusers.completed | vusers.failed | http.codes | "
        "response min | max | mean | median | p95 | p99 | session median | p95 | p99 |")
out.append(head)
out.append("|" + "|".join(["---"] * (head.count("|") - 1)) + "|")
for r in rows:
    codes = ", ".join(f"{k}: {v}" for k, v in sorted(r["codes"].items())) or "–"
    rt, sl = r["response"], r["session"]
    out.append(
        f"| {r['phase']} | {r['seconds']} | {r['created']} | {r['completed']} | {r['failed']} | {codes} | "
        f"{fmt(rt['min'])} | {fmt(rt['max'])} | {fmt(rt['mean'], 1)} | {fmt(rt['median'])} | {fmt(rt['p95'])} | "
        f"{fmt(rt['p99'])} | {fmt(sl['median'])} | {fmt(sl['p95'])} | {fmt(sl['p99'])} |"
    )
out.append("")
if counters or summaries:
    rt = summaries.get("http.response_time", {})
    sl = summaries.get("vusers.session_length", {})
    codes = ", ".join(f"{k.split('.')[-1]}: {v}" for k, v in sorted(counters.items()) if k.startswith("http.codes."))
    out.append("Artillery's own aggregate of the whole run: "
               f"`vusers.created` {counters.get('vusers.created', 0)}, "
               f"`vusers.completed` {counters.get('vusers.completed', 0)}, "
               f"`vusers.failed` {counters.get('vusers.failed', 0)}, `http.codes` {codes or '–'}; "
               f"`http.response_time` min {fmt(rt.get('min'))}, max {fmt(rt.get('max'))}, "
               f"mean {fmt(rt.get('mean'), 1)}, median {fmt(rt.get('median'))}, p95 {fmt(rt.get('p95'))}, "
               f"p99 {fmt(rt.get('p99'))} ms; `vusers.session_length` median {fmt(sl.get('median'), 1)}, "
               f"p95 {fmt(sl.get('p95'), 1)}, p99 {fmt(sl.get('p99'), 1)} ms.")
    errors = {k: v for k, v in counters.items() if k.startswith("errors.")}
    if errors:
        out.append("")
        out.append("Errors: " + ", ".join(f"`{k}` {v}" for k, v in sorted(errors.items())))
    out.append("")

out.append("## The server meanwhile\n")
if samples:
    cpu = column("server_cpu")
    gen = column("loadgen_cpu")
    queue = column("queue_depth")
    out.append(f"- Server CPU: mean {sum(cpu) / len(cpu):.0f} %, peak {max(cpu):.0f} % of one core "
               f"(the machine has {os.cpu_count() * 100} %)")
    out.append(f"- Server memory: peak {max(column('server_rss_mb')):.0f} MB resident; "
               f"peak {max(column('server_threads') or [0]):.0f} threads")
    if gen:
        out.append(f"- Load generator CPU: mean {sum(gen) / len(gen):.0f} %, peak {max(gen):.0f} % of one core")
    if queue and args.classify == "on":
        out.append(f"- Classification queue: peak {max(queue):.0f} jobs waiting or running")
    elif queue:
        out.append(f"- Classification queue: {max(queue):.0f} jobs left waiting (the classifier is off)")
    probe = sorted(column("probe_ms"))
    if probe:
        out.append(f"- Independent probe (one admin request a second from outside Artillery): median "
                   f"{probe[len(probe) // 2]:.1f}, p95 {probe[min(len(probe) - 1, int(len(probe) * 0.95))]:.1f}, "
                   f"max {probe[-1]:.1f} ms: how fast the server answered a light request meanwhile, "
                   "timed without Artillery in the way.")
if args.drain:
    out.append(f"- The queue drained {args.drain} s after the last visitor")
out.append("")
if os.path.exists(svg_path):
    out.append(f"![Server CPU, memory and queue depth over the run]({os.path.basename(svg_path)})")
    out.append("")

if verify:
    c = verify["counts"]
    out.append("## Every acknowledged upload, found again\n")
    out.append("| acknowledged (201) | stored | listed | classified |")
    out.append("|---|---|---|---|")
    classified = c["classified"] if args.classify == "on" else f"{c['classified']} (classifier off)"
    out.append(f"| {c['acknowledged']} | {c['stored']} | {c['listed']} | {classified} |")
    out.append("")
    out.append("Result: " + ("**all found**" if verify["ok"] else "**MISSING UPLOADS** " + json.dumps(verify["missing"])))
    out.append("")

with open(args.out, "w") as f:
    f.write("\n".join(out) + "\n")
