"""A trained model behind HTTP: ``transferkit serve MODEL_DIR`` (``app``), with
server-side micro-batching (``batcher``) and request limits (``limits``)."""
