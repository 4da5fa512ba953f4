"""PyTorch CTR models for the search stage: shared layers, a zoo of backbones, the training
loop and the compact export. Imported only by the torch-based search methods, never by
``import autofeat`` or ``autofeat rank``."""
