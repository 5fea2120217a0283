#!/usr/bin/python3
"""Training step time of an LSTM text classifier in PyTorch 1.13 (CPU, one
thread), the same network and step as lstm_step.c:

    lstm_torch.py VOCAB EMBED UNITS BATCH T STEPS [MIN_LEN [PACKED]]

Embedding(VOCAB, EMBED, padding_idx=0), LSTM(EMBED, UNITS, batch_first),
the last state, Linear(UNITS, 2), cross-entropy, Adam 0.001 (zero_grad,
backward, step).  Token ids uniform in 1 .. VOCAB - 1; every row T long,
or (MIN_LEN < T) of a length uniform in MIN_LEN .. T, padded with 0.  With
PACKED 1 the batch goes through pack_padded_sequence (the last state is
then each row's own, as pg_learn's; without it the padded steps count).
Two warm-up steps, then STEPS steps timed; prints "ms_per_step".
"""
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)
V, E, H, B, T, S = (int(a) for a in sys.argv[1:7])
MINLEN = int(sys.argv[7]) if len(sys.argv) > 7 else T
PACKED = len(sys.argv) > 8 and sys.argv[8] == "1"


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(V, E, padding_idx=0)
        self.lstm = torch.nn.LSTM(E, H, batch_first=True)
        self.out = torch.nn.Linear(H, 2)

    def forward(self, x, lengths):
        e = self.emb(x)
        if PACKED:
            e = torch.nn.utils.rnn.pack_padded_sequence(e, lengths, batch_first=True,
                                                        enforce_sorted=False)
        _, (h, _) = self.lstm(e)
        return self.out(h[-1])


net = Net()
net.train()
opt = torch.optim.Adam(net.parameters(), lr=0.001)
lengths = torch.randint(MINLEN, T + 1, (S + 2, B))
X = torch.randint(1, V, (S + 2, B, T))
X = X * (torch.arange(T).view(1, 1, T) < lengths.unsqueeze(2))
y = (torch.arange(B) % 2).long()
loss_fn = torch.nn.CrossEntropyLoss()


def step(i):
    opt.zero_grad()
    loss = loss_fn(net(X[i], lengths[i]), y)
    loss.backward()
    opt.step()


for i in range(2):
    step(i)
t0 = time.perf_counter()
for i in range(S):
    step(2 + i)
print("%.2f" % ((time.perf_counter() - t0) * 1000 / S))
