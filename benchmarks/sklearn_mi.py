"""scikit-learn baseline: pandas read + factorize + mutual_info_classif(discrete_features=True).
Usage: python sklearn_mi.py DATA.csv LABEL"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from sklearn.feature_selection import mutual_info_classif


def main(path: str, label: str) -> None:
    df = pd.read_csv(path)
    y = df.pop(label).to_numpy()
    X = np.column_stack([pd.factorize(df[c])[0] for c in df.columns])
    mi = mutual_info_classif(X, y, discrete_features=True, random_state=0)
    for i in np.argsort(-mi):
        print(f"{df.columns[i]}\t{mi[i]:.6f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
