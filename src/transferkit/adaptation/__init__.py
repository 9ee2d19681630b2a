"""Domain adaptation: methods that adapt a model to an unlabelled target domain."""
