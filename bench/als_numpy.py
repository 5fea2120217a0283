"""bench/als_numpy.py: the peer of bench/run_als, a straightforward numpy ALS
of the same models as ai_train(..., 'als', ...).

Run with /usr/bin/python3 (Debian's numpy + psycopg2, numpy on the system
OpenBLAS) inside the benchmark's cluster environment (PGHOST, PGPORT, ...).
Fetches the ratings once (execute + fetchall + numpy.array), keeps a random
90 % of them for training (ours trains on 90 % too: test_size 0.1), then
times whole iterations (users, then items; 3 by default) of:

  explicit: biased weighted-lambda ALS; for each user u with items I,
            A = [V_I, 1], t = r - mu - c_I,
            [U_u, b_u] = solve(AᵀA + l2 n_u I, Aᵀt)     (numpy.linalg.solve)
            and the same for the items against the users.
  implicit: Hu, Koren, Volinsky; with c = 1 + alpha r (p = 1 observed),
            x_u = solve(YᵀY + l2 I + Y_Iᵀ diag(c - 1) Y_I, Y_Iᵀ c)
            (YᵀY once per half-iteration, one solve per user / item).

float64 throughout (numpy's default), one Python loop iteration per row.
Writes the per-iteration times (ms) into als_times and a few values into
als_values.
"""

import argparse
import sys
import time

import numpy as np
import psycopg2


def csr(rows, cols, vals, n_rows):
    """(ptr, idx, val) of the rows' entries, grouped by row"""
    order = np.argsort(rows, kind="stable")
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=ptr[1:])
    return ptr, cols[order], vals[order]


def explicit_half(ptr, idx, val, Y, yb, mu, l2, X, xb):
    k = Y.shape[1]
    A1 = np.hstack([Y, np.ones((Y.shape[0], 1))])   # [Y, 1]
    eye = np.eye(k + 1)
    for r in range(len(ptr) - 1):
        b, e = ptr[r], ptr[r + 1]
        if b == e:
            X[r] = 0.0
            xb[r] = 0.0
            continue
        items = idx[b:e]
        A = A1[items]
        t = val[b:e] - mu - yb[items]
        sol = np.linalg.solve(A.T @ A + (l2 * (e - b)) * eye, A.T @ t)
        X[r] = sol[:k]
        xb[r] = sol[k]


def implicit_half(ptr, idx, val, Y, l2, alpha, X):
    k = Y.shape[1]
    G = Y.T @ Y + l2 * np.eye(k)
    for r in range(len(ptr) - 1):
        b, e = ptr[r], ptr[r + 1]
        if b == e:
            X[r] = 0.0
            continue
        Yi = Y[idx[b:e]]
        c = 1.0 + alpha * val[b:e]
        A = G + (Yi.T * (c - 1.0)) @ Yi
        X[r] = np.linalg.solve(A, Yi.T @ c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--l2-explicit", type=float, default=0.05)
    ap.add_argument("--l2-implicit", type=float, default=0.1)
    ap.add_argument("--alpha", type=float, default=40.0)
    ap.add_argument("--test-size", type=float, default=0.1)
    args = ap.parse_args()

    def log(msg):
        print("als_numpy: " + msg, file=sys.stderr, flush=True)

    conn = psycopg2.connect("")
    conn.autocommit = True
    t0 = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("SELECT user_id, item_id, rating FROM ratings_explicit")
        data = np.array(cur.fetchall(), dtype=np.float64)
    fetch_ms = 1000 * (time.perf_counter() - t0)
    log("fetched %d ratings in %.0f ms" % (len(data), fetch_ms))

    _, u = np.unique(data[:, 0].astype(np.int64), return_inverse=True)
    _, i = np.unique(data[:, 1].astype(np.int64), return_inverse=True)
    r = data[:, 2]
    keep = np.random.default_rng(42).random(len(r)) >= args.test_size
    u, i, r = u[keep], i[keep], r[keep]
    nu, ni, k = int(u.max()) + 1, int(i.max()) + 1, args.factors
    uptr, uidx, uval = csr(u, i, r, nu)
    iptr, iidx, ival = csr(i, u, r, ni)
    mu = float(r.mean())
    times = []

    rng = np.random.default_rng(1)
    sd = 0.1 / np.sqrt(k)
    # explicit
    U, V = rng.normal(0, sd, (nu, k)), rng.normal(0, sd, (ni, k))
    ub, ib = np.zeros(nu), np.zeros(ni)
    for it in range(args.iterations):
        t0 = time.perf_counter()
        explicit_half(uptr, uidx, uval, V, ib, mu, args.l2_explicit, U, ub)
        explicit_half(iptr, iidx, ival, U, ub, mu, args.l2_explicit, V, ib)
        ms = 1000 * (time.perf_counter() - t0)
        times.append(("peer_explicit_iter", it + 1, ms))
        pred = mu + ub[u] + ib[i] + np.einsum("ij,ij->i", U[u], V[i])
        log("explicit iteration %d: %.0f ms (train rmse %.4f)"
            % (it + 1, ms, np.sqrt(np.mean((pred - r) ** 2))))
    # implicit (every observed pair has rating 1, as in ratings_implicit)
    uval1, ival1 = np.ones_like(uval), np.ones_like(ival)
    U, V = rng.normal(0, sd, (nu, k)), rng.normal(0, sd, (ni, k))
    for it in range(args.iterations):
        t0 = time.perf_counter()
        implicit_half(uptr, uidx, uval1, V, args.l2_implicit, args.alpha, U)
        implicit_half(iptr, iidx, ival1, U, args.l2_implicit, args.alpha, V)
        ms = 1000 * (time.perf_counter() - t0)
        times.append(("peer_implicit_iter", it + 1, ms))
        log("implicit iteration %d: %.0f ms (mean observed score %.3f)"
            % (it + 1, ms, float(np.mean(np.einsum("ij,ij->i", U[u], V[i])))))

    cfg = np.__config__
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO als_times VALUES (%s, %s, %s)", times)
        for key, value in (("peer_fetch_ms", "%.1f" % fetch_ms),
                           ("peer_rows_train", str(len(r))),
                           ("peer_users", str(nu)), ("peer_items", str(ni)),
                           ("peer_numpy_version", np.__version__),
                           ("peer_psycopg2_version", psycopg2.__version__.split()[0]),
                           ("peer_python", sys.version.split()[0]),
                           ("peer_blas", getattr(cfg, "blas_opt_info", {}).get(
                               "libraries", ["?"])[0] if hasattr(cfg, "blas_opt_info")
                            else "?")):
            cur.execute("INSERT INTO als_values VALUES (%s, %s) ON CONFLICT (key) "
                        "DO UPDATE SET value = EXCLUDED.value", (key, value))
    conn.close()


if __name__ == "__main__":
    main()
