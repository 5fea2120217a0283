#!/usr/bin/python3
"""Training step time of a transformer encoder in PyTorch 1.13 (CPU, one
thread), the same network and step as seq_step.c:

    seq_torch.py T F HEADS FF LAYERS BATCH STEPS

LAYERS TransformerEncoderLayer(F, HEADS, FF, dropout=0, activation=relu,
batch_first=True, norm_first=False), the mean over the steps, Linear(F, 2),
cross-entropy, Adam 0.001 (zero_grad, backward, step).  Inputs uniform in
[-1, 1), every row full length (a key padding mask of all False is passed,
as pg_learn always masks).  Two warm-up steps, then STEPS steps timed;
prints "ms_per_step".
"""
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)
T, F, H, FF, NL, B, S = (int(a) for a in sys.argv[1:8])


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(F, H, FF, dropout=0.0, activation="relu",
                                                 batch_first=True, norm_first=False)
        self.enc = torch.nn.TransformerEncoder(layer, NL, enable_nested_tensor=False)
        self.out = torch.nn.Linear(F, 2)

    def forward(self, x, pad):
        return self.out(self.enc(x, src_key_padding_mask=pad).mean(dim=1))


net = Net()
net.train()
opt = torch.optim.Adam(net.parameters(), lr=0.001)
X = torch.rand(S + 2, B, T, F) * 2 - 1
y = (torch.arange(B) % 2).long()
pad = torch.zeros(B, T, dtype=torch.bool)
loss_fn = torch.nn.CrossEntropyLoss()


def step(x):
    opt.zero_grad()
    loss = loss_fn(net(x, pad), y)
    loss.backward()
    opt.step()


for i in range(2):
    step(X[i])
t0 = time.perf_counter()
for i in range(S):
    step(X[2 + i])
print("%.2f" % ((time.perf_counter() - t0) * 1000 / S))
