"""Rebuild a DurableTrainer model in PyTorch from an export (the `.pt` state dict and its `.json` spec).

    from durabletrainer_model import load
    model, spec = load("my-run.pt", "my-run.json")   # eval mode, weights loaded strictly
    outputs = model(preprocess(spec, features))       # features: float32 [N, *spec["inputShape"]] as read (pixels in [0, 1])
    predictions = postprocess(spec, outputs)          # class indices (names in spec["preprocessing"]["classNames"]) or targets

As a program it predicts a batch, for tests and for checking an export by hand:

    python3 durabletrainer_model.py MODEL.pt SPEC.json IMAGES.f32 COUNT LOGITS.f32

reads COUNT examples as raw little-endian float32 [COUNT, *inputShape] and writes the logits as raw float32
[COUNT, outputs].

The spec (format "durabletrainer-model/3"; /2 has the same layers) lists the model's layers, every one named and with every size its type
reads (defaults already filled in by src/Infrastructure.TorchSharp/Models/Layers/LayerResolution.cs), exactly as
the C# side builds them (src/Infrastructure.TorchSharp/Models/Layers/LayerStackBuilder.cs). This script rebuilds the
same layers, in the same order and under the same names, as an nn.Sequential, tracking the shape from
spec["inputShape"] to find each layer's in_features / in_channels; so the state-dict keys match TorchSharp's
(`fc1.weight`, and in a residual block `<block>.layers.<layer>.weight` and `<block>.shortcut.<layer>.weight`).
"""
import collections
import json
import math
import sys

import torch
from torch import nn

SUPPORTED_FORMATS = ("durabletrainer-model/2", "durabletrainer-model/3")


class GlobalAvgPool2d(nn.Module):
    """The mean over height and width: [N, C, H, W] to [N, C]."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class Residual(nn.Module):
    """layers(x) + shortcut(x); the shortcut is the identity when the spec gives none."""

    def __init__(self, layers, shortcut=None):
        super().__init__()
        self.layers = layers
        self.shortcut = shortcut if shortcut is not None else nn.Identity()

    def forward(self, x):
        return self.layers(x) + self.shortcut(x)


def _describe(shape):
    return "[" + ", ".join(str(size) for size in shape) + "]"


def _window(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def _layer(layer, shape, where):
    """The module for one layer spec receiving `shape` (without the batch dimension), and the shape it gives."""
    kind = layer.get("type")

    def image(what):
        if len(shape) != 3:
            raise ValueError(f"{where}: {what} expects an image [channels, height, width] but receives {_describe(shape)}")

    if kind == "linear":
        if len(shape) != 1:
            raise ValueError(f"{where}: linear expects a flat input [features] but receives {_describe(shape)}")
        units = layer["units"]
        return nn.Linear(shape[0], units), [units]
    if kind == "conv2d":
        image(kind)
        channels = layer["channels"]
        kernel, stride, padding = layer["kernel"], layer["stride"], layer["padding"]
        module = nn.Conv2d(shape[0], channels, kernel_size=kernel, stride=stride, padding=padding)
        return module, [channels, _window(shape[1], kernel, stride, padding), _window(shape[2], kernel, stride, padding)]
    if kind in ("maxpool2d", "avgpool2d"):
        image(kind)
        kernel, stride, padding = layer["kernel"], layer["stride"], layer["padding"]
        pool = nn.MaxPool2d if kind == "maxpool2d" else nn.AvgPool2d
        module = pool(kernel_size=kernel, stride=stride, padding=padding)
        return module, [shape[0], _window(shape[1], kernel, stride, padding), _window(shape[2], kernel, stride, padding)]
    if kind == "globalavgpool2d":
        image(kind)
        return GlobalAvgPool2d(), [shape[0]]
    if kind == "batchnorm":
        if len(shape) == 1:
            return nn.BatchNorm1d(shape[0]), shape
        if len(shape) == 3:
            return nn.BatchNorm2d(shape[0]), shape
        raise ValueError(f"{where}: batchnorm expects [features] or [channels, height, width] but receives {_describe(shape)}")
    if kind == "dropout":
        return nn.Dropout(layer["p"]), shape
    if kind == "relu":
        return nn.ReLU(), shape
    if kind == "gelu":
        return nn.GELU(), shape
    if kind == "tanh":
        return nn.Tanh(), shape
    if kind == "sigmoid":
        return nn.Sigmoid(), shape
    if kind == "flatten":
        return nn.Flatten(), [math.prod(shape)]
    if kind == "residual":
        if not layer.get("layers"):
            raise ValueError(f"{where}: a residual block needs its layers")
        body, main = _sequence(layer["layers"], shape, where + ".layers")
        shortcut, side = (None, shape)
        if layer.get("shortcut"):
            shortcut, side = _sequence(layer["shortcut"], shape, where + ".shortcut")
        if main != side:
            raise ValueError(f"{where}: the residual block's layers give {_describe(main)} but its shortcut gives {_describe(side)}")
        return Residual(body, shortcut), main
    raise ValueError(f"{where}: unknown layer type {kind!r}")


def _sequence(layers, shape, where):
    """An nn.Sequential keyed by the layers' names, and the shape after it."""
    modules = collections.OrderedDict()
    for index, layer in enumerate(layers):
        name = layer.get("name")
        if not name:
            raise ValueError(f"{where}[{index}]: the layer has no name (exports name every layer)")
        if name in modules:
            raise ValueError(f"{where}[{index}]: the name {name!r} is used twice")
        modules[name], shape = _layer(layer, list(shape), f"{where}[{index}]")
    return nn.Sequential(modules), shape


def build(spec):
    """An nn.Sequential with the same layers, in the same order and under the same names, as the C# model."""
    if spec.get("format") not in SUPPORTED_FORMATS:
        raise ValueError(f"spec format {spec.get('format')!r} is not one of {SUPPORTED_FORMATS!r}")
    model, shape = _sequence(spec["layers"], list(spec["inputShape"]), "layers")
    if shape != [spec["outputs"]]:
        raise ValueError(f"the layers give {_describe(shape)} but the spec says {spec['outputs']} outputs")
    return model


def preprocess(spec, features):
    """Standardizes features as training did: (x - mean) / std per feature, per channel, or over everything."""
    prep = spec.get("preprocessing")
    if not isinstance(prep, dict):
        return features
    mean = torch.tensor(prep["mean"], dtype=torch.float32)
    std = torch.tensor(prep["std"], dtype=torch.float32)
    if prep["axis"] == "channel":
        mean, std = mean.reshape(-1, 1, 1), std.reshape(-1, 1, 1)
    return (features - mean) / std


def postprocess(spec, outputs):
    """Class indices for a classifier; targets in their own units for regression (outputs are standardized targets)."""
    prep = spec.get("preprocessing")
    if isinstance(prep, dict) and prep.get("task") == "regression":
        return outputs * torch.tensor(prep["targetStd"], dtype=torch.float32) + torch.tensor(prep["targetMean"], dtype=torch.float32)
    return outputs.argmax(dim=1)


def load(weights_path, spec_path):
    with open(spec_path, encoding="utf-8") as spec_file:
        spec = json.load(spec_file)
    model = build(spec)
    model.load_state_dict(torch.load(weights_path, map_location="cpu"), strict=True)
    model.eval()
    return model, spec


def main(argv):
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    weights, spec_path, images_path, count, logits_path = argv[1], argv[2], argv[3], int(argv[4]), argv[5]
    torch.set_num_threads(1)
    model, spec = load(weights, spec_path)
    input_shape = list(spec["inputShape"])
    images = torch.from_file(images_path, size=count * math.prod(input_shape), dtype=torch.float32)
    with torch.no_grad():
        logits = model(images.reshape(count, *input_shape))
    logits.contiguous().numpy().astype("<f4").tofile(logits_path)
    print(f"torch {torch.__version__}: {count} predictions of {spec['outputs']} outputs ({spec['model']}) written to {logits_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
