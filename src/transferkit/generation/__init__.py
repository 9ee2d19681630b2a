"""Generation: a causal LM adapted to write the responses of prompt and response pairs.

``config`` (the options), ``pairs`` (reading the pairs and their splits), ``tuning``
(supervised fine-tuning with LoRA, the loss on the response tokens only) and
``generator`` (the adapted model: generating, and its model directory of the adapter
alone, tied to its base by a fingerprint). ``workflows.generate`` runs them end to end
beside the same model prompted zero- and k-shot; ``evaluation.generation`` scores the
outputs.
"""
