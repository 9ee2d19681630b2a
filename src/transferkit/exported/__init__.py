"""A model exported by ``transferkit export``, run without PyTorch: ONNX Runtime, numpy,
Pillow and tokenizers only (``reader``). Nothing here imports torch or transformers."""
