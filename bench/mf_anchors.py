#!/usr/bin/python3
"""Anchors for the recommender defaults: biased SGD matrix factorization
(Surprise's SVD) and SVD++, written in numpy after Surprise's algorithms
(surprise/prediction_algorithms/matrix_factorization.pyx) with its default
settings, since PyPI is not used here.

  bench/mf_anchors.py TRAIN.csv TEST.csv > anchors.json

Each CSV has the columns user_id,item_id,rating (no header).  As in
Surprise: the ratings are visited user by user (its trainset order, no
shuffling), the factors start N(0, 0.1^2), the biases 0, and a prediction
is clipped to the rating scale [1, 5]; the RMSE is over the test ratings
whose user and item are in the training set (all of them in our splits).
"""
import json
import sys
import time

import numpy as np


def load(path):
    a = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    return a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2]


def by_user(u, i, r):
    order = np.lexsort((i, u))
    return u[order], i[order], r[order]


def svd(u, i, r, nu, ni, rng, factors=100, epochs=20, lr=0.005, reg=0.02, init_std=0.1):
    mu = r.mean()
    bu, bi = np.zeros(nu), np.zeros(ni)
    P = rng.normal(0, init_std, (nu, factors))
    Q = rng.normal(0, init_std, (ni, factors))
    for _ in range(epochs):
        for uu, ii, rr in zip(u, i, r):
            pu, qi = P[uu], Q[ii]
            err = rr - (mu + bu[uu] + bi[ii] + qi @ pu)
            bu[uu] += lr * (err - reg * bu[uu])
            bi[ii] += lr * (err - reg * bi[ii])
            pu_old = pu.copy()
            P[uu] += lr * (err * qi - reg * pu)
            Q[ii] += lr * (err * pu_old - reg * qi)
    return lambda uu, ii: mu + bu[uu] + bi[ii] + np.sum(P[uu] * Q[ii], axis=1)


def svdpp(u, i, r, nu, ni, rng, factors=20, epochs=20, lr=0.007, reg=0.02, init_std=0.1):
    mu = r.mean()
    bu, bi = np.zeros(nu), np.zeros(ni)
    P = rng.normal(0, init_std, (nu, factors))
    Q = rng.normal(0, init_std, (ni, factors))
    Y = rng.normal(0, init_std, (ni, factors))
    starts = np.searchsorted(u, np.arange(nu + 1))
    for _ in range(epochs):
        for uu in range(nu):
            items = i[starts[uu]:starts[uu + 1]]
            if len(items) == 0:
                continue
            sqrt_iu = 1.0 / np.sqrt(len(items))
            for ii, rr in zip(items, r[starts[uu]:starts[uu + 1]]):
                # Surprise recomputes the implicit part for every rating
                impl = sqrt_iu * Y[items].sum(axis=0)
                pu, qi = P[uu], Q[ii].copy()
                err = rr - (mu + bu[uu] + bi[ii] + qi @ (pu + impl))
                bu[uu] += lr * (err - reg * bu[uu])
                bi[ii] += lr * (err - reg * bi[ii])
                Q[ii] += lr * (err * (pu + impl) - reg * qi)
                P[uu] += lr * (err * qi - reg * pu)
                Y[items] += lr * (err * sqrt_iu * qi - reg * Y[items])
    impl_all = np.zeros((nu, factors))
    for uu in range(nu):
        items = i[starts[uu]:starts[uu + 1]]
        if len(items):
            impl_all[uu] = Y[items].sum(axis=0) / np.sqrt(len(items))
    return lambda uu, ii: mu + bu[uu] + bi[ii] + np.sum(Q[ii] * (P[uu] + impl_all[uu]), axis=1)


def main():
    tu, ti, tr = by_user(*load(sys.argv[1]))
    su, si, sr = load(sys.argv[2])
    nu = int(max(tu.max(), su.max())) + 1
    ni = int(max(ti.max(), si.max())) + 1
    out = {}
    for name, fit in (("svd", svd), ("svdpp", svdpp)):
        t0 = time.time()
        predict = fit(tu, ti, tr, nu, ni, np.random.default_rng(0))
        est = np.clip(predict(su, si), 1, 5)
        out[name] = {"rmse": float(np.sqrt(np.mean((est - sr) ** 2))),
                     "mae": float(np.mean(np.abs(est - sr))),
                     "seconds": round(time.time() - t0, 1)}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
