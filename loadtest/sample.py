"""Samples the server under load once a second until stopped (SIGTERM): its CPU (percent
of one core) and resident memory, the load generator's CPU, and the classification queue's
depth (queued + running jobs, from the admin API). Timing that admin request is also an
independent probe of the server's latency, outside the load generator: when Artillery's
response times are far above the probe's, the generator is the bottleneck, not the server.
Writes CSV lines as it goes.

    python sample.py SERVER_PID URL ADMIN_TOKEN LOADGEN_PID_FILE OUT_CSV
"""
import json
import os
import signal
import sys
import time
import urllib.request

server_pid, url, token, loadgen_file, out = sys.argv[1:6]
TICK = os.sysconf("SC_CLK_TCK")
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)


def tree(pid):
    """A process and all its descendants."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(f.read().split())
        except OSError:
            pass
    return pids


def cpu_seconds(pid):
    total = 0.0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
        except (OSError, IndexError, ValueError):
            pass
    return total


def threads(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def queue_depth():
    """The queue's depth and how long the server took to say it, in ms."""
    request = urllib.request.Request(f"{url}/api/v1/admin/stats", headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=5) as res:
            jobs = json.load(res)["jobs"]
        took = f"{1000 * (time.perf_counter() - started):.1f}"
        return jobs.get("queued", 0) + jobs.get("running", 0), took
    except Exception:  # a sample is skipped, not the run
        return "", ""


def loadgen_pid():
    try:
        with open(loadgen_file) as f:
            return f.read().strip()
    except OSError:
        return None


with open(out, "w") as csv:
    csv.write("t,server_cpu,server_rss_mb,server_threads,loadgen_cpu,queue_depth,probe_ms\n")
    start = time.monotonic()
    last_t, last_server, last_gen, gen = start, cpu_seconds(server_pid), 0.0, None
    while running:
        time.sleep(1)
        now = time.monotonic()
        server = cpu_seconds(server_pid)
        pid = loadgen_pid()
        if pid and not os.path.exists(f"/proc/{pid}"):
            pid = None  # the load generator has finished
        if pid != gen:
            gen, last_gen = pid, cpu_seconds(pid) if pid else 0.0
        generated = cpu_seconds(gen) if gen else 0.0
        depth, probe = queue_depth()
        dt = now - last_t
        gen_cpu = f"{100 * (generated - last_gen) / dt:.1f}" if gen else ""
        csv.write(
            f"{now - start:.1f},{100 * (server - last_server) / dt:.1f},{rss_mb(server_pid):.1f},"
            f"{threads(server_pid)},{gen_cpu},{depth},{probe}\n"
        )
        csv.flush()
        last_t, last_server, last_gen = now, server, generated
