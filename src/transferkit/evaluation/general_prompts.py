"""General questions for a generative language model, written for this project: what a
user of the model would ask it that has nothing to do with the task it was adapted to.
The answers before and after adaptation, side by side, show what the adaptation cost the
model's general use (a model trained to write "positive" may answer everything with it)."""

from __future__ import annotations

PROMPTS: tuple[str, ...] = (
    "What is the capital of France?",
    "What is 2 + 3?",
    "Name three colours.",
    "Translate 'thank you' into Spanish.",
    "Write one sentence about the sea.",
    "What do bees make?",
)
