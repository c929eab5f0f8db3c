"""An example of bringing your own PyTorch model: a small CNN with batch norm and dropout, scripted and saved as
TorchScript. Train it here with `dtrain train --model-file net.pt`, and load the exported result back with
torch.jit.load.

Usage: python3 example_torchscript_model.py [net.pt] [seed]
"""
import sys

import torch
from torch import nn


class SmallCnn(nn.Module):
    """[N, 1, 28, 28] images to [N, 10] class scores."""

    def __init__(self, channels: int = 1, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.dropout = nn.Dropout(0.25)
        self.head = nn.Linear(32 * 7 * 7, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(torch.flatten(self.features(x), 1)))


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "net.pt"
    torch.manual_seed(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    torch.jit.script(SmallCnn()).save(path)
    print(f"wrote {path}")
