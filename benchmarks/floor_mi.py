"""The naive floor: pyarrow multithreaded read + dictionary encode + one parallel Numba pass of
joint counts and plain MI. No correction, no sampling, no report: the least work any MI ranker
has to do. Usage: python floor_mi.py DATA.csv LABEL"""

from __future__ import annotations

import sys

import numpy as np
import pyarrow.csv as pacsv
from numba import njit, prange


@njit(parallel=True, cache=True)
def _mi_all(codes, cards, y, n_pos):
    n_feat, n = codes.shape
    out = np.zeros(n_feat)
    for f in prange(n_feat):
        t = np.zeros((cards[f], 2), np.int64)
        for i in range(n):
            t[codes[f, i], y[i]] += 1
        mi = 0.0
        for v in range(cards[f]):
            for c in range(2):
                if t[v, c] > 0:
                    pc_ = n_pos if c == 1 else n - n_pos
                    mi += t[v, c] / n * np.log(n * t[v, c] / ((t[v, 0] + t[v, 1]) * pc_))
        out[f] = mi
    return out


def main(path: str, label: str) -> None:
    table = pacsv.read_csv(path)
    y = table.column(label).to_numpy().astype(np.int8)
    names = [c for c in table.column_names if c != label]
    codes = np.empty((len(names), table.num_rows), np.int32)
    cards = np.empty(len(names), np.int64)
    for f, name in enumerate(names):
        enc = table.column(name).combine_chunks().dictionary_encode()
        codes[f] = enc.indices.fill_null(len(enc.dictionary)).to_numpy(zero_copy_only=False)
        cards[f] = len(enc.dictionary) + 1
    mi = _mi_all(codes, cards, y, int(y.sum()))
    for i in np.argsort(-mi):
        print(f"{names[i]}\t{mi[i]:.6f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
