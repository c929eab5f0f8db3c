"""The plain-PyTorch twin of a DurableTrainer run of a TorchScript model, for bench/torchscript.sh: the same file
(so the same initial weights), Fashion-MNIST with the same normalisation, Adam, batch size and step count, dropout
on in training, then accuracy on the 10,000 test images. Prints "pytorch_accuracy", "pytorch_loss" and "pytorch_seconds".

Usage: python3 torchscript_baseline.py MODEL.pt STEPS [threads] [seed] [learning_rate] [batch] [data folder]
"""
import gzip
import sys
import time

import numpy as np
import torch
from torch import nn

path = sys.argv[1]
steps = int(sys.argv[2])
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 42
learning_rate = float(sys.argv[5]) if len(sys.argv) > 5 else 1e-3
batch = int(sys.argv[6]) if len(sys.argv) > 6 else 64
folder = sys.argv[7] if len(sys.argv) > 7 else "/usr/share/datasets/fashion-mnist"
torch.set_num_threads(threads)
torch.manual_seed(seed)


def read(name, offset):
    with gzip.open(f"{folder}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def images(name):
    pixels = read(name, 16).astype(np.float32) / 255.0
    return torch.from_numpy(((pixels - 0.2860) / 0.3530).reshape(-1, 1, 28, 28).copy())


def labels(name):
    return torch.from_numpy(read(name, 8).astype(np.int64).copy())


train_x, train_y = images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")
test_x, test_y = images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")
model = torch.jit.load(path)
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
loss_fn = nn.CrossEntropyLoss()
began = time.perf_counter()
model.train()
done = 0
while done < steps:
    # A fresh order each epoch; a final partial batch is skipped, as DurableTrainer's batches are whole.
    order = torch.randperm(train_x.shape[0])
    for start in range(0, train_x.shape[0] - batch + 1, batch):
        if done == steps:
            break
        index = order[start:start + batch]
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(train_x[index]), train_y[index]).backward()
        optimizer.step()
        done += 1
model.eval()
correct = 0
loss = 0.0
with torch.no_grad():
    for start in range(0, test_x.shape[0], 1000):
        logits = model(test_x[start:start + 1000])
        loss += nn.functional.cross_entropy(logits, test_y[start:start + 1000], reduction="sum").item()
        correct += (logits.argmax(1) == test_y[start:start + 1000]).sum().item()
print(f"pytorch_accuracy {correct / test_x.shape[0]:.4f}")
print(f"pytorch_loss {loss / test_x.shape[0]:.4f}")
print(f"pytorch_seconds {time.perf_counter() - began:.1f}")
