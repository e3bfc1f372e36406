# Starts a release binary on a fresh temporary database with one admin, for
# the measurements beside this file, and reads its RSS and CPU from /proc.
import os, re, subprocess, time, socket, threading, urllib.request, urllib.parse, http.cookiejar, shutil, tempfile

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return (int(parts[11]) + int(parts[12])) / tck

def start(binary, port, admin=True):
    d = tempfile.mkdtemp(prefix="secauth-m-")
    db = os.path.join(d, "p.db")
    env = dict(os.environ, PRESSFEED_LOG="warn")
    env.pop("PRESSFEED_CONFIG", None)
    subprocess.run([binary, "--db", db, "migrate"], env=env, check=False, capture_output=True)
    if admin:
        subprocess.run([binary, "--db", db, "create-admin", "editor", "--password-stdin"],
                       input=b"correct horse battery staple\n", env=env, check=True, capture_output=True)
    p = subprocess.Popen([binary, "--db", db, "--bind", f"127.0.0.1:{port}", "serve", "--init"] ,
                         env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "log"), "w"))
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            break
        except Exception:
            if p.poll() is not None:
                # older binaries have no --init
                p = subprocess.Popen([binary, "--db", db, "--bind", f"127.0.0.1:{port}", "serve"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "log"), "w"))
            time.sleep(0.2)
    return p, d

def stop(p, d):
    p.terminate()
    try:
        p.wait(10)
    except Exception:
        p.kill()
    shutil.rmtree(d, ignore_errors=True)
