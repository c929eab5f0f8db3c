"""PyTorch baseline for bench/executor.sh: the same models, data, batch size, optimizer and thread count as the
TorchSharp executor, as a plain PyTorch loop. Prints "pytorch <samples per second>"."""
import gzip
import sys
import time

import numpy as np
import torch
from torch import nn

model_name = sys.argv[1] if len(sys.argv) > 1 else "mlp"
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 5
folder = sys.argv[5] if len(sys.argv) > 5 else "/usr/share/datasets/fashion-mnist"
batch = 64
torch.set_num_threads(threads)
torch.manual_seed(42)


def read(name, offset):
    with gzip.open(f"{folder}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


images = torch.from_numpy(((read("train-images-idx3-ubyte.gz", 16).astype(np.float32) / 255.0 - 0.2860) / 0.3530).reshape(-1, 1, 28, 28).copy())
labels = torch.from_numpy(read("train-labels-idx1-ubyte.gz", 8).astype(np.int64).copy())

if model_name == "cnn-bn":
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(64 * 7 * 7, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))
elif model_name == "cnn":
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
else:
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
generator = torch.Generator().manual_seed(42)


def run(count):
    order = torch.randperm(images.shape[0], generator=generator)
    for step in range(count):
        start = (step * batch) % (images.shape[0] - batch)
        index = order[start:start + batch]
        optimizer.zero_grad()
        loss = loss_fn(model(images[index]), labels[index])
        loss.backward()
        optimizer.step()
        loss.item()


def blas_library():
    """The BLAS shared library actually mapped into this process (Debian's torch links libblas.so.3, whose
    alternative should point at OpenMP OpenBLAS)."""
    with open("/proc/self/maps", encoding="utf-8") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(paths)) or "none mapped"


run(min(20, steps))
rates = []
for _ in range(repeats):
    began = time.perf_counter()
    run(steps)
    rates.append(steps * batch / (time.perf_counter() - began))
rates.sort()
print(f"pytorch {rates[len(rates) // 2]:.1f}")
print(f"pytorch_blas {blas_library()}")
print(f"pytorch_version {torch.__version__}")
