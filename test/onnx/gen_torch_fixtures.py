#!/usr/bin/python3
"""Write the torch-exported ONNX fixtures of pg_learn's ONNX runtime.

Small models with random weights (fixed seeds), exported by PyTorch 1.13's
torch.onnx, each in the layout of the ONNX backend tests:

    test/onnx/torch/test_<name>/model.onnx
    test/onnx/torch/test_<name>/test_data_set_0/input_<i>.pb, output_<i>.pb

so the conformance runner runs them as a suite, and test/unit/test_onnx_torch.c
checks every output to 1e-5.  Models: an MLP (Gemm, Relu, Softmax), a CNN
(Conv, BatchNormalization, Relu, MaxPool, a grouped Conv with padding,
GlobalAveragePool, Flatten, Gemm, LogSoftmax), a bidirectional LSTM and a
GRU (batch first, so Transpose around them), a 1-D CNN (Conv with dilation,
AveragePool, Pad reflect, ReduceMean), and a TransformerEncoder layer at
opset 17 (LayerNormalization, MatMul, Softmax, and the shape arithmetic of
multi-head attention).

Run: /usr/bin/python3 test/onnx/gen_torch_fixtures.py   (from the repository root)
"""
import os

import numpy as np
import onnx
import onnx.numpy_helper as nh
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch")


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(20, 32), nn.Linear(32, 16), nn.Linear(16, 5)

    def forward(self, x):
        return torch.softmax(self.l3(torch.relu(self.l2(torch.relu(self.l1(x))))), dim=1)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.c2 = nn.Conv2d(4, 8, 3, padding=1, stride=2, groups=2)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.bn(self.c1(x))), 2)
        x = torch.relu(self.c2(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return F.log_softmax(self.fc(x), dim=1)


class CNN1D(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(3, 6, 3, dilation=2)
        self.c2 = nn.Conv1d(6, 4, 1)

    def forward(self, x):
        x = F.pad(x, (2, 2), mode="reflect")
        x = F.avg_pool1d(torch.tanh(self.c1(x)), 3, stride=2, padding=1,
                         count_include_pad=False)
        return self.c2(x).mean(dim=2)


class LSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 16, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(32, 4)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1, :])


class GRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(8, 12, num_layers=2, batch_first=True)

    def forward(self, x):
        y, h = self.rnn(x)
        return y


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0,
                                           batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)

    def forward(self, x):
        return self.enc(x)


def write(name, model, x, opset):
    d = os.path.join(ROOT, "test_" + name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    model.eval()
    # with gradients on: TransformerEncoder then takes its exportable path (the
    # fused fast path of inference has no ONNX symbolic in 1.13)
    y = model(x).detach()
    torch.onnx.export(model, (x,), os.path.join(d, "model.onnx"), opset_version=opset,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                      # PRESERVE keeps BatchNormalization (EVAL folds it into the Conv)
                      training=torch.onnx.TrainingMode.PRESERVE)
    for kind, arr in (("input", x), ("output", y)):
        t = nh.from_array(arr.numpy().astype(np.float32), kind)
        with open(os.path.join(d, "test_data_set_0", kind + "_0.pb"), "wb") as f:
            f.write(t.SerializeToString())
    m = onnx.load(os.path.join(d, "model.onnx"))
    print(name, "opset", opset, sorted({n.op_type for n in m.graph.node}))


def main():
    torch.manual_seed(17)
    write("mlp", MLP(), torch.randn(4, 20), 14)
    cnn = CNN()
    with torch.no_grad():
        cnn.bn.running_mean.uniform_(-0.5, 0.5)
        cnn.bn.running_var.uniform_(0.5, 1.5)
        cnn.bn.weight.uniform_(0.5, 1.5)
        cnn.bn.bias.uniform_(-0.5, 0.5)
    write("cnn", cnn, torch.randn(2, 1, 12, 12), 14)
    write("cnn1d", CNN1D(), torch.randn(2, 3, 16), 14)
    write("lstm", LSTM(), torch.randn(3, 5, 8), 14)
    write("gru", GRU(), torch.randn(3, 5, 8), 14)
    write("transformer", Encoder(), torch.randn(2, 6, 16), 17)


if __name__ == "__main__":
    main()
