#!/usr/bin/env python3
"""Runs check_feeds.py's per-feed checks on search feeds.

    python3 check_search_feeds.py CHECK_FEEDS_PY BASE_URL QUERY...

check_feeds.py checks the fixed URL contract (global and topic feeds); this
loads it unchanged as a module and runs its `check_feed` (content type,
well-formedness, feedparser, RSS/Atom schema rules, JSON Feed, order,
stable ids, every conditional-GET check) on `/search.{rss,atom,json}?q=…`
for each QUERY (a query string such as `q=water` or `q=water&lang=ar`),
then its cross-feed id and language checks. Each query must find at least
two releases, or the item checks prove little. Exit 0 when all pass.
"""
import importlib.util
import sys


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    spec = importlib.util.spec_from_file_location("check_feeds", argv[1])
    check_feeds = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_feeds)
    base = argv[2]
    if not check_feeds.is_loopback_url(base):
        print("error: BASE_URL must be on loopback", file=sys.stderr)
        return 2
    checker = check_feeds.Checker(base)
    for query in argv[3:]:
        for fmt in check_feeds.FORMATS:
            path = "/search.%s?%s" % (fmt, query)
            checker.check_feed(path, fmt)
            items = checker.items.get(path) or []
            checker.record(len(items) >= 2, "search.coverage@" + path,
                           "%d items (want 2 or more)" % len(items))
    checker.check_ids_across_feeds()
    checker.check_languages()
    passed, failed = checker.totals()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
