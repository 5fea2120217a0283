#!/usr/bin/python3
"""Load Fashion-MNIST (Debian's dataset-fashion-mnist) into PostgreSQL.

    bench/fashion_mnist/load.py [DIR] [--limit N]

Creates fashion_train (60,000 rows) and fashion_test (10,000 rows), each
(id integer, label integer, img bytea): img holds the 28x28 pixels row by
row, one byte (0..255) each, as in the IDX files.  Connects with libpq's
PG* environment variables.  --limit keeps the first N rows of each (tests).
"""
import gzip
import io
import sys

import numpy as np
import psycopg2

DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(cur, table, images, labels):
    cur.execute(f"DROP TABLE IF EXISTS {table}")
    cur.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, label integer NOT NULL, "
                f"img bytea NOT NULL)")
    buf = io.StringIO()
    for i in range(len(labels)):
        buf.write(f"{i + 1}\t{int(labels[i])}\t\\\\x{images[i].tobytes().hex()}\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} (id, label, img) FROM STDIN", buf)
    cur.execute(f"ANALYZE {table}")


def main():
    args = sys.argv[1:]
    limit = None
    if "--limit" in args:
        i = args.index("--limit")
        limit = int(args[i + 1])
        del args[i:i + 2]
    d = args[0] if args else DIR
    conn = psycopg2.connect("")
    cur = conn.cursor()
    for table, prefix in (("fashion_train", "train"), ("fashion_test", "t10k")):
        x = read_idx(f"{d}/{prefix}-images-idx3-ubyte.gz")
        y = read_idx(f"{d}/{prefix}-labels-idx1-ubyte.gz")
        if limit:
            x, y = x[:limit], y[:limit]
        load(cur, table, x, y)
        print(f"{table}: {len(y)} rows", file=sys.stderr)
    cur.execute("DROP TABLE IF EXISTS fashion_classes")
    cur.execute("CREATE TABLE fashion_classes (label integer PRIMARY KEY, name text NOT NULL)")
    cur.executemany("INSERT INTO fashion_classes VALUES (%s, %s)", list(enumerate(CLASSES)))
    conn.commit()


if __name__ == "__main__":
    main()
