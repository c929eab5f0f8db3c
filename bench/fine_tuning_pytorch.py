"""A model trained in plain PyTorch, for bench/fine_tuning.sh to start DurableTrainer runs from.

Trains DurableTrainer's `mlp` built-in as a PyTorch user would write it (flatten, fc1 784->H, relu1, fc2 H->10, the
same state-dict keys) on Fashion-MNIST with the main job's normalisation, Adam 1e-3, batch 64, for the epochs given,
then measures it on the 10,000 test images and saves `torch.save(model.state_dict(), FOLDER/weights.pt)`. Also writes
FOLDER/coarse.npz, a second dataset: the 10,000 test images under four coarse labels (tops, trousers and dresses,
footwear, bags), for a frozen backbone with a new head. Prints "accuracy" and "seconds".

Usage: python3 fine_tuning_pytorch.py FOLDER [hidden units] [epochs] [data folder]
"""
import collections
import gzip
import sys
import time

import numpy as np
import torch
from torch import nn

folder = sys.argv[1]
hidden = int(sys.argv[2]) if len(sys.argv) > 2 else 128
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
data = sys.argv[4] if len(sys.argv) > 4 else "/usr/share/datasets/fashion-mnist"
began = time.perf_counter()
torch.manual_seed(7)


def read(name, offset):
    with gzip.open(f"{data}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def images(name):
    return torch.from_numpy(((read(name, 16).astype(np.float32) / 255.0 - 0.2860) / 0.3530).reshape(-1, 1, 28, 28).copy())


def labels(name):
    return torch.from_numpy(read(name, 8).astype(np.int64).copy())


train_x, train_y = images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")
test_x, test_y = images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")
model = nn.Sequential(collections.OrderedDict(
    flatten=nn.Flatten(), fc1=nn.Linear(784, hidden), relu1=nn.ReLU(), fc2=nn.Linear(hidden, 10)))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_function = nn.CrossEntropyLoss()
for epoch in range(epochs):
    order = torch.randperm(len(train_x))
    model.train()
    for start in range(0, len(order), 64):
        batch = order[start:start + 64]
        optimizer.zero_grad()
        loss_function(model(train_x[batch]), train_y[batch]).backward()
        optimizer.step()

model.eval()
with torch.no_grad():
    correct = sum(int((model(test_x[i:i + 128]).argmax(1) == test_y[i:i + 128]).sum()) for i in range(0, len(test_x), 128))
torch.save(model.state_dict(), f"{folder}/weights.pt")

# Tops (T-shirt, pullover, coat, shirt), trousers and dresses, footwear (sandal, sneaker, ankle boot), bags.
coarse = np.array([0, 1, 0, 1, 0, 2, 0, 2, 3, 2], dtype=np.int64)
raw = read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
np.savez(f"{folder}/coarse.npz", x=raw.astype(np.float32) / 255.0, y=coarse[test_y.numpy()])
print(f"accuracy {correct / len(test_x):.4f}")
print(f"seconds {time.perf_counter() - began:.1f}")
