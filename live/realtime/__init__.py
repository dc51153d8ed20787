"""The real-time transport: streams with positions, history, publish-after-commit and the
per-process hub that fans frames out to local sockets. It knows nothing about questions."""
