#!/usr/bin/python3
"""bench/forecast/gen.py: the seasonal series of the forecasting benchmark.

    /usr/bin/python3 bench/forecast/gen.py OUTDIR [N_ACCURACY] [N_TIMING]

Writes OUTDIR/series.csv (N_ACCURACY series, default 300: half m = 12, half
m = 7, 144 points each: 120 to fit, the last 24 held out) and
OUTDIR/timing.csv (N_TIMING series of 120 points, default 10000, for the
speed figure).  Columns: id,m,t,y.  Fixed seed (18): the same files every run.

Six shapes, cycled (all positive, so R's ets may choose multiplicative forms):
  0 airline: ARIMA(0,1,1)(0,1,1)[m] with random theta, Theta
  1 additive Holt-Winters: local level and trend, stochastic additive season
  2 multiplicative season on a random-walk level (ETS(M,N,M)-like)
  3 linear trend + fixed season + AR(1) noise
  4 damped trend + season + iid noise
  5 slowly drifting season, no trend, AR(1) noise with a level shift
"""
import sys

import numpy as np

N_POINTS = 144


def season_shape(rng, m):
    s = rng.normal(0, 1, m)
    # smooth it a little: real seasons are not white noise
    s = np.convolve(np.r_[s[-1:], s, s[:1]], [0.25, 0.5, 0.25], mode="valid")
    return (s - s.mean()) / (s.std() + 1e-9)


def series(rng, shape, m, n):
    t = np.arange(n)
    s = season_shape(rng, m)
    amp = rng.uniform(0.5, 3.0)
    sd = rng.uniform(0.3, 1.5)
    if shape == 0:
        th, Th = rng.uniform(-0.8, -0.1), rng.uniform(-0.9, -0.3)
        burn = 2 * m + 2
        e = rng.normal(0, sd, n + burn)
        w = e.copy()
        w[1:] += th * e[:-1]
        w[m:] += Th * e[:-m]
        w[m + 1:] += th * Th * e[: -m - 1]
        y = np.zeros(n + burn)
        for i in range(n + burn):
            y[i] = w[i] + (y[i - 1] if i >= 1 else 0) + (y[i - m] if i >= m else 0) \
                - (y[i - m - 1] if i >= m + 1 else 0)
        y = y[burn:] + np.tile(s, n // m + 1)[:n] * amp * 3
        return y - y.min() + rng.uniform(20, 60)
    if shape == 1:
        lvl, b = rng.uniform(50, 100), rng.uniform(-0.2, 0.4)
        ss = list(s * amp * 3)
        y = np.zeros(n)
        for i in range(n):
            e = rng.normal(0, sd)
            y[i] = lvl + b + ss[i % m] + e
            lvl, b = lvl + b + 0.3 * e, b + 0.02 * e
            ss[i % m] += 0.1 * e
        return y - min(0.0, y.min()) + 5
    if shape == 2:
        lvl = rng.uniform(50, 150)
        fac = 1 + 0.25 * amp / 3 * s
        y = np.zeros(n)
        for i in range(n):
            e = rng.normal(0, 0.03 * sd)
            y[i] = lvl * fac[i % m] * (1 + e)
            lvl *= 1 + 0.5 * e
        return y
    if shape == 3:
        z = np.zeros(n)
        phi = rng.uniform(0.2, 0.8)
        for i in range(1, n):
            z[i] = phi * z[i - 1] + rng.normal(0, sd)
        y = 50 + rng.uniform(-0.1, 0.3) * t + amp * 2 * s[t % m] + z
        return y - min(0.0, y.min()) + 5
    if shape == 4:
        phi, b = rng.uniform(0.9, 0.98), rng.uniform(0.2, 1.0)
        trend = b * (1 - phi ** (t + 1)) / (1 - phi)
        y = 80 + trend + amp * 2 * s[t % m] + rng.normal(0, sd, n)
        return y - min(0.0, y.min()) + 5
    # shape 5
    z = np.zeros(n)
    phi = rng.uniform(0.3, 0.7)
    for i in range(1, n):
        z[i] = phi * z[i - 1] + rng.normal(0, sd)
    drift = np.outer(np.ones(n), s) + np.cumsum(rng.normal(0, 0.05, (n, m)), axis=0)
    y = 60 + amp * 2 * drift[t, t % m] + z + np.where(t > rng.integers(40, 100), rng.uniform(-3, 3), 0)
    return y - min(0.0, y.min()) + 5


def write(path, rng, count, n):
    with open(path, "w") as f:
        f.write("id,m,t,y\n")
        for i in range(count):
            m = 12 if i % 2 == 0 else 7
            y = series(rng, (i // 2) % 6, m, n)
            f.write("".join(f"{i},{m},{k},{v:.6g}\n" for k, v in enumerate(y)))


def main():
    out = sys.argv[1]
    n_acc = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    n_time = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    rng = np.random.default_rng(18)
    write(f"{out}/series.csv", rng, n_acc, N_POINTS)
    if n_time > 0:
        write(f"{out}/timing.csv", rng, n_time, 120)


if __name__ == "__main__":
    main()
