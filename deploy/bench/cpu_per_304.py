#!/usr/bin/env python3
"""Server CPU time per 304, pressfeed against nginx on the same topic feeds (issue 17).

    python3 deploy/bench/cpu_per_304.py SHARED_DIR PRESSFEED_URL PRESSFEED_PID TOPICS

PRESSFEED_URL serves `many_topics.py gen TOPICS ...` data (loopback). Copies every topic feed
into a static tree served by nginx (access_log off, as many_topics.py does), then runs
`wrk -t1 -c64 -d8s` with each server's own ETags twice per server and reads utime+stime of
the server's processes (/proc/PID/stat, dead threads included) before and after: CPU
microseconds per 304. Standard library plus the nginx and wrk binaries.
"""
import os, subprocess, sys, time, tempfile, shutil, re
sys.path.insert(0, os.path.join(sys.argv[1], "bench"))
import many_topics as m
PF = sys.argv[2].rstrip("/")
pf_pid = int(sys.argv[3])
TOPICS = int(sys.argv[4])
work = tempfile.mkdtemp(prefix="cpu-"); os.chmod(work, 0o755)
static = os.path.join(work, "static"); os.makedirs(os.path.join(work, "tmp"))
rows = []
for t in range(TOPICS):
    p = f"/topics/topic-{t:05d}/feed.atom"
    body, etag = m.fetch(PF + p, "")
    os.makedirs(os.path.dirname(static + p), exist_ok=True)
    open(static + p, "wb").write(body)
    rows.append((p, etag))
port = 18777
conf = os.path.join(work, "nginx.conf")
open(conf, "w").write(f"""daemon off; worker_processes 2; pid {work}/nginx.pid; error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{ access_log off; client_body_temp_path {work}/tmp; proxy_temp_path {work}/tmp; fastcgi_temp_path {work}/tmp;
  uwsgi_temp_path {work}/tmp; scgi_temp_path {work}/tmp; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types {{ application/atom+xml atom; }} etag on; gzip off;
  server {{ listen 127.0.0.1:{port}; root {static}; }} }}
""")
ng = subprocess.Popen(["nginx", "-p", work, "-c", conf], start_new_session=True)
time.sleep(1)
NG = f"http://127.0.0.1:{port}"
rows_ng = [(p, m.fetch(NG + p, "")[1]) for p, _ in rows]
m.lua(os.path.join(work, "pf.lua"), rows); m.lua(os.path.join(work, "ng.lua"), rows_ng)
tick = os.sysconf("SC_CLK_TCK")
def cpu(pids):
    total = 0
    for pid in pids:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        total += int(f[11]) + int(f[12])
    return total / tick
def ng_pids():
    return [int(x) for x in subprocess.check_output(["pgrep", "-g", str(ng.pid)]).split()]
try:
    for rnd in range(2):
        for name, base, script, pids in (("pressfeed", PF, "pf.lua", lambda: [pf_pid]), ("nginx", NG, "ng.lua", ng_pids)):
            env = dict(os.environ, COND="1", AE="")
            subprocess.run(["wrk", "-t1", "-c64", "-d2s", "-s", os.path.join(work, script), base], env=env, capture_output=True)
            before = cpu(pids())
            out = subprocess.run(["wrk", "-t1", "-c64", "-d8s", "-s", os.path.join(work, script), base], env=env, capture_output=True, text=True).stdout
            used = cpu(pids()) - before
            reqs = int(re.search(r"(\d+) requests in", out).group(1))
            print(f"{name:9s} 304: {reqs/8:9.0f} req/s, server CPU {used:5.2f} s for {reqs} requests = {used/reqs*1e6:5.1f} us/request")
finally:
    os.killpg(ng.pid, 15); ng.wait(); shutil.rmtree(work, ignore_errors=True)
