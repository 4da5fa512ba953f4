"""Stage 1: cardinality-aware MI ranking, redundancy-aware order, pairs and quality findings."""
