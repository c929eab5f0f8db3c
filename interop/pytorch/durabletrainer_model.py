"""Rebuild a DurableTrainer model in PyTorch from an export (the `.pt` state dict and its `.json` spec).

    from durabletrainer_model import load
    model, spec = load("my-run.pt", "my-run.json")   # eval mode, weights loaded strictly
    logits = model(images)                            # float32 [N, 1, 28, 28], preprocessed as spec["preprocessing"]

As a program it predicts a batch, for tests and for checking an export by hand:

    python3 durabletrainer_model.py MODEL.pt SPEC.json IMAGES.f32 COUNT LOGITS.f32

reads COUNT images as raw little-endian float32 [COUNT, 1, 28, 28] and writes the logits as raw float32 [COUNT, classes].
Layer names match the C# registry (src/Infrastructure.TorchSharp/Models/ModelFactory.cs), so state-dict keys match.
"""
import collections
import json
import sys

import torch
from torch import nn

SUPPORTED_FORMAT = "durabletrainer-model/1"


def build(spec):
    """An nn.Sequential with the same layers, in the same order and under the same names, as the C# model."""
    if spec.get("format") != SUPPORTED_FORMAT:
        raise ValueError(f"spec format {spec.get('format')!r} is not {SUPPORTED_FORMAT!r}")
    channels, height, width = spec["inputShape"]
    classes, hidden = spec["classes"], spec["hiddenUnits"]
    batch_norm, dropout = spec["batchNorm"], spec["dropout"]
    layers = []
    if spec["model"] == "mlp":
        layers.append(("flatten", nn.Flatten()))
        inputs = channels * height * width
        for layer in range(1, spec["hiddenLayers"] + 1):
            layers.append((f"fc{layer}", nn.Linear(inputs, hidden)))
            if batch_norm:
                layers.append((f"bn{layer}", nn.BatchNorm1d(hidden)))
            layers.append((f"relu{layer}", nn.ReLU()))
            if dropout > 0:
                layers.append((f"drop{layer}", nn.Dropout(dropout)))
            inputs = hidden
        layers.append((f"fc{spec['hiddenLayers'] + 1}", nn.Linear(inputs, classes)))
    elif spec["model"] == "cnn":
        first, second = spec["convChannels"], 2 * spec["convChannels"]
        layers.append(("conv1", nn.Conv2d(channels, first, kernel_size=3, padding=1)))
        if batch_norm:
            layers.append(("bn1", nn.BatchNorm2d(first)))
        layers += [("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2))]
        layers.append(("conv2", nn.Conv2d(first, second, kernel_size=3, padding=1)))
        if batch_norm:
            layers.append(("bn2", nn.BatchNorm2d(second)))
        layers += [("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)), ("flatten", nn.Flatten())]
        layers.append(("fc1", nn.Linear(second * (height // 4) * (width // 4), hidden)))
        if batch_norm:
            layers.append(("bn3", nn.BatchNorm1d(hidden)))
        layers.append(("relu3", nn.ReLU()))
        if dropout > 0:
            layers.append(("drop1", nn.Dropout(dropout)))
        layers.append(("fc2", nn.Linear(hidden, classes)))
    else:
        raise ValueError(f"unknown model {spec['model']!r}")
    return nn.Sequential(collections.OrderedDict(layers))


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
    images = torch.from_file(images_path, size=count * spec["inputShape"][0] * spec["inputShape"][1] * spec["inputShape"][2], dtype=torch.float32)
    with torch.no_grad():
        logits = model(images.reshape(count, *spec["inputShape"]))
    logits.contiguous().numpy().astype("<f4").tofile(logits_path)
    print(f"torch {torch.__version__}: {count} predictions written to {logits_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
