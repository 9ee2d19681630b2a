"""Domain adaptation: strategies that also read unlabelled target data (``transferkit
adapt``). ``base.py`` holds what the methods share (config, bottleneck training, the
paired source/target batches); each method is one module of this package."""
