#!/usr/bin/env python3
"""RFC 5005 archive crawl against a running pressfeed (CI stage `archives`).

    python3 crawl.py BASE_URL RELEASES.jsonl [TOPIC ...]

For the global feed and each TOPIC, in RSS, Atom and JSON Feed: start at the
current feed, follow `prev-archive` (JSON Feed: `next_url`) to the end and
collect every item of every archive document. Each document must be marked
as an archive (fh:archive; JSON Feed: `_archive.archive`), link the current
feed and the newer month it was reached from, and hold only releases of its
own month. Every release of the scope that readers can see (status published,
published_at not in the future, per RELEASES.jsonl) must be found exactly
once, and nothing else. Standard library only; loopback only.
"""
import json
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"


def fetch(url):
    host = urllib.parse.urlsplit(url).hostname
    assert host in ("127.0.0.1", "localhost", "::1"), url
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=30) as r:
        return r.read()


def parse(fmt, body):
    """(is_archive, current, prev, next, [(slug, published datetime)])"""
    if fmt == "json":
        d = json.loads(body)
        ext = d.get("_archive") or {}
        items = [(i["url"].rsplit("/", 1)[1], datetime.fromisoformat(i["date_published"].replace("Z", "+00:00")))
                 for i in d["items"]]
        return ext.get("archive") is True, ext.get("current"), d.get("next_url"), ext.get("next_archive"), items
    root = ET.fromstring(body)
    if fmt == "atom":
        links = {l.get("rel"): l.get("href") for l in root.findall(ATOM + "link")}
        items = []
        for e in root.findall(ATOM + "entry"):
            href = next(l.get("href") for l in e.findall(ATOM + "link") if l.get("rel") == "alternate")
            when = datetime.fromisoformat(e.find(ATOM + "published").text.replace("Z", "+00:00"))
            items.append((href.rsplit("/", 1)[1], when))
        archive = root.find(FH + "archive") is not None
    else:
        channel = root.find("channel")
        links = {l.get("rel"): l.get("href") for l in channel.findall(ATOM + "link")}
        from email.utils import parsedate_to_datetime
        items = [(i.find("link").text.rsplit("/", 1)[1], parsedate_to_datetime(i.find("pubDate").text))
                 for i in channel.findall("item")]
        archive = channel.find(FH + "archive") is not None
    return archive, links.get("current"), links.get("prev-archive"), links.get("next-archive"), items


def crawl(base, scope, fmt):
    current_url = f"{base}{scope}/feed.{fmt}"
    is_archive, _, at, _, current_items = parse(fmt, fetch(current_url))
    assert not is_archive, f"{current_url} is marked as an archive"
    found, newer, docs = {}, None, 0
    while at:
        archive, current, prev, nxt, items = parse(fmt, fetch(at))
        docs += 1
        assert archive, f"{at}: not marked fh:archive"
        assert current == current_url, f"{at}: current is {current}"
        assert nxt == newer, f"{at}: next-archive {nxt}, expected {newer}"
        assert items, f"{at}: empty"
        year, month = at.rsplit("/", 3)[1:3]
        for slug, when in items:
            when = when.astimezone(timezone.utc)
            assert (when.year, when.month) == (int(year), int(month)), f"{slug} ({when}) in {at}"
            found[slug] = found.get(slug, 0) + 1
        newer, at = at, prev
        assert docs < 10_000, "no end to the chain"
    return found, [s for s, _ in current_items], docs


def main():
    base, data, topics = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3:]
    now = datetime.now(timezone.utc)
    releases = [json.loads(line) for line in open(data, encoding="utf-8") if line.strip()]
    failed = 0
    for scope in [""] + [f"/topics/{t}" for t in topics]:
        topic = scope.rsplit("/", 1)[-1] if scope else None
        expected = {
            r["slug"] for r in releases
            if r.get("status", "published") == "published"
            and datetime.fromisoformat(r["published_at"]) <= now
            and (topic is None or topic in r["topics"])
        }
        years = {datetime.fromisoformat(r["published_at"]).year for r in releases if r["slug"] in expected}
        for fmt in ("rss", "atom", "json"):
            found, current, docs = crawl(base, scope, fmt)
            twice = sorted(s for s, n in found.items() if n > 1)
            missing = sorted(expected - found.keys())
            extra = sorted(found.keys() - expected)
            outside = [s for s in current if s not in found]
            ok = not (twice or missing or extra or outside)
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'} {scope or '/'} {fmt}: {len(found)} releases in {docs} monthly "
                  f"archives over {len(years)} years; expected {len(expected)}; twice {twice[:5]} "
                  f"missing {missing[:5]} not visible {extra[:5]} current-only {outside[:5]}")
    print(f"{failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
