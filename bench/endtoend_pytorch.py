"""The main job as a user would write it in plain PyTorch, for bench/endtoend.sh: the default CNN (conv32-conv64-
fc128 with batch norm after each of the three), Adam 3e-3 on a cosine schedule from the first step to zero at the last
(DurableTrainer's cosine-with-warmup without warm-up), batch 64, 2 epochs of Fashion-MNIST with the same normalisation, on
54,000 training images with 6,000 held out for validation (a seeded draw, not the same one as DurableTrainer's),
validated every 844 steps and at the end, then tested once on the 10,000 test images, evaluating in batches of 128 as
DurableTrainer does, at the machine's thread count. Prints "accuracy" (test) and "seconds".

Usage: python3 endtoend_pytorch.py [epochs] [threads] [data folder]
"""
import gzip
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
threads = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
folder = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
batch, evaluate_every, validation_size, evaluation_batch, warmup = 64, 844, 6000, 128, 0
began = time.perf_counter()
torch.set_num_threads(threads)
torch.manual_seed(42)


def read(name, offset):
    with gzip.open(f"{folder}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def images(name):
    return torch.from_numpy(((read(name, 16).astype(np.float32) / 255.0 - 0.2860) / 0.3530).reshape(-1, 1, 28, 28).copy())


def labels(name):
    return torch.from_numpy(read(name, 8).astype(np.int64).copy())


all_x, all_y = images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")
held_out = torch.randperm(all_x.shape[0], generator=torch.Generator().manual_seed(0))
validation_x, validation_y = all_x[held_out[:validation_size]], all_y[held_out[:validation_size]]
train_x, train_y = all_x[held_out[validation_size:]], all_y[held_out[validation_size:]]
test_x, test_y = images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")
model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(64 * 7 * 7, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
total_steps = epochs * -(-train_x.shape[0] // batch)


def factor(step):
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total_steps - warmup))))


schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
loss_fn = nn.CrossEntropyLoss()


def evaluate(x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, x.shape[0], evaluation_batch):
            end = start + evaluation_batch
            correct += (model(x[start:end]).argmax(1) == y[start:end]).sum().item()
    model.train()
    return correct / x.shape[0]


step = 0
accuracy = None
for epoch in range(epochs):
    order = torch.randperm(train_x.shape[0])
    for start in range(0, train_x.shape[0], batch):
        index = order[start:start + batch]
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(train_x[index]), train_y[index]).backward()
        optimizer.step()
        schedule.step()
        step += 1
        if step % evaluate_every == 0:
            evaluate(validation_x, validation_y)
if step % evaluate_every != 0:
    evaluate(validation_x, validation_y)
accuracy = evaluate(test_x, test_y)
print(f"accuracy {accuracy:.4f}")
print(f"seconds {time.perf_counter() - began:.1f}")
