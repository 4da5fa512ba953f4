"""Write docs/api.md from the public API's docstrings: ``python docs/build_api.py``.

tests/test_docs.py checks that the committed file is current.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import autofeat  # noqa: E402
from autofeat.datasets import CTRSpec, make_ctr, write_ctr_csv  # noqa: E402
from autofeat.ranking.quality import QualityThresholds  # noqa: E402
from autofeat.ranking.result import FeatureScore, PairResult  # noqa: E402
from autofeat.encode.training import TrainingData, load_training_data  # noqa: E402
from autofeat.models.backbones import CTRModel  # noqa: E402
from autofeat.models.export import CompactModel, load_compact  # noqa: E402
from autofeat.models.trainer import TrainOptions  # noqa: E402
from autofeat.searching.candidates import Candidates  # noqa: E402
from autofeat.searching.evaluators.base import Evaluator  # noqa: E402
from autofeat.searching.evaluators.lightgbm_eval import LightGBMEvaluator  # noqa: E402
from autofeat.searching.evaluators.torch_eval import TorchEvaluator  # noqa: E402
from autofeat.searching.gates.options import (DNISOptions, FieldTestOptions, GateOptions, OptFSOptions,  # noqa: E402
                                              OptInterOptions)
from autofeat.searching.optuna_search import OptunaSearchOptions  # noqa: E402
from autofeat.searching.registry import Method  # noqa: E402
from autofeat.searching.spaces import load_space  # noqa: E402

ITEMS = [
    ("autofeat.rank", autofeat.rank),
    ("autofeat.RankOptions", autofeat.RankOptions),
    ("autofeat.Ranking", autofeat.Ranking),
    ("autofeat.ranking.result.FeatureScore", FeatureScore),
    ("autofeat.ranking.result.PairResult", PairResult),
    ("autofeat.ranking.quality.QualityThresholds", QualityThresholds),
    ("autofeat.AutoFeatSelector", autofeat.AutoFeatSelector),
    ("autofeat.search", autofeat.search),
    ("autofeat.save", autofeat.save),
    ("autofeat.write_report", autofeat.write_report),
    ("autofeat.SearchResult", autofeat.SearchResult),
    ("autofeat.searching.optuna_search.OptunaSearchOptions", OptunaSearchOptions),
    ("autofeat.searching.spaces.load_space", load_space),
    ("autofeat.searching.registry.Method", Method),
    ("autofeat.searching.candidates.Candidates", Candidates),
    ("autofeat.searching.evaluators.base.Evaluator", Evaluator),
    ("autofeat.searching.evaluators.lightgbm_eval.LightGBMEvaluator", LightGBMEvaluator),
    ("autofeat.searching.evaluators.torch_eval.TorchEvaluator", TorchEvaluator),
    ("autofeat.searching.gates.options.GateOptions", GateOptions),
    ("autofeat.searching.gates.options.FieldTestOptions", FieldTestOptions),
    ("autofeat.searching.gates.options.OptFSOptions", OptFSOptions),
    ("autofeat.searching.gates.options.DNISOptions", DNISOptions),
    ("autofeat.searching.gates.options.OptInterOptions", OptInterOptions),
    ("autofeat.encode.training.load_training_data", load_training_data),
    ("autofeat.encode.training.TrainingData", TrainingData),
    ("autofeat.models.backbones.CTRModel", CTRModel),
    ("autofeat.models.trainer.TrainOptions", TrainOptions),
    ("autofeat.models.export.load_compact", load_compact),
    ("autofeat.models.export.CompactModel", CompactModel),
    ("autofeat.datasets.make_ctr", make_ctr),
    ("autofeat.datasets.write_ctr_csv", write_ctr_csv),
    ("autofeat.datasets.CTRSpec", CTRSpec),
    ("autofeat.AutofeatError", autofeat.AutofeatError),
]
METHODS = {"Ranking": ["top", "feature", "why", "to_dict", "to_json", "load", "to_tsv", "to_frame"],
           "AutoFeatSelector": ["fit", "transform"],
           "Candidates": ["from_ranking", "pairs"],
           "Evaluator": ["suggest", "fit", "outcome"],
           "CompactModel": ["predict", "encode", "n_params", "save"]}


def _sig(obj: object) -> str:
    try:
        return str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "(...)"


def render() -> str:
    out = ["# API reference", "", "Generated from the docstrings by `python docs/build_api.py`.", ""]
    for name, obj in ITEMS:
        out += [f"## `{name}{_sig(obj)}`", "", inspect.cleandoc(obj.__doc__ or ""), ""]
        for meth in METHODS.get(obj.__name__, []):
            m = getattr(obj, meth)
            out += [f"### `{obj.__name__}.{meth}{_sig(m)}`", "", inspect.cleandoc(m.__doc__ or ""), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    (ROOT / "docs" / "api.md").write_text(render())
