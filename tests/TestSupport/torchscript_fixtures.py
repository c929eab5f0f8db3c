"""TorchScript files for the tests, good and bad, written into the folder given: what a user might upload.

The tests read the copies committed in tests/TestSupport/torchscript (written by Debian's python3-torch 1.13), so
they need no PyTorch at test time. To change or add one, edit this script and run it into that folder:

Usage: python3 tests/TestSupport/torchscript_fixtures.py tests/TestSupport/torchscript
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "interop", "pytorch"))
from example_torchscript_model import SmallCnn  # noqa: E402


class Tiny(nn.Module):
    """A linear model with dropout: quick to train in tests."""

    def __init__(self, outputs: int = 10):
        super().__init__()
        self.dropout = nn.Dropout(0.2)
        self.linear = nn.Linear(784, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(torch.flatten(x, 1)))


class ReturnsTuple(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(784, 10)

    def forward(self, x: torch.Tensor):
        y = self.linear(torch.flatten(x, 1))
        return y, y.softmax(1)


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(784, 10)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.linear(torch.flatten(x, 1)) + y


class NoParameters(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(x, 1)[:, :10]


folder = sys.argv[1]
torch.manual_seed(0)
torch.jit.script(SmallCnn()).save(os.path.join(folder, "cnn.pt"))
torch.jit.script(Tiny()).save(os.path.join(folder, "tiny.pt"))
torch.jit.script(Tiny(outputs=5)).save(os.path.join(folder, "five-outputs.pt"))
torch.jit.script(SmallCnn(channels=3)).save(os.path.join(folder, "three-channels.pt"))
torch.jit.script(ReturnsTuple()).save(os.path.join(folder, "tuple.pt"))
torch.jit.script(TwoInputs()).save(os.path.join(folder, "two-inputs.pt"))
torch.jit.script(NoParameters()).save(os.path.join(folder, "no-parameters.pt"))
torch.save(Tiny().state_dict(), os.path.join(folder, "state-dict.pt"))
print("ok")
