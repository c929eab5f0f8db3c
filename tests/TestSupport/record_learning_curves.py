"""Records real learning curves for the ASHA reference test: a grid of small PyTorch MLPs trained on scikit-learn's
bundled digits (learning rate x width), validation accuracy every 25 steps. Run once; the output is committed.

    python3 tests/TestSupport/record_learning_curves.py tests/Domain.Tests/Fixtures/digits-learning-curves.json
"""
import json
import sys

import torch
from sklearn.datasets import load_digits

torch.manual_seed(0)
torch.set_num_threads(1)
digits = load_digits()
x = torch.tensor(digits.data, dtype=torch.float32) / 16.0
y = torch.tensor(digits.target)
order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
train, valid = order[:1400], order[1400:]
curves = []
for lr in [3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]:
    for width in [16, 64]:
        torch.manual_seed(1)
        model = torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(), torch.nn.Linear(width, 10))
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        generator = torch.Generator().manual_seed(2)
        points = []
        for step in range(1, 401):
            batch = train[torch.randint(len(train), (32,), generator=generator)]
            loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 25 == 0:
                with torch.no_grad():
                    accuracy = (model(x[valid]).argmax(1) == y[valid]).float().mean().item()
                points.append({"step": step, "accuracy": round(accuracy, 6)})
        curves.append({"learningRate": lr, "width": width, "curve": points})
json.dump({"source": "scikit-learn digits, 1400 train / 397 validation, Adam, batch 32", "curves": curves}, open(sys.argv[1], "w"), indent=1)
