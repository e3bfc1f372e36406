#!/usr/bin/env python3
"""Line chart of the many-topics benchmark: req/s against the number of topic feeds polled at
random, for nginx (static files) and pressfeed, full GETs and 304s.

    python3 deploy/bench/plot_many_topics.py results/many-topics-latest.tsv out.svg

The TSV is what many_topics.sh writes (topics, scenario, pf_full, pf_304, nginx_full,
nginx_304); the identity rows are plotted. Needs matplotlib; when it is missing, the script
makes a venv with it at $PLOT_VENV (default ~/.cache/pressfeed-plot-venv) and runs itself
again there.
"""
import csv, os, subprocess, sys


def ensure_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("PRESSFEED_PLOT_REEXEC"):
        sys.exit("plot_many_topics.py: matplotlib is missing even in the plot venv")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    venv = os.environ.get("PLOT_VENV") or os.path.join(cache, "pressfeed-plot-venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    if subprocess.run([py, "-c", "import matplotlib"], capture_output=True).returncode:
        subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "matplotlib"],
                       check=True)
    os.environ["PRESSFEED_PLOT_REEXEC"] = "1"
    os.execv(py, [py, os.path.abspath(__file__), *sys.argv[1:]])


def main(src, out):
    ensure_matplotlib()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with open(src) as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["scenario"] == "identity"]
    rows.sort(key=lambda r: int(r["topics"]))
    topics = [int(r["topics"]) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for col, label, style in (("nginx_full", "nginx static, full", "C0-o"),
                              ("pf_full", "pressfeed, full", "C1-o"),
                              ("nginx_304", "nginx static, 304", "C0--s"),
                              ("pf_304", "pressfeed, 304", "C1--s")):
        ax.plot(topics, [float(r[col]) for r in rows], style, label=label)
    ax.set_xscale("log")
    ax.set_xticks(topics, [f"{t:,}" for t in topics])
    ax.set_xlabel("topic feeds polled at random (Atom, identity)")
    ax.set_ylabel("req/s (wrk, 64 connections)")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title("many_topics.py: one run, 2 cores shared with wrk")
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
