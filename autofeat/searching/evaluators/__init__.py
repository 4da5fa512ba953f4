"""The Optuna study's evaluators: train a model on one trial's configuration, report its
validation AUC (per boosting round or epoch, for pruning). ``lightgbm_eval``: feature subsets
and LightGBM parameters; ``torch_eval``: fields, embedding widths and pair methods of a torch
CTR model."""
