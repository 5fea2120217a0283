#!/usr/bin/python3
"""Generate test/unit/data/nn_attn_fixtures.txt for test/unit/test_nn_attn.c.

NOT run by the test suite (the unit tests must not need torch): run by hand
with Debian's /usr/bin/python3 and python3-torch (1.13), and commit the
output:

    /usr/bin/python3 test/unit/gen_nn_attn_fixtures.py

For each case it draws float32 inputs and weights, lays the weights out as
src/algo/nn_attn.h says (matrices [in, out]: PyTorch's weights transposed),
runs PyTorch's module in float64 on them, and writes the output and the
gradients of the loss sum(R * out) for a random R, with the padded rows of
the output set to 0 before the loss (pg_learn outputs 0 there):

    multi_head_attention  torch.nn.MultiheadAttention(batch_first=True)
                          with key_padding_mask
    layer_norm            torch.nn.LayerNorm (eps 1e-5), sequence and flat
    positional_embedding  learned: x + P[:T]; sinusoidal: the table of
                          "Attention is all you need" (sin on even
                          features, cos on odd ones)
    transformer_encoder   torch.nn.TransformerEncoderLayer(dropout=0,
                          activation=relu, batch_first=True,
                          norm_first=False) with src_key_padding_mask

File format: one array per line, "name count v1 v2 ...".  A case's arrays:
dims (type n T F heads key_dim ff pos_kind max_len masked), lengths, x,
params, out, R, din, dparams.
"""
import math
import os

import numpy as np
import torch

torch.set_num_threads(1)
torch.manual_seed(16)
rng = np.random.default_rng(16)

MHA, LN, POS, ENC = 15, 16, 17, 18
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                   "nn_attn_fixtures.txt")
lines = []


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def put(name, arr):
    a = np.asarray(arr, dtype=np.float64).ravel()
    lines.append("%s %d %s" % (name, a.size, " ".join("%.12g" % v for v in a)))


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def valid_mask(n, T, lengths):
    return np.array([[t < lengths[b] for t in range(T)] for b in range(n)])


def set_(p, a):
    with torch.no_grad():
        p.copy_(t64(a))


def emit(case, dims, lengths, x, params, out, R, din, dparams):
    put(case + ".dims", dims)
    put(case + ".lengths", lengths)
    put(case + ".x", x)
    put(case + ".params", np.concatenate([np.ravel(p) for p in params]))
    put(case + ".out", out)
    put(case + ".R", R)
    put(case + ".din", din)
    put(case + ".dparams", np.concatenate([np.ravel(p) for p in dparams]))


def loss_backward(out, valid, R):
    masked = out * t64(valid[..., None].astype(np.float64))
    (masked * t64(R)).sum().backward()
    return masked.detach().numpy()


def mha_weights(F):
    # my layout: Wqkv [F, 3F], bqkv [3F], Wo [F, F], bo [F]
    return [f32(F, 3 * F, scale=0.4), f32(3 * F, scale=0.1),
            f32(F, F, scale=0.4), f32(F, scale=0.1)]


def load_mha(m, w):
    set_(m.in_proj_weight, w[0].T)
    set_(m.in_proj_bias, w[1])
    set_(m.out_proj.weight, w[2].T)
    set_(m.out_proj.bias, w[3])


def mha_grads(m):
    return [m.in_proj_weight.grad.numpy().T, m.in_proj_bias.grad.numpy(),
            m.out_proj.weight.grad.numpy().T, m.out_proj.bias.grad.numpy()]


def case_mha(case, n, T, F, H, lengths):
    w = mha_weights(F)
    m = torch.nn.MultiheadAttention(F, H, batch_first=True).double()
    load_mha(m, w)
    x = f32(n, T, F)
    R = f32(n, T, F)
    valid = valid_mask(n, T, lengths)
    xt = t64(x, True)
    out, _ = m(xt, xt, xt, key_padding_mask=torch.tensor(~valid), need_weights=False)
    o = loss_backward(out, valid, R)
    emit(case, [MHA, n, T, F, H, F // H, 0, 0, 0, 1], lengths, x, w, o, R,
         xt.grad.numpy(), mha_grads(m))


def case_ln(case, n, T, F, lengths, masked):
    g, b = 1.0 + f32(F, scale=0.3), f32(F, scale=0.3)
    m = torch.nn.LayerNorm(F, eps=1e-5).double()
    set_(m.weight, g)
    set_(m.bias, b)
    x = f32(n, T, F, scale=2.0) + f32(n, T, 1)
    R = f32(n, T, F)
    valid = valid_mask(n, T, lengths)
    xt = t64(x, True)
    o = loss_backward(m(xt), valid, R)
    emit(case, [LN, n, T, F, 0, 0, 0, 0, 0, int(masked)], lengths, x, [g, b], o, R,
         xt.grad.numpy(), [m.weight.grad.numpy(), m.bias.grad.numpy()])


def case_pos(case, n, T, F, lengths, kind, max_len):
    x = f32(n, T, F)
    R = f32(n, T, F)
    valid = valid_mask(n, T, lengths)
    xt = t64(x, True)
    if kind == 0:
        P = f32(max_len, F, scale=0.5)
        Pt = t64(P, True)
        out = xt + Pt[:T].unsqueeze(0)
    else:
        tab = np.zeros((T, F))
        for pos in range(T):
            for i in range(0, F, 2):
                angle = pos / 10000 ** (i / F)
                tab[pos, i] = math.sin(angle)
                if i + 1 < F:
                    tab[pos, i + 1] = math.cos(angle)
        out = xt + t64(tab).unsqueeze(0)
    o = loss_backward(out, valid, R)
    params = [P] if kind == 0 else [np.zeros(0)]
    dparams = [Pt.grad.numpy()] if kind == 0 else [np.zeros(0)]
    emit(case, [POS, n, T, F, 0, 0, 0, kind, max_len, 1], lengths, x, params, o, R,
         xt.grad.numpy(), dparams)


def case_enc(case, n, T, F, H, ff, lengths):
    m = torch.nn.TransformerEncoderLayer(F, H, dim_feedforward=ff, dropout=0.0,
                                         activation="relu", batch_first=True,
                                         norm_first=False).double()
    m.train()
    w = mha_weights(F)
    load_mha(m.self_attn, w)
    W1, b1 = f32(F, ff, scale=0.4), f32(ff, scale=0.2)
    W2, b2 = f32(ff, F, scale=0.3), f32(F, scale=0.1)
    g1, be1 = 1.0 + f32(F, scale=0.3), f32(F, scale=0.3)
    g2, be2 = 1.0 + f32(F, scale=0.3), f32(F, scale=0.3)
    set_(m.linear1.weight, W1.T)
    set_(m.linear1.bias, b1)
    set_(m.linear2.weight, W2.T)
    set_(m.linear2.bias, b2)
    set_(m.norm1.weight, g1)
    set_(m.norm1.bias, be1)
    set_(m.norm2.weight, g2)
    set_(m.norm2.bias, be2)
    x = f32(n, T, F)
    R = f32(n, T, F)
    valid = valid_mask(n, T, lengths)
    xt = t64(x, True)
    out = m(xt, src_key_padding_mask=torch.tensor(~valid))
    o = loss_backward(out, valid, R)
    grads = mha_grads(m.self_attn) + [
        m.linear1.weight.grad.numpy().T, m.linear1.bias.grad.numpy(),
        m.linear2.weight.grad.numpy().T, m.linear2.bias.grad.numpy(),
        m.norm1.weight.grad.numpy(), m.norm1.bias.grad.numpy(),
        m.norm2.weight.grad.numpy(), m.norm2.bias.grad.numpy()]
    emit(case, [ENC, n, T, F, H, F // H, ff, 0, 0, 1], lengths, x,
         w + [W1, b1, W2, b2, g1, be1, g2, be2], o, R, xt.grad.numpy(), grads)


case_mha("mha_masked", 3, 5, 8, 2, [5, 3, 1])
case_mha("mha_one_head", 2, 4, 6, 1, [4, 4])
case_mha("mha_four_heads", 2, 7, 8, 4, [6, 7])
case_ln("ln_seq", 3, 4, 6, [4, 2, 3], True)
case_ln("ln_flat", 4, 1, 7, [1, 1, 1, 1], False)
case_pos("pos_learned", 3, 5, 6, [5, 2, 4], 0, 7)
case_pos("pos_sinusoidal", 2, 6, 7, [6, 3], 1, 0)
case_enc("enc_masked", 3, 6, 8, 2, 16, [6, 4, 2])
case_enc("enc_full", 2, 5, 12, 3, 10, [5, 5])

with open(OUT, "w") as f:
    f.write("# generated by test/unit/gen_nn_attn_fixtures.py with torch %s\n"
            % torch.__version__)
    f.write("\n".join(lines) + "\n")
print("wrote", OUT, len(lines), "arrays")
