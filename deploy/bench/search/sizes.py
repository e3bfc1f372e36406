#!/usr/bin/env python3
"""What the search index costs on disk: bytes per table and index (SQLite's
dbstat), the search index's share (FTS5 shadow tables and the
releases_search_key index), and the rest of the database.

    sizes.py DB
"""
import sqlite3
import sys

conn = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
rows = conn.execute(
    "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
search = sum(b for n, b in rows if n.startswith("release_search") or n == "releases_search_key")
total = sum(b for _, b in rows)
for name, size in rows[:12]:
    print("%-32s %9.1f MB" % (name, size / 1e6))
print("%-32s %9.1f MB" % ("total", total / 1e6))
print("%-32s %9.1f MB" % ("search index", search / 1e6))
print("%-32s %9.1f MB" % ("without the search index", (total - search) / 1e6))
print("search index adds %.1f %% to the database without it" % (100.0 * search / (total - search)))
