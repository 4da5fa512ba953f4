"""Stage 2: search over the pruned space (Optuna studies; differentiable gates to come)."""
