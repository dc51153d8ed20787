"""A small translation server speaking the LibreTranslate HTTP API, on a real socket in a
thread, for the tests of qa/translation.py (and the browser test of issue 14).

    POST /translate {"q", "source", "target", "format", "api_key"?} -> 200 {"translatedText"}
    errors: 400 / 403 / 429 / 500 {"error": "..."}

Its `mode` says how it answers the next requests: "ok" (a translation from `answers`, or the
text in brackets), "error:<status>" (the documented error body), "slow" (the answer after
`delay` seconds), "garbage" (not JSON), "no-key" (JSON without `translatedText`). Every
request it received is kept in `requests`."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERRORS = {
    400: "Invalid request: missing q parameter",
    403: "Invalid API key",
    429: "Too many request limits violations",
    500: "Cannot translate text: internal error",
}


class TranslateServer:
    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 3.0
        self.answers: dict[str, str] = {}
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    data = json.loads(body)
                except json.JSONDecodeError:
                    data = {"raw": body.decode(errors="replace")}
                server.requests.append({"path": self.path, **data})
                mode = server.mode
                if self.path != "/translate":
                    return self._json(404, {"error": "Not Found"})
                if mode.startswith("error:"):
                    status = int(mode.split(":", 1)[1])
                    return self._json(status, {"error": ERRORS[status]})
                if mode == "slow":
                    time.sleep(server.delay)
                if mode == "garbage":
                    return self._raw(200, b"<html>502 Bad Gateway</html>", "text/html")
                if mode == "no-key":
                    return self._json(200, {"translation": "x"})
                text = data.get("q", "")
                return self._json(
                    200,
                    {"translatedText": server.answers.get(text, f"[{data.get('target')}] {text}")},
                )

            def _json(self, status: int, data: dict) -> None:
                self._raw(status, json.dumps(data).encode(), "application/json")

            def _raw(self, status: int, body: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> TranslateServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
