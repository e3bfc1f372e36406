#!/usr/bin/env python3
"""A WebSub subscriber for the benchmark: answers verifications (echoes
hub.challenge) and acknowledges every delivery with 204, on keep-alive
HTTP/1.1 connections (stdlib asyncio only).

Each delivery is recorded as one line on stdout: `<unix time> <who> <bytes>`
(`who` is the callback's `who=` query value), flushed in batches, so the
benchmark can count acknowledgements and latencies.
"""

import asyncio
import sys
import time
from urllib.parse import parse_qs, urlsplit

OUT = sys.stdout
PENDING = []


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            query = parse_qs(urlsplit(target).query)
            who = query.get("who", ["?"])[0]
            if method == "GET":
                challenge = query.get("hub.challenge", [""])[0].encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(challenge), challenge))
            else:
                PENDING.append(f"{time.time():.6f} {who} {len(body)}\n")
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def flush():
    while True:
        await asyncio.sleep(0.05)
        if PENDING:
            OUT.write("".join(PENDING))
            OUT.flush()
            PENDING.clear()


async def main():
    port = int(sys.argv[1])
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    asyncio.get_running_loop().create_task(flush())
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
