"""Stage 2: search over the pruned space: Optuna studies (LightGBM or a torch CTR model as the
evaluator) and differentiable gates (OptFS, DNIS, OptInter); see :mod:`.registry`."""
