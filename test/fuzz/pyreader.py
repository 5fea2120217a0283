#!/usr/bin/env python3
"""An independent reader of the pg_learn model format, written from
docs/model-format.md alone (not from model_format.c), to show the document is
complete enough for a reader in another language.

    pyreader.py FILE...      print "ok" or the reason each file is refused
    pyreader.py --check DIR  every valid-* file must be accepted and every
                             other file refused; exit 1 otherwise
    pyreader.py --agree CORPUS_TOOL DIR...
                             every file of the DIRs, as is and with its length
                             and CRC re-stamped, gets the same verdict from
                             this reader and from the C reader (corpus_tool
                             verdict); exit 1 otherwise

Standard library only.  Knows every algorithm but neural_net (id 5), whose
blobs it refuses (the corpus has none, so the fuzzer never makes one)."""
import math
import os
import struct
import sys


class Corrupt(Exception):
    pass


def crc32c(data):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283

MAX_STRING = 65535
DTYPES = {1: ("<d", 8), 2: ("<f", 4), 3: ("<i", 4), 4: ("<q", 8), 5: (None, 4), 7: ("<B", 1)}
MIN_SIZE = {"string": 4, "feature": 28, "tensor": 12}


class Reader:
    def __init__(self, buf, end):
        self.buf, self.pos, self.end = buf, 16, end

    def need(self, n):
        if self.end - self.pos < n:
            raise Corrupt(f"truncated: need {n} bytes at offset {self.pos}")

    def unpack(self, fmt, size):
        self.need(size)
        (v,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return v

    def i32(self):
        return self.unpack("<i", 4)

    def i64(self):
        return self.unpack("<q", 8)

    def f64(self):
        return self.unpack("<d", 8)

    def count(self, what):
        n = self.i32()
        if n < 0 or n * MIN_SIZE[what] > self.end - self.pos:
            raise Corrupt(f"bad {what} count {n}")
        return n

    def string(self, limit=MAX_STRING):
        n = self.unpack("<I", 4)
        if n > limit:
            raise Corrupt(f"string of {n} bytes")
        self.need(n)
        b = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        if b"\0" in b:
            raise Corrupt("string with a zero byte")
        return b


def read(buf):
    # envelope
    if len(buf) < 6 or buf[:4] != b"PGLM":
        raise Corrupt("no magic")
    version, = struct.unpack_from("<H", buf, 4)
    if version == 0 or version > 3:
        raise Corrupt(f"format version {version}")
    if len(buf) < 16:
        raise Corrupt("short header")
    flags, total = struct.unpack_from("<HQ", buf, 6)
    if flags != 0:
        raise Corrupt("flags")
    if total != len(buf):
        raise Corrupt("length mismatch")
    if len(buf) < 52:
        raise Corrupt("shorter than the smallest model")
    if struct.unpack_from("<I", buf, len(buf) - 4)[0] != crc32c(buf[:-4]):
        raise Corrupt("checksum mismatch")

    r = Reader(buf, len(buf) - 4)
    m = {"algorithm": r.i32()}
    # neural_net (5) is not implemented here: refused, so its blobs disagree
    if m["algorithm"] not in (1, 2, 3, 4, 6, 7):
        raise Corrupt("unknown algorithm")
    m["task"], m["n_inputs"] = r.i32(), r.i32()
    feats = []
    for _ in range(r.count("feature")):
        f = {"name": r.string(), "type": r.string(), "kind": r.i32(), "impute": r.f64(),
             "impute_category": r.i32()}
        f["categories"] = [r.string() for _ in range(r.count("string"))]
        # format version 2: date (3) and timestamp (4) features end with an
        # f64 origin, array elements (5) with i32 element and i32 length,
        # text (6) with i32 ngram_max, i32 sublinear, f64 idf per term
        if f["kind"] in (3, 4, 5, 6):
            if version < 2:
                raise Corrupt("date, array or text feature in format version 1")
            if f["kind"] == 5:
                f["element"], f["length"] = r.i32(), r.i32()
            elif f["kind"] == 6:
                f["ngram_max"], f["sublinear"] = r.i32(), r.i32()
                if len(f["categories"]) * 8 > r.end - r.pos:
                    raise Corrupt("idf truncated")
                f["idf"] = [r.f64() for _ in f["categories"]]
            else:
                f["origin"] = r.f64()
        feats.append(f)
    # the lowest version that holds the model
    if version == 2 and not any(f["kind"] in (3, 4, 5, 6) for f in feats):
        raise Corrupt("format version 2 without a date or array feature")
    m["features"] = feats
    m["target_name"], m["target_type"] = r.string(), r.string()
    m["classes"] = [r.string() for _ in range(r.count("string"))]
    tensors = {}
    names = []
    for i in range(r.count("tensor")):
        name = r.string(31)
        if not name:
            raise Corrupt("empty tensor name")
        dtype = r.i32()
        if dtype not in DTYPES or (dtype == 7 and version < 3):
            raise Corrupt("unknown dtype")
        ndim = r.i32()
        if not 0 <= ndim <= 4:
            raise Corrupt("ndim")
        dims = [r.i64() for _ in range(ndim)]
        if any(d < 0 for d in dims):
            raise Corrupt("negative dim")
        prod = 1
        for d in dims:
            if d:
                prod *= d
        if prod * 8 > 2**63 - 1:
            raise Corrupt("dims overflow")
        count = 0 if 0 in dims else prod
        fmt, size = DTYPES[dtype]
        if count * size > r.end - r.pos:
            raise Corrupt("tensor data truncated")
        if dtype == 5:
            data = [r.string() for _ in range(count)]
        else:
            data = list(struct.unpack_from("<%d%s" % (count, fmt[1]), buf, r.pos))
            r.pos += count * size
        names.append(name)
        tensors[name.decode("latin-1")] = (dtype, dims, data)
    if r.pos != r.end:
        raise Corrupt("bytes after the tensors")
    if version == 3 and not any(t[0] == 7 for t in tensors.values()):
        raise Corrupt("format version 3 without a u8 tensor")
    m["tensors"] = tensors

    # structure
    task = m["task"]
    if task not in (1, 2, 3, 4):
        raise Corrupt("unknown task")
    if task == 3 and (feats or m["n_inputs"] or m["classes"]):
        raise Corrupt("recommender with features or classes")
    # tree ensembles (6, 7) learn where a missing value goes: a numeric
    # feature's impute may be NaN there, so that NULL stays missing
    nan_ok = m["algorithm"] in TREE_ALGORITHMS
    width = 0
    for i, f in enumerate(feats):
        if not f["name"]:
            raise Corrupt("feature name")
        if not math.isfinite(f["impute"]) and not (
                nan_ok and f["kind"] in (1, 3, 4, 5) and math.isnan(f["impute"])):
            raise Corrupt("feature impute")
        if f["kind"] == 1:
            if f["categories"] or f["impute_category"] != 0:
                raise Corrupt("numeric feature with categories")
            width += 1
        elif f["kind"] == 2:
            cats = f["categories"]
            if not cats or not 0 <= f["impute_category"] < len(cats):
                raise Corrupt("categorical feature")
            if any(a >= b for a, b in zip(cats, cats[1:])):
                raise Corrupt("categories not strictly sorted")
            width += len(cats)
        elif f["kind"] == 5:
            if f["categories"] or f["impute_category"] != 0:
                raise Corrupt("array element with categories")
            e, n = f["element"], f["length"]
            if not 1 <= n <= 100000 or not 0 <= e < n:
                raise Corrupt("array element out of range")
            if e > 0:
                g = feats[i - 1] if i > 0 else None
                if (g is None or g["kind"] != 5 or g["element"] != e - 1
                        or g["length"] != n or g["name"] != f["name"]):
                    raise Corrupt("array element out of order")
            h = feats[i + 1] if i + 1 < len(feats) else None
            if e < n - 1 and (h is None or h["kind"] != 5 or h.get("element") != e + 1):
                raise Corrupt("array ends early")
            width += 1
        elif f["kind"] == 6:
            terms = f["categories"]
            if not 1 <= len(terms) <= 1000000:
                raise Corrupt("text terms")
            if f["impute"] != 0 or f["impute_category"] != 0:
                raise Corrupt("text impute")
            if f["ngram_max"] not in (1, 2) or f["sublinear"] not in (0, 1):
                raise Corrupt("text n-grams or sublinear")
            if any(not t for t in terms) or any(a >= b for a, b in zip(terms, terms[1:])):
                raise Corrupt("text terms not strictly sorted")
            if any(not (math.isfinite(v) and v >= 1.0) for v in f["idf"]):
                raise Corrupt("text idf")
            width += len(terms)
        elif f["kind"] in (3, 4):
            if f["categories"] or f["impute_category"] != 0:
                raise Corrupt("date feature with categories")
            o = f["origin"]
            if not abs(o) <= 1e15 or o != math.floor(o / 86400.0) * 86400.0:
                raise Corrupt("date origin")
            if not abs(f["impute"]) <= 1e15 and not math.isnan(f["impute"]):
                raise Corrupt("date impute")
            width += 6 if f["kind"] == 3 else 8
        else:
            raise Corrupt("feature kind")
    if width > 2**31 - 1 or m["n_inputs"] != width:
        raise Corrupt("n_inputs")
    k = len(m["classes"])
    if (task == 2 and k < 2) or (task in (1, 3, 4) and k != 0):
        raise Corrupt("classes for the task")
    if len(set(m["classes"])) != k:
        raise Corrupt("duplicate class")
    if len(set(names)) != len(names):
        raise Corrupt("duplicate tensor name")
    # the decision threshold of a two-class classifier, any algorithm
    if "threshold" in tensors:
        dtype, dims, data = tensors["threshold"]
        if dtype != 1 or dims != [1] or not 0 < data[0] < 1:
            raise Corrupt("threshold tensor")
        if task != 2 or k != 2:
            raise Corrupt("threshold on a model that is not a two-class classifier")

    drift(feats, tensors)

    # the algorithm's invariants
    algo = m["algorithm"]
    if task not in {1: (1,), 2: (2,), 3: (3,), 4: (4,), 6: (1, 2), 7: (1, 2)}[algo]:
        raise Corrupt("task does not match the algorithm")
    T = tensors

    def want(name, dtype, shape):
        t = T.get(name)
        if t is None or t[0] != dtype or len(t[1]) != len(shape) or \
                any(s is not None and s != d for s, d in zip(shape, t[1])):
            raise Corrupt(f"tensor {name}")
        return t

    if algo in (1, 2):
        ncol = 1 if algo == 1 or k == 2 else k
        c = want("coef", 1, [width + 1, ncol])
        if not all(math.isfinite(v) for v in c[2]):
            raise Corrupt("coef not finite")
    elif algo in TREE_ALGORITHMS:
        trees(m, want)
    elif algo == 4:
        c = want("centroids", 1, [None, width])
        if not 1 <= c[1][0] <= 100000 or not all(math.isfinite(v) for v in c[2]):
            raise Corrupt("centroids")
        i = want("inertia", 1, [1])
        if not (math.isfinite(i[2][0]) and i[2][0] >= 0):
            raise Corrupt("inertia")
    else:
        def ids(int_name, key_name):
            a, b = T.get(int_name), T.get(key_name)
            if (a is None) == (b is None):
                raise Corrupt(f"{int_name} / {key_name}")
            t = want(int_name, 4, [None]) if a else want(key_name, 5, [None])
            if any(x >= y for x, y in zip(t[2], t[2][1:])):
                raise Corrupt("ids not ascending")
            return t[1][0], a is not None
        nu, ufam = ids("user_ids", "user_keys")
        ni, ifam = ids("item_ids", "item_keys")
        if ufam != ifam:
            raise Corrupt("id families differ")
        uf = want("user_factors", 2, [nu, None])
        kf = uf[1][1]
        if not 1 <= kf <= 1024 or nu >= 2**31 - 1 or ni >= 2**31 - 1:
            raise Corrupt("als shape")
        floats = [uf, want("item_factors", 2, [ni, kf]), want("user_bias", 2, [nu]),
                  want("item_bias", 2, [ni]), want("item_popularity", 2, [ni])]
        mu = want("global_mean", 1, [1])
        ptr = want("seen_ptr", 4, [nu + 1])[2]
        items = want("seen_items", 3, [None])[2]
        cfg = want("config", 1, [8])[2]
        if "columns" in T:
            want("columns", 5, [3])
        if "bias_l2" in T:
            bl = want("bias_l2", 1, [1])[2][0]
            if not (math.isfinite(bl) and bl >= 0):
                raise Corrupt("bias_l2")
        if not all(math.isfinite(v) for t in floats for v in t[2]) or not math.isfinite(mu[2][0]):
            raise Corrupt("als values not finite")
        implicit, l2, alpha, cg, cold, iters, kk, dup = cfg
        if not (implicit in (0, 1) and math.isfinite(l2) and l2 >= 0 and math.isfinite(alpha)
                and alpha >= 0 and 1 <= cg <= 100 and cold in (0, 1) and 1 <= iters <= 1000
                and 1 <= kk <= 1000 and dup in (0, 1)):
            raise Corrupt("config")
        if ptr[0] != 0 or ptr[nu] != len(items):
            raise Corrupt("seen_ptr")
        for u in range(nu):
            if ptr[u + 1] < ptr[u]:
                raise Corrupt("seen_ptr not ascending")
            row = items[ptr[u]:ptr[u + 1]]
            if any(not 0 <= x < ni for x in row) or any(x >= y for x, y in zip(row, row[1:])):
                raise Corrupt("seen_items")
    return m


TREE_ALGORITHMS = (6, 7)
COVER_SLACK = 1e-3
FLT_MAX = 3.4028234663852886e38
MAX_DEPTH = 64
INT32_MAX = 2**31 - 1


def drift(feats, T):
    """The drift summaries (docs/model-format.md, "Drift summaries"), any algorithm."""
    names = ("drift_index", "drift_edges", "drift_counts", "drift_values")
    if not any(n in T for n in names):
        return
    if not all(n in T for n in names):
        raise Corrupt("drift tensors incomplete")
    (it, idims, idx), (et, edims, edges), (ct, cdims, counts), (vt, vdims, values) = \
        (T[n] for n in names)
    if (it, len(idims), et, len(edims), ct, len(cdims), vt, len(vdims)) != (4, 2, 1, 1, 4, 1, 5, 1):
        raise Corrupt("drift tensor types")
    if idims != [len(feats), 5]:
        raise Corrupt("drift index shape")
    e = c = v = 0
    for i, feat in enumerate(feats):
        kind, rows, nulls, n, other = idx[5 * i:5 * i + 5]
        if not (0 <= kind <= 2 and rows >= 0 and 0 <= nulls <= rows and 0 <= n <= 1000
                and other >= 0):
            raise Corrupt("drift index row")
        if kind == 0:
            if rows or nulls or n or other:
                raise Corrupt("drift counts without kind")
            continue
        if c + n > len(counts):
            raise Corrupt("drift counts short")
        cnt = counts[c:c + n]
        c += n
        if kind == 1:
            if n > 0 and e + n + 1 > len(edges):
                raise Corrupt("drift edges short")
            ed = edges[e:e + n + 1] if n > 0 else []
            e += n + 1 if n > 0 else 0
            if feat["kind"] in (2, 6, 7) or other != 0 or (n == 0) != (nulls == rows):
                raise Corrupt("drift numeric summary")
            for j, x in enumerate(ed):
                if not math.isfinite(x):
                    raise Corrupt("drift edge not finite")
                if j > 0 and not (x > ed[j - 1] or (j == n and x == ed[j - 1])):
                    raise Corrupt("drift edges not increasing")
            total = 0
            for x in cnt:
                if x < 0 or x > rows - nulls - total:
                    raise Corrupt("drift count")
                total += x
            if n > 0 and total == 0:
                raise Corrupt("drift histogram empty")
        else:
            cats = feat["categories"]
            if feat["kind"] != 2 or n > len(cats):
                raise Corrupt("drift categorical summary")
            if v + n > len(values):
                raise Corrupt("drift values short")
            vals = values[v:v + n]
            v += n
            left = rows - nulls
            known = set(cats)
            for j, x in enumerate(vals):
                if x not in known or x in vals[:j]:
                    raise Corrupt("drift value")
                if cnt[j] < 1 or cnt[j] > left or (j > 0 and cnt[j] > cnt[j - 1]):
                    raise Corrupt("drift count")
                left -= cnt[j]
            if other != left:
                raise Corrupt("drift counts do not add up")
    if e != len(edges) or c != len(counts) or v != len(values):
        raise Corrupt("drift tensors longer than the index")


def trees(m, want):
    """The "trees" section of docs/model-format.md: xgboost and random_forest."""
    k, link = want("tree_params", 3, [2])[2]
    if not 1 <= k <= 1000000 or link not in (0, 1, 2, 3):
        raise Corrupt(f"tree_params {k} {link}")
    n_classes = len(m["classes"])
    if m["task"] == 1:
        fits = k == 1 and link in (0, 1, 3)
    elif n_classes == 2:
        fits = (k, link) in ((1, 1), (2, 2))
    else:
        fits = k == n_classes and link == 2
    if not fits:
        raise Corrupt(f"{k} groups and link {link} for task {m['task']}")

    offsets = want("tree_offsets", 4, [None])[2]
    n_trees = len(offsets) - 1
    if n_trees < 0 or n_trees > INT32_MAX:
        raise Corrupt("tree_offsets length")
    group = want("tree_group", 3, [n_trees])[2]
    base = want("base_score", 1, [k])[2]
    feature = want("split_feature", 3, [None])[2]
    n = len(feature)
    threshold = want("split_threshold", 2, [n])[2]
    default_left = want("default_left", 3, [n])[2]
    left = want("left_child", 3, [n])[2]
    right = want("right_child", 3, [n])[2]
    leaf = want("leaf_value", 1, [n])[2]
    cover = want("cover", 1, [n])[2]
    gain = want("split_gain", 1, [n])[2]
    objective = want("objective", 5, [1])[2]
    if len(objective[0]) >= 48:
        raise Corrupt("objective too long")

    if not all(math.isfinite(b) for b in base):
        raise Corrupt("base_score not finite")
    if offsets[0] != 0 or offsets[-1] != n:
        raise Corrupt("tree_offsets ends")
    for t in range(n_trees):
        if not 1 <= offsets[t + 1] - offsets[t] <= INT32_MAX:
            raise Corrupt(f"tree {t} size")
        if not 0 <= group[t] < k:
            raise Corrupt(f"tree {t} group")

    # each node on its own
    for g in range(n):
        if not -1 <= feature[g] < m["n_inputs"]:
            raise Corrupt(f"node {g} split feature")
        if not all(math.isfinite(v) for v in (threshold[g], leaf[g], cover[g], gain[g])):
            raise Corrupt(f"node {g} value not finite")
        if abs(leaf[g]) > FLT_MAX:
            raise Corrupt(f"node {g} leaf value outside the binary32 range")
        if cover[g] < 0 or default_left[g] not in (0, 1):
            raise Corrupt(f"node {g} cover or default_left")
        if feature[g] == -1 and (left[g], right[g]) != (-1, -1):
            raise Corrupt(f"leaf {g} with children")

    # each tree: replay a depth-first preorder walk from the root; the node
    # popped must always be the next one in storage order, and the walk must
    # end exactly at the end of the tree
    for t in range(n_trees):
        base_node, size = offsets[t], offsets[t + 1] - offsets[t]
        visited = 0
        todo = [(0, 0)]
        while todo:
            node, depth = todo.pop()
            if node != visited or node >= size:
                raise Corrupt(f"tree {t}: node {node} where the preorder has {visited}")
            visited += 1
            g = base_node + node
            if feature[g] >= 0:
                if depth + 1 > MAX_DEPTH:
                    raise Corrupt(f"tree {t} deeper than {MAX_DEPTH}")
                todo.append((right[g], depth + 1))
                todo.append((left[g], depth + 1))
        if visited != size:
            raise Corrupt(f"tree {t}: {size - visited} nodes not reached")
        # a child sees a subset of its parent's rows: its cover is not larger
        # (up to a relative slack of COVER_SLACK for binary32 rounding)
        for node in range(size):
            g = base_node + node
            if feature[g] >= 0:
                limit = cover[g] + cover[g] * COVER_SLACK
                if cover[base_node + left[g]] > limit or cover[base_node + right[g]] > limit:
                    raise Corrupt(f"tree {t} node {node}: a child's cover exceeds its own")


def verdict(path):
    try:
        read(open(path, "rb").read())
        return None
    except Corrupt as e:
        return str(e)


def restamped(b):
    b = bytearray(b)
    if len(b) >= 20:
        b[8:16] = len(b).to_bytes(8, "little")
        b[-4:] = crc32c(bytes(b[:-4])).to_bytes(4, "little")
    return bytes(b)


def agree(tool, dirs):
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        n = 0
        for d in dirs:
            for name in os.listdir(d):
                raw = open(os.path.join(d, name), "rb").read()
                for tag, b in (("raw", raw), ("restamped", restamped(raw))):
                    with open(os.path.join(tmp, f"{n:06d}-{tag}"), "wb") as f:
                        f.write(b)
                n += 1
        out = subprocess.run([tool, "verdict", tmp], capture_output=True, text=True, check=True)
        c = dict(line.split() for line in out.stdout.splitlines())
        bad = 0
        # neural_net (algorithm 5), forecast (9) and isolation_forest (10) are
        # not implemented here: not compared
        nn = [name for name in c
              if open(os.path.join(tmp, name), "rb").read()[16:20]
              in (b"\x05\x00\x00\x00", b"\x09\x00\x00\x00", b"\x0a\x00\x00\x00")]
        for name in nn:
            del c[name]
        for name, cv in sorted(c.items()):
            pv = "ok" if verdict(os.path.join(tmp, name)) is None else "refused"
            if pv != cv:
                bad += 1
                if bad <= 10:
                    print(f"# {name}: C reader {cv}, this reader {pv} "
                          f"({verdict(os.path.join(tmp, name))})")
        accepted = sum(1 for v in c.values() if v == "ok")
        print(f"# {len(c)} inputs ({accepted} accepted), {bad} disagree"
              f" ({len(nn)} neural_net, forecast and isolation_forest inputs not compared)")
        return 1 if bad or not c else 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "--agree":
        return agree(argv[2], argv[3:])
    if len(argv) == 3 and argv[1] == "--check":
        bad = n = 0
        for name in sorted(os.listdir(argv[2])):
            n += 1
            v = verdict(os.path.join(argv[2], name))
            if name.startswith("valid-") != (v is None):
                bad += 1
                print(f"# {name}: " + (f"refused: {v}" if v else "accepted"))
        print(f"# {n} corpus files, {bad} disagree")
        return 1 if bad or not n else 0
    for path in argv[1:]:
        v = verdict(path)
        print(f"{path}: " + ("ok" if v is None else v))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
