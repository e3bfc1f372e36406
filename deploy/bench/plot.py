#!/usr/bin/env python3
"""Bar chart of the shared feed benchmark: req/s per peer, URL and mode.

    python3 deploy/bench/plot.py results.tsv out.png [--title T] [--linear]

results.tsv is ../shared/bench's results file (what run.sh leaves in
/tmp/feedbench/results.tsv): one line per row, space-separated: peer, url,
mode (full | 304), then the fields of wrk.lua's RESULT line (see FIELDS).
One panel per mode, URLs along x, one bar per peer. The y axis is logarithmic
by default (nginx and Django differ by orders of magnitude). A bar whose row
had errors (non-2xx/3xx, socket errors, or not 100% 304s in 304 mode) is
hatched and marked "!".

Needs matplotlib; when it is missing, the script makes a venv with it at
~/.cache/pressfeed-plot-venv (or $PLOT_VENV) and runs itself again there.
"""
import argparse
import os
import subprocess
import sys

# as in ../shared/bench/report.py
FIELDS = "requests secs rps p50 p99 sock_err status_err bytes n200 n304 nother".split()
MODES = ("full", "304")


def ensure_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("PRESSFEED_PLOT_REEXEC"):
        sys.exit("plot.py: matplotlib is missing even in the plot venv")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    venv = os.environ.get("PLOT_VENV") or os.path.join(cache, "pressfeed-plot-venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        print(f"plot.py: creating {venv} with matplotlib", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    if subprocess.run([py, "-c", "import matplotlib"], capture_output=True).returncode:
        subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "matplotlib"], check=True)
    os.environ["PRESSFEED_PLOT_REEXEC"] = "1"
    os.execv(py, [py, os.path.abspath(__file__), *sys.argv[1:]])


def read_rows(path):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            peer, url, mode, *vals = line.split()
            if len(vals) != len(FIELDS) or mode not in MODES:
                sys.exit(f"{path}:{n}: not a results.tsv line: {line.rstrip()}")
            r = dict(peer=peer, url=url, mode=mode, **dict(zip(FIELDS, vals)))
            for k in FIELDS:
                r[k] = float(r[k])
            rows.append(r)
    if not rows:
        sys.exit(f"{path}: no rows")
    return rows


def had_errors(r):
    if r["status_err"] > 0 or r["sock_err"] > 0 or r["requests"] == 0:
        return True
    return r["mode"] == "304" and r["n304"] != r["requests"]


def ordered(values):
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def plot(rows, out, title, log_scale):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    peers = ordered(r["peer"] for r in rows)
    urls = ordered(r["url"] for r in rows)
    modes = [m for m in MODES if any(r["mode"] == m for r in rows)]
    by_key = {(r["peer"], r["url"], r["mode"]): r for r in rows}
    colors = {p: plt.get_cmap("tab10")(i % 10) for i, p in enumerate(peers)}

    fig, axes = plt.subplots(1, len(modes), figsize=(6.5 * len(modes), 5.5),
                             squeeze=False, sharey=log_scale)
    width = 0.8 / len(peers)
    for ax, mode in zip(axes[0], modes):
        for i, peer in enumerate(peers):
            xs, ys, bad = [], [], []
            for j, url in enumerate(urls):
                r = by_key.get((peer, url, mode))
                if r is None:
                    continue
                xs.append(j - 0.4 + width * (i + 0.5))
                ys.append(r["rps"])
                bad.append(had_errors(r))
            bars = ax.bar(xs, ys, width, label=peer, color=colors[peer])
            for bar, y, b in zip(bars, ys, bad):
                if b:
                    bar.set_hatch("//")
                    bar.set_edgecolor("red")
                ax.annotate(f"{y:,.0f}" + (" !" if b else ""),
                            (bar.get_x() + bar.get_width() / 2, y),
                            ha="center", va="bottom", fontsize=7, rotation=90,
                            xytext=(0, 2), textcoords="offset points")
        ax.set_title(f"{mode} GET" if mode == "full" else "conditional GET (If-None-Match -> 304)")
        ax.set_xticks(range(len(urls)))
        ax.set_xticklabels(urls, rotation=20, ha="right", fontsize=8)
        ax.set_ylabel("requests/s" + (" (log scale)" if log_scale else ""))
        if log_scale:
            ax.set_yscale("log")
        ax.margins(y=0.25)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.suptitle(title)
    fig.legend(handles, labels, loc="upper center", ncol=len(peers), fontsize=9,
               bbox_to_anchor=(0.5, 0.95), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", help="results.tsv from ../shared/bench/run.sh")
    ap.add_argument("out", help="PNG to write")
    ap.add_argument("--title", default="feed benchmark: req/s by peer, URL and mode")
    ap.add_argument("--linear", action="store_true", help="linear y axis (default: log)")
    args = ap.parse_args()
    rows = read_rows(args.results)  # fail on a bad file before any venv work
    ensure_matplotlib()
    plot(rows, args.out, args.title, not args.linear)


if __name__ == "__main__":
    main()
