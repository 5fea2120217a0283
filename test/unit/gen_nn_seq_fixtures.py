#!/usr/bin/python3
"""Writes test/unit/data/nn_seq_fixtures.h: PyTorch 1.13 references for the
sequence layers of src/algo/nn_seq.c (test_nn_seq.c reads them; no torch at
test time).

Per case: the layer, the input X (n, T, F) or token ids (n, T), each row's
valid length, the parameters in pg_learn's layout, the output, and the
gradients of loss = sum(output * R) (R random) w.r.t. the input and the
parameters.  A row shorter than T is computed by torch on its truncated
sequence (x[:len]): pg_learn's masking rules (nn.h) say that a padded step
leaves an lstm / gru state unchanged and outputs 0, the backward direction
starts at the last real step, conv1d reads padded steps as 0 and outputs 0
past its output length, the pools read the real steps only.

Run: /usr/bin/python3 test/unit/gen_nn_seq_fixtures.py  (torch 1.13, one
thread; float64 so that the references are exact to float32's precision).
"""
import os

import torch

torch.set_num_threads(1)
torch.manual_seed(16)
DT = torch.float64

EMBEDDING, LSTM, GRU, CONV1D, AVG, MAX = 9, 10, 11, 12, 13, 14
ACT = {"linear": 0, "relu": 1, "tanh": 3, "sigmoid": 4}


def rnn_params(mod, bidir):
    """pg_learn's layout: per direction W_ih, W_hh, b_ih, b_hh (torch's own)."""
    out = []
    for sfx in ([""] + (["_reverse"] if bidir else [])):
        for nm in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            out.append(getattr(mod, nm + sfx))
    return out


def run_rnn(kind, n, T, F, H, rs, bidir, lengths):
    cls = torch.nn.LSTM if kind == LSTM else torch.nn.GRU
    mod = cls(F, H, batch_first=True, bidirectional=bool(bidir)).to(DT)
    X = torch.randn(n, T, F, dtype=DT, requires_grad=True)
    D = 2 if bidir else 1
    outs = []
    for b in range(n):
        L = lengths[b]
        o, hN = mod(X[b:b + 1, :L])
        hN = hN[0] if kind == LSTM else hN
        if rs:
            pad = torch.zeros(1, T - L, D * H, dtype=DT)
            outs.append(torch.cat([o, pad], 1)[0])
        else:
            outs.append(torch.cat([hN[d, 0] for d in range(D)]))
    out = torch.stack(outs)
    params = rnn_params(mod, bidir)
    return X, out, params


def run_embedding(n, T, vocab, dim, lengths):
    mod = torch.nn.Embedding(vocab, dim, padding_idx=0).to(DT)
    ids = torch.randint(1, vocab, (n, T))
    for b in range(n):
        ids[b, lengths[b]:] = 0
    ids[0, 1] = 0  # a padding id inside a row
    out = mod(ids)
    return ids, out, [mod.weight]


def run_conv1d(n, T, F, C, k, stride, padding, act, lengths):
    mod = torch.nn.Conv1d(F, C, k, stride=stride, padding=padding).to(DT)
    X = torch.randn(n, T, F, dtype=DT, requires_grad=True)
    outs = []
    To = None
    for b in range(n):
        o = mod(X[b:b + 1, :lengths[b]].transpose(1, 2)).transpose(1, 2)[0]
        if act == "tanh":
            o = torch.tanh(o)
        elif act == "relu":
            o = torch.relu(o)
        if To is None:
            full = mod(torch.zeros(1, F, T, dtype=DT))
            To = full.shape[2]
        outs.append(torch.cat([o, torch.zeros(To - o.shape[0], C, dtype=DT)]))
    out = torch.stack(outs)
    # pg_learn: W [k, F, filters] (torch's [filters, F, k] permuted), b [filters]
    mod.weight.pgl_layout = lambda w: w.permute(2, 1, 0)
    return X, out, [mod.weight, mod.bias]


def run_pool(kind, n, T, F, lengths):
    X = torch.randn(n, T, F, dtype=DT, requires_grad=True)
    outs = []
    for b in range(n):
        x = X[b, :lengths[b]]
        outs.append(x.mean(0) if kind == AVG else x.max(0).values)
    return X, torch.stack(outs), []


def fmt(name, t):
    vals = t.detach().reshape(-1).tolist() if t is not None else []
    if not vals:
        vals = [0.0]
    body = ", ".join("%.17g" % v if isinstance(v, float) else "%d" % v for v in vals)
    return "static const %s %s[] = {%s};\n" % (
        "double" if isinstance(vals[0], float) else "int", name, body)


def case(cid, name, spec, n, T, F, lengths, X, out, params):
    R = torch.randn(out.shape, dtype=DT)
    loss = (out * R).sum()
    loss.backward()
    text = fmt("c%d_x" % cid, X.to(DT))
    text += fmt("c%d_len" % cid, torch.tensor(lengths))
    text += fmt("c%d_out" % cid, out)
    text += fmt("c%d_r" % cid, R)
    if X.requires_grad:
        text += fmt("c%d_dx" % cid, X.grad)
    else:
        text += fmt("c%d_dx" % cid, torch.zeros(X.shape, dtype=DT))
    if params:
        lay = [getattr(p, "pgl_layout", lambda w: w) for p in params]
        text += fmt("c%d_p" % cid, torch.cat([f(p.detach()).reshape(-1)
                                              for f, p in zip(lay, params)]))
        text += fmt("c%d_dp" % cid, torch.cat([f(p.grad).reshape(-1)
                                               for f, p in zip(lay, params)]))
    else:
        text += fmt("c%d_p" % cid, None)
        text += fmt("c%d_dp" % cid, None)
    entry = ('\t{"%s", {%d, %d, %d, %d, %d, %d, 0, 0, %d, %d, %d}, %d, %d, %d, %d, '
             'c%d_x, c%d_len, c%d_out, c%d_r, c%d_dx, c%d_p, c%d_dp, %d},\n') % (
        name, spec["type"], spec.get("act", 0), spec.get("units", 0), spec.get("kernel", 0),
        spec.get("stride", 0), spec.get("padding", 0), spec.get("vocab", 0), spec.get("rs", 0),
        spec.get("bidir", 0), n, T, F, out[0].numel(), cid, cid, cid, cid, cid, cid, cid,
        sum(p.numel() for p in params) if params else 0)
    return text, entry


def main():
    cases = []
    n, T, F, H = 3, 5, 4, 3
    full = [T] * n
    masked = [T, 3, 1]
    cid = 0
    for kind, kname in ((LSTM, "lstm"), (GRU, "gru")):
        for rs in (1, 0):
            for bidir in (0, 1):
                for lens, lname in ((full, "full"), (masked, "masked")):
                    X, out, params = run_rnn(kind, n, T, F, H, rs, bidir, lens)
                    nm = "%s%s%s %s" % (kname, " return_sequences" if rs else " last",
                                        " bidirectional" if bidir else "", lname)
                    cases.append(case(cid, nm, {"type": kind, "units": H, "rs": rs,
                                                "bidir": bidir}, n, T, F, lens, X, out, params))
                    cid += 1
    for lens, lname in ((full, "full"), (masked, "masked")):
        ids, out, params = run_embedding(n, 6, 7, 3, [6, 4, 2] if lname == "masked" else [6] * n)
        cases.append(case(cid, "embedding " + lname,
                          {"type": EMBEDDING, "units": 3, "vocab": 7}, n, 6, 1,
                          [6, 4, 2] if lname == "masked" else [6] * n, ids.to(DT), out, params))
        cid += 1
    for (k, s, pad, act, lens, lname) in ((3, 1, "same", "tanh", full, "same tanh full"),
                                          (3, 1, "same", "linear", masked, "same masked"),
                                          (2, 2, 0, "relu", full, "valid stride 2 relu"),
                                          (4, 1, 0, "linear", full, "valid kernel 4")):
        X, out, params = run_conv1d(n, T + 1, F, 2, k, s, pad, act, [l + 1 for l in lens])
        cases.append(case(cid, "conv1d " + lname,
                          {"type": CONV1D, "units": 2, "kernel": k, "stride": s,
                           "padding": 1 if pad == "same" else 0, "act": ACT[act]},
                          n, T + 1, F, [l + 1 for l in lens], X, out, params))
        cid += 1
    for kind, kname in ((AVG, "global_avg_pool1d"), (MAX, "global_max_pool1d")):
        for lens, lname in ((full, "full"), (masked, "masked")):
            X, out, params = run_pool(kind, n, T, F, lens)
            cases.append(case(cid, kname + " " + lname, {"type": kind}, n, T, F, lens, X, out,
                              params))
            cid += 1
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                        "nn_seq_fixtures.h")
    with open(path, "w") as f:
        f.write("/* generated by test/unit/gen_nn_seq_fixtures.py with torch %s: do not edit */\n"
                % torch.__version__)
        f.write("/* clang-format off */\n")
        for text, _ in cases:
            f.write(text)
        f.write("static const seq_fixture fixtures[] = {\n")
        for _, entry in cases:
            f.write(entry)
        f.write("};\n")
    print("wrote %d cases to %s" % (len(cases), path))


if __name__ == "__main__":
    main()
