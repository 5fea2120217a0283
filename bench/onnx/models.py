#!/usr/bin/python3
"""bench/onnx/models.py: the models of the ONNX inference benchmark (issue 17
item 7), exported by torch 1.13 with fixed seeds, and PyTorch's side.

  models.py export DIR   write DIR/<case>.onnx, <case>.in.f32 (the input,
                         float32 row-major), <case>.torch.f32 (torch's output)
                         and DIR/cases.tsv: case, model, input name, shape
  models.py time DIR     torch.set_num_threads(1), torch.no_grad(): one line
                         "case median_us" per case (timing as in the others:
                         blocks of at least 50 ms, the median of 7 blocks)

Models (random weights, seed 17; inputs seed 18, Fashion-MNIST test images
for the MLP and the CNN when /usr/share/datasets/fashion-mnist is there):
  mlp      784-256-128-10 relu, batch 1 and 256 (one file, dynamic batch)
  cnn      conv 3x3 same 16 relu, maxpool 2, conv 32, maxpool 2, dense 128 relu,
           dense 10 (bench/fashion_mnist's CNN), batch 32 of 1x28x28
  lstm     nn.LSTM(64, 64), batch 32 x length 64, the whole output sequence
  encoder  2 nn.TransformerEncoderLayer(d_model 64, 4 heads, ff 256, relu,
           batch_first), batch 32 x length 64, opset 17 (LayerNormalization)
"""
import gzip
import os
import sys
import time

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)
FM = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                 nn.Linear(128, 10))

    def forward(self, x):
        return self.net(x)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(),
                               nn.Linear(128, 10))

    def forward(self, x):
        return self.f(x)


class LSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(64, 64, batch_first=True)

    def forward(self, x):
        return self.rnn(x)[0]


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(64, 4, dim_feedforward=256, dropout=0.0,
                                           batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)

    def forward(self, x):
        return self.enc(x)


def images(n):
    if not os.path.exists(FM):
        return None
    with gzip.open(FM, "rb") as f:
        data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=16)[:n * 784].astype(np.float32) / 255.0


def cases():
    """(case, model name, module, input, opset)"""
    torch.manual_seed(17)
    mlp, cnn, lstm, enc = MLP().eval(), CNN().eval(), LSTM().eval(), Encoder().eval()
    g = torch.Generator().manual_seed(18)
    img = images(256)
    x256 = torch.from_numpy(img.reshape(256, 784)) if img is not None else torch.rand(256, 784, generator=g)
    return [("mlp_b1", "mlp", mlp, x256[:1].clone(), 14),
            ("mlp_b256", "mlp", mlp, x256, 14),
            ("cnn_b32", "cnn", cnn, x256[:32].reshape(32, 1, 28, 28).clone(), 14),
            ("lstm_32x64", "lstm", lstm, torch.randn(32, 64, 64, generator=g), 14),
            ("encoder_32x64", "encoder", enc, torch.randn(32, 64, 64, generator=g), 17)]


def export(d):
    os.makedirs(d, exist_ok=True)
    lines = []
    done = set()
    for case, name, mod, x, opset in cases():
        path = os.path.join(d, name + ".onnx")
        if name not in done:
            # with gradients on: TransformerEncoder takes its exportable path
            torch.onnx.export(mod, (x,), path, opset_version=opset, input_names=["input"],
                              output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
            done.add(name)
        with torch.no_grad():
            y = mod(x)
        x.numpy().astype(np.float32).tofile(os.path.join(d, case + ".in.f32"))
        y.numpy().astype(np.float32).tofile(os.path.join(d, case + ".torch.f32"))
        lines.append("\t".join([case, name + ".onnx", "input", " ".join(map(str, x.shape))]))
    with open(os.path.join(d, "cases.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")


def timeit(fn):
    """median microseconds per call: blocks of >= 50 ms, 7 blocks"""
    for _ in range(3):
        fn()
    reps, t = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        t = time.perf_counter() - t0
        if t >= 0.05:
            break
        reps *= 2
    blocks = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        blocks.append((time.perf_counter() - t0) / reps)
    return sorted(blocks)[3] * 1e6


def time_all(d):
    for case, name, mod, x, opset in cases():
        with torch.no_grad():
            us = timeit(lambda: mod(x))
        print(f"{case} {us:.1f}", flush=True)


if __name__ == "__main__":
    {"export": export, "time": time_all}[sys.argv[1]](sys.argv[2])
