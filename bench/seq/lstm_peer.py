#!/usr/bin/python3
"""The PyTorch side of bench/run_lstm_torch's whole-training comparison:
read the table lstm_docs (ids integer[], label) through psycopg2 (the
connection from the PG* environment), pad to T, and fit the LSTM text
classifier of lstm_torch.py (one thread, Adam 0.001, batches of BATCH rows
shuffled per epoch) for EPOCHS epochs.

    lstm_peer.py VOCAB EMBED UNITS BATCH T EPOCHS

Prints JSON: seconds (reading + fitting), read (seconds reading).
"""
import json
import sys
import time

import numpy as np
import psycopg2
import torch

torch.set_num_threads(1)
torch.manual_seed(0)
V, E, H, B, T, EPOCHS = (int(a) for a in sys.argv[1:7])

t0 = time.perf_counter()
with psycopg2.connect("") as conn, conn.cursor() as cur:
    cur.execute("SELECT ids, label FROM lstm_docs ORDER BY id")
    rows = cur.fetchall()
X = np.zeros((len(rows), T), dtype=np.int64)
for i, (ids, _) in enumerate(rows):
    X[i, :len(ids)] = ids
y = torch.tensor([r[1] for r in rows], dtype=torch.long)
X = torch.from_numpy(X)
t_read = time.perf_counter() - t0


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(V, E, padding_idx=0)
        self.lstm = torch.nn.LSTM(E, H, batch_first=True)
        self.out = torch.nn.Linear(H, 2)

    def forward(self, x):
        _, (h, _) = self.lstm(self.emb(x))
        return self.out(h[-1])


net = Net()
opt = torch.optim.Adam(net.parameters(), lr=0.001)
loss_fn = torch.nn.CrossEntropyLoss()
for epoch in range(EPOCHS):
    perm = torch.randperm(len(rows))
    for b0 in range(0, len(rows), B):
        idx = perm[b0:b0 + B]
        opt.zero_grad()
        loss = loss_fn(net(X[idx]), y[idx])
        loss.backward()
        opt.step()
print(json.dumps({"seconds": time.perf_counter() - t0, "read": t_read}))
