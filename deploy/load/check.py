#!/usr/bin/env python3
"""Helpers of deploy/load/run.sh (standard library only; loopback only).

    check.py paths BASE DATA.jsonl OUT             the request list for mixed.lua
    check.py rename PREFIX < IN.jsonl > OUT.jsonl  prefix every slug
    check.py writes BASE EXPORT.jsonl WRITER_LOG IMPORT.jsonl IMPORT_RC
    check.py backup BACKUP.db BACKUP_BASE EXPORT.jsonl

`writes` and `backup` print one `key: value` line per figure, a line
`FAIL what` for each problem, and exit 1 when there was any.
"""

import html
import ipaddress
import json
import random
import sqlite3
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlsplit

# never through a proxy: everything here talks to loopback
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))
TOPICS = ["humanitarian", "diplomacy", "climate", "human-rights", "accountability",
          "chemical-weapons", "covid-19"]
ATOM = "{http://www.w3.org/2005/Atom}"


def loopback(base):
    host = urlsplit(base).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        sys.exit(f"check.py: {base} is not a loopback URL")
    return base.rstrip("/")


def get(base, path, headers=None):
    """(status, headers, body bytes); status 0 when no answer came."""
    req = urllib.request.Request(base + path, headers=headers or {})
    try:
        with HTTP.open(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
    except OSError as e:  # no answer (URLError is one): status 0
        return 0, {}, repr(e).encode()


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def cmd_paths(base, data_path, out_path):
    """Feeds (every format; identity, gzip and br; some with the ETag they have
    now), the OPML, the HTML pages and 60 release pages, one request a line."""
    base = loopback(base)
    data = read_jsonl(data_path)
    newest = sorted(data, key=lambda r: r["published_at"], reverse=True)
    rng = random.Random(5)
    slugs = [r["slug"] for r in newest[:20]] + [r["slug"] for r in rng.sample(data, 40)]
    feeds = [f"/feed.{x}" for x in ("rss", "atom", "json")]
    feeds += [f"/topics/{t}/feed.{x}" for t in TOPICS for x in ("rss", "atom", "json")]
    lines = []
    for path in feeds + ["/topics.opml"]:
        for enc in ("", "gzip", "br, gzip"):
            lines.append((path, enc, ""))
            status, headers, _ = get(base, path, {"Accept-Encoding": enc} if enc else {})
            if status != 200 or not headers.get("ETag"):
                sys.exit(f"check.py: GET {path} ({enc or 'identity'}) gave {status}, no ETag")
            lines.append((path, enc, headers["ETag"]))
    pages = ["/", "/topics"] + [f"/topics/{t}" for t in TOPICS]
    lines += [(p, "", "") for p in pages]
    lines += [(p, "gzip", "") for p in pages[:2]]
    lines += [(f"/releases/{quote(s)}", "", "") for s in slugs]
    rng.shuffle(lines)
    with open(out_path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write("\t".join(line) + "\n")
    print(f"{len(lines)} requests in the rotation ({len(feeds) + 1} feeds/OPML "
          f"x 3 encodings x with/without ETag, {len(pages)} pages, {len(slugs)} releases)")


def cmd_rename(prefix):
    for line in sys.stdin:
        if line.strip():
            r = json.loads(line)
            r["slug"] = prefix + r["slug"]
            sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")


class Report:
    def __init__(self):
        self.failures = []

    def figure(self, key, value):
        print(f"{key}: {value}")

    def fail(self, what):
        self.failures.append(what)
        print(f"FAIL {what}")

    def exit(self):
        sys.exit(1 if self.failures else 0)


def cmd_writes(base, export_path, log_path, import_path, import_rc):
    base = loopback(base)
    rep = Report()
    exported = {r["slug"]: r for r in read_jsonl(export_path)}
    rep.figure("releases in the final export", len(exported))

    # -- the writer's acknowledged writes: each present with its LAST acknowledged title
    attempts, summary = [], {}
    for entry in read_jsonl(log_path):
        if "summary" in entry:
            summary = entry["summary"]
        else:
            attempts.append(entry)
    last_ack = {}  # slug -> entry of its last acknowledged write
    unknown_after = {}  # slug -> titles tried after it without an answer
    for e in attempts:
        if e["ack"]:
            last_ack[e["slug"]] = e
            unknown_after.pop(e["slug"], None)
        elif e["status"] is None:
            unknown_after.setdefault(e["slug"], set()).add(e["title"])
    acked = [e for e in attempts if e["ack"]]
    rep.figure("writes attempted", len(attempts))
    rep.figure("writes acknowledged", f"{len(acked)} "
               f"({sum(e['op'] == 'POST' for e in acked)} POST, {sum(e['op'] == 'PUT' for e in acked)} PUT; "
               f"{len(last_ack)} releases; {summary.get('writes_per_sec', '?')} writes/s)")
    rep.figure("writer answers", json.dumps(summary.get("statuses", {}), sort_keys=True))
    if not summary:
        rep.fail("the writer did not finish its log (no summary line)")
    if not acked:
        rep.fail("the writer got no write acknowledged")
    for key in ("status_5xx", "no_answer"):
        if summary.get(key):
            rep.fail(f"writer: {summary[key]} request(s) with {key.replace('_', ' ')}")
    if summary.get("status_4xx"):
        rep.fail(f"writer: {summary['status_4xx']} request(s) refused with 4xx")

    in_export = pages_ok = 0
    for slug, e in last_ack.items():
        allowed = {e["title"]} | unknown_after.get(slug, set())
        got = exported.get(slug)
        if got is None:
            rep.fail(f"acknowledged {e['op']} of {slug} (seq {e['seq']}) is missing from the export")
            continue
        if got["title"] not in allowed:
            rep.fail(f"{slug}: title {got['title']!r} in the export, last acknowledged {e['title']!r}")
            continue
        in_export += 1
        status, _, body = get(base, f"/releases/{quote(slug)}")
        text = body.decode("utf-8", "replace")
        if status != 200:
            rep.fail(f"GET /releases/{slug} gave {status}")
        elif html.escape(got["title"], quote=False) not in text:
            rep.fail(f"GET /releases/{slug}: the page does not show {got['title']!r}")
        else:
            pages_ok += 1
    rep.figure("acknowledged writes verified in the export (last title)", f"{in_export}/{len(last_ack)}")
    rep.figure("release pages answering 200 with that title", f"{pages_ok}/{len(last_ack)}")

    # -- the newest created releases are at the top of /feed.json with their titles
    status, _, body = get(base, "/feed.json")
    feed_ok = 0
    if status != 200:
        rep.fail(f"GET /feed.json gave {status}")
    else:
        items = {urlsplit(i.get("url", "")).path.rsplit("/", 1)[-1]: i for i in json.loads(body)["items"]}
        created = sorted((e for e in acked if e["op"] == "POST"),
                         key=lambda e: e["published_at"], reverse=True)
        newest = created[: min(20, len(items))]
        for e in newest:
            item = items.get(e["slug"])
            final = exported.get(e["slug"], {}).get("title")
            if item is None:
                rep.fail(f"/feed.json lacks {e['slug']}, one of the newest acknowledged releases")
            elif item.get("title") != final:
                rep.fail(f"/feed.json: {e['slug']} titled {item.get('title')!r}, stored {final!r}")
            else:
                feed_ok += 1
        rep.figure("newest acknowledged releases in /feed.json with their last title",
                   f"{feed_ok}/{len(newest)}")

    # -- the concurrent import: all or nothing, all if it said so
    imported = [r["slug"] for r in read_jsonl(import_path)]
    present = sum(s in exported for s in imported)
    rep.figure("import", f"exit status {import_rc}, {present}/{len(imported)} of its releases present")
    if import_rc == 0 and present != len(imported):
        rep.fail(f"the import exited 0 but only {present}/{len(imported)} of its releases are stored")
    if import_rc != 0:
        rep.fail(f"the import failed (exit status {import_rc}; "
                 f"{'none' if present == 0 else present} of its releases stored)")
    rep.exit()


def cmd_backup(db_path, base, export_path):
    base = loopback(base)
    rep = Report()
    live = {r.get("id"): r["slug"] for r in read_jsonl(export_path)}
    status, _, body = get(base, "/feed.atom")
    if status != 200:
        rep.fail(f"backup server: GET /feed.atom gave {status}")
        rep.exit()
    ids = [e.findtext(f"{ATOM}id") for e in ET.fromstring(body).iter(f"{ATOM}entry")]
    missing = [i for i in ids if i not in live]
    rep.figure("backup /feed.atom entries found in the live export", f"{len(ids) - len(missing)}/{len(ids)}")
    for i in missing[:10]:
        rep.fail(f"backup feed entry {i} is not in the live database")
    if not ids:
        rep.fail("the backup's /feed.atom has no entries")
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        n = con.execute("SELECT count(*) FROM releases").fetchone()[0]
    finally:
        con.close()
    rep.figure("releases in the backup", f"{n} (live now: {len(live)})")
    if n > len(live):
        rep.fail("the backup holds more releases than the live database")
    rep.exit()


def main():
    args = sys.argv[1:]
    if args[:1] == ["paths"] and len(args) == 4:
        cmd_paths(*args[1:])
    elif args[:1] == ["rename"] and len(args) == 2:
        cmd_rename(args[1])
    elif args[:1] == ["writes"] and len(args) == 6:
        cmd_writes(*args[1:5], int(args[5]))
    elif args[:1] == ["backup"] and len(args) == 4:
        cmd_backup(*args[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
