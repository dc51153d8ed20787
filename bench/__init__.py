"""Benchmarks of the real-time path: `python -m bench` (or `make bench`).

Starts Redis-backed Daphne processes and a plain `websockets` baseline server on 127.0.0.1,
drives them with a multi-process load generator, prints one table and writes
bench/results/<date>.json and a PNG plot. See docs/performance.md."""
