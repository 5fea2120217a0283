#!/usr/bin/python3
"""scikit-learn's MLPClassifier on Fashion-MNIST, fed from the same tables.

    bench/fashion_mnist/sklearn_mlp.py EPOCHS [float64|float32]

The way a user would: psycopg2 reads fashion_train and fashion_test (timed
as read_s), pixels are scaled by 1/255 (x / 255.0 gives float64, numpy's
default, which MLPClassifier then keeps; float32 is the faster choice), and MLPClassifier with the shape of
the SQL benchmark (784-256-128-10, relu, adam, learning rate 0.001, batch
128, EPOCHS epochs, no early stopping) is fit (fit_s) and scored on the test
rows (predict_s, accuracy).  Prints one JSON object.
"""
import json
import sys
import time
import warnings

import numpy as np
import psycopg2
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier


def read(cur, table, dtype):
    cur.execute(f"SELECT label, img FROM {table} ORDER BY id")
    rows = cur.fetchall()
    y = np.array([r[0] for r in rows], dtype=np.int64)
    x = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=np.uint8)
    return x.reshape(len(rows), 784).astype(dtype) / dtype(255.0), y


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    dtype = np.float32 if len(sys.argv) > 2 and sys.argv[2] == "float32" else np.float64
    conn = psycopg2.connect("")
    cur = conn.cursor()
    t0 = time.perf_counter()
    x, y = read(cur, "fashion_train", dtype)
    read_s = time.perf_counter() - t0
    xt, yt = read(cur, "fashion_test", dtype)
    clf = MLPClassifier(hidden_layer_sizes=(256, 128), activation="relu", solver="adam",
                        learning_rate_init=0.001, batch_size=128, max_iter=epochs,
                        shuffle=True, random_state=42, tol=0.0, n_iter_no_change=10**6)
    warnings.simplefilter("ignore", ConvergenceWarning)
    t0 = time.perf_counter()
    clf.fit(x, y)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    acc = float((clf.predict(xt) == yt).mean())
    predict_s = time.perf_counter() - t0
    print(json.dumps({"read_s": read_s, "fit_s": fit_s, "predict_s": predict_s,
                      "accuracy": acc, "epochs": clf.n_iter_,
                      "dtype": str(clf.coefs_[0].dtype)}))


if __name__ == "__main__":
    main()
