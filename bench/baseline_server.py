"""The practical floor: a plain `websockets` server in one process that writes a frame to
every connected socket with `websockets.broadcast()`. No framework, no Redis, no database.

Clients connect to any path but /control and get a snapshot frame with the current seq; the
harness connects to /control and sends a question id for each broadcast."""

from __future__ import annotations

import argparse
import asyncio

from websockets.asyncio.server import ServerConnection, broadcast, serve

from bench.frames import question_frame, snapshot_frame

EPOCH = "baseline"


class Baseline:
    def __init__(self) -> None:
        self.clients: set[ServerConnection] = set()
        self.seq = 0

    async def handler(self, ws: ServerConnection) -> None:
        if ws.request.path == "/control":
            async for message in ws:
                self.seq += 1
                broadcast(
                    self.clients,
                    question_frame(seq=self.seq, epoch=EPOCH, question_id=int(message)),
                )
                await ws.send(str(self.seq))
            return
        self.clients.add(ws)
        try:
            await ws.send(snapshot_frame(seq=self.seq, epoch=EPOCH))
            await ws.wait_closed()
        finally:
            self.clients.discard(ws)


async def main(port: int) -> None:
    from bench.stack import raise_fd_limit

    raise_fd_limit()
    baseline = Baseline()
    async with serve(
        baseline.handler,
        "127.0.0.1",
        port,
        compression=None,
        backlog=4096,
        ping_interval=None,
        max_queue=16,
    ):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
