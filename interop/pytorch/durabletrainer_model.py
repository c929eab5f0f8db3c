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
the C# side builds them (one file per layer type in src/Infrastructure.TorchSharp/Models/Layers/Kinds/). This script
rebuilds the same layers, in the same order and under the same names, as an nn.Sequential, tracking the shape from
spec["inputShape"] to find each layer's in_features / in_channels; so the state-dict keys match TorchSharp's
(`fc1.weight`, and in a residual block `<block>.layers.<layer>.weight` and `<block>.shortcut.<layer>.weight`).

Each layer type has one rebuild below, registered with @rebuilds("type"): a function (layer, shape, where) that
returns the module and the shape it gives. A C# test (LayerRebuildTests) fails when the types registered in
LayerTypes.BuiltIn and the ones rebuilt here differ.
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


class TokenEmbedding(nn.Module):
    """A learned vector per token id: [N, T] ids (int64, or float32 holding whole numbers) to [N, T, width]."""

    def __init__(self, vocabulary, width):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(vocabulary, width))
        nn.init.normal_(self.weight)

    def forward(self, x):
        return self.weight[x.long()]


class LearnedPositions(nn.Module):
    """x + weight[:T] for a sequence [N, T, C], up to `context` positions."""

    def __init__(self, context, width):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(context, width))
        nn.init.normal_(self.weight)

    def forward(self, x):
        return x + self.weight[: x.shape[-2]]


class LayerNorm(nn.Module):
    """Layer norm over the last dimension (eps 1e-5) whose bias may be absent (PyTorch 1.13's nn.LayerNorm always has one)."""

    def __init__(self, width, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width)) if bias else None

    def forward(self, x):
        return nn.functional.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class SelfAttention(nn.Module):
    """Multi-head self-attention over [N, T, C]: qkv packs the query, key and value projections, in that order."""

    def __init__(self, width, heads, causal, p, bias):
        super().__init__()
        self.qkv = nn.Linear(width, 3 * width, bias=bias)
        self.proj = nn.Linear(width, width, bias=bias)
        self.attention_dropout = nn.Dropout(p)
        self.output_dropout = nn.Dropout(p)
        self.heads = heads
        self.causal = causal
        self.keep = None  # [N, T] bool, set by PaddedSequential for padded texts: padding is never attended to

    def forward(self, x):
        n, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (part.view(n, t, self.heads, c // self.heads).transpose(1, 2) for part in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c // self.heads))
        if self.causal:
            future = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(future, float("-inf"))
        if self.keep is not None:
            scores = scores.masked_fill(~self.keep[:, None, None, :], float("-inf"))
        attended = self.attention_dropout(torch.softmax(scores, dim=-1)) @ v
        return self.output_dropout(self.proj(attended.transpose(1, 2).contiguous().view(n, t, c)))


class TransformerBlock(nn.Module):
    """Pre-norm: x + attention(ln1(x)), then x + mlp(ln2(x)) with mlp = fc, GELU, proj, dropout."""

    def __init__(self, width, heads, ratio, causal, p, bias):
        super().__init__()
        self.ln1 = LayerNorm(width, bias)
        self.attention = SelfAttention(width, heads, causal, p, bias)
        self.ln2 = LayerNorm(width, bias)
        self.mlp = nn.Sequential(collections.OrderedDict([
            ("fc", nn.Linear(width, ratio * width, bias=bias)),
            ("gelu", nn.GELU()),
            ("proj", nn.Linear(ratio * width, width, bias=bias)),
            ("dropout", nn.Dropout(p)),
        ]))

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class SequencePool(nn.Module):
    """[N, T, C] to [N, C]: the mean over positions, or the last position (over padded texts, of the tokens only)."""

    def __init__(self, mode):
        super().__init__()
        self.mode = mode
        self.keep = None  # [N, T] bool, set by PaddedSequential for padded texts

    def forward(self, x):
        if self.keep is None:
            return x[:, -1] if self.mode == "last" else x.mean(dim=1)
        if self.mode == "last":
            last = (self.keep.long() * torch.arange(x.shape[1])).argmax(dim=1)
            return x[torch.arange(x.shape[0]), last]
        weights = self.keep.to(x.dtype).unsqueeze(-1)
        return (x * weights).sum(dim=1) / weights.sum(dim=1)


class PaddedSequential(nn.Sequential):
    """The layers of a model reading padded texts ([N, T] ids, short texts filled with spec["paddingId"]): before each
    pass it tells attention and pooling which positions are tokens. The first position always counts, so an empty text
    is one padding token. The state-dict keys are those of the plain nn.Sequential."""

    def __init__(self, modules, padding_id):
        super().__init__(modules)
        self.padding_id = padding_id

    def forward(self, x):
        keep = x.long() != self.padding_id
        keep[:, 0] = True
        masked = [module for module in self.modules() if isinstance(module, (SelfAttention, SequencePool))]
        for module in masked:
            module.keep = keep
        try:
            return super().forward(x)
        finally:
            for module in masked:
                module.keep = None


def _normal(module, std):
    """GPT-2's initialisation where a layer gives initStd (nanoGPT's): the weight from N(0, std), the bias zero.
    Only a model trained from scratch in PyTorch needs it; load() overwrites every weight."""
    if std:
        nn.init.normal_(module.weight, 0.0, std)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
    return module


def _describe(shape):
    return "[" + ", ".join(str(size) for size in shape) + "]"


def _window(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


REBUILDS = {}


def rebuilds(kind):
    """Registers the decorated function as the rebuild of layers of type `kind`: f(layer, shape, where) gives the
    module for a layer spec receiving `shape` (without the batch dimension) and the shape it gives; `where` is the
    layer's place in the spec, for messages."""

    def register(function):
        REBUILDS[kind] = function
        return function

    return register


def _image(kind, shape, where):
    if len(shape) != 3:
        raise ValueError(f"{where}: {kind} expects an image [channels, height, width] but receives {_describe(shape)}")


def _sequence_input(kind, shape, where):
    if len(shape) != 2:
        raise ValueError(f"{where}: {kind} expects a sequence [positions, width] but receives {_describe(shape)}")


@rebuilds("linear")
def _linear(layer, shape, where):
    if len(shape) not in (1, 2):
        raise ValueError(f"{where}: linear expects [features] or a sequence [positions, width] but receives {_describe(shape)}")
    units = layer["units"]
    return _normal(nn.Linear(shape[-1], units, bias=layer.get("bias", True)), layer.get("initStd")), shape[:-1] + [units]


@rebuilds("conv2d")
def _conv2d(layer, shape, where):
    _image("conv2d", shape, where)
    channels = layer["channels"]
    kernel, stride, padding = layer["kernel"], layer["stride"], layer["padding"]
    module = nn.Conv2d(shape[0], channels, kernel_size=kernel, stride=stride, padding=padding)
    return module, [channels, _window(shape[1], kernel, stride, padding), _window(shape[2], kernel, stride, padding)]


def _pool(pool, kind, layer, shape, where):
    _image(kind, shape, where)
    kernel, stride, padding = layer["kernel"], layer["stride"], layer["padding"]
    module = pool(kernel_size=kernel, stride=stride, padding=padding)
    return module, [shape[0], _window(shape[1], kernel, stride, padding), _window(shape[2], kernel, stride, padding)]


@rebuilds("maxpool2d")
def _maxpool2d(layer, shape, where):
    return _pool(nn.MaxPool2d, "maxpool2d", layer, shape, where)


@rebuilds("avgpool2d")
def _avgpool2d(layer, shape, where):
    return _pool(nn.AvgPool2d, "avgpool2d", layer, shape, where)


@rebuilds("globalavgpool2d")
def _globalavgpool2d(layer, shape, where):
    _image("globalavgpool2d", shape, where)
    return GlobalAvgPool2d(), [shape[0]]


@rebuilds("batchnorm")
def _batchnorm(layer, shape, where):
    if len(shape) == 1:
        return nn.BatchNorm1d(shape[0]), shape
    if len(shape) == 3:
        return nn.BatchNorm2d(shape[0]), shape
    raise ValueError(f"{where}: batchnorm expects [features] or [channels, height, width] but receives {_describe(shape)}")


@rebuilds("dropout")
def _dropout(layer, shape, where):
    return nn.Dropout(layer["p"]), shape


@rebuilds("relu")
def _relu(layer, shape, where):
    return nn.ReLU(), shape


@rebuilds("gelu")
def _gelu(layer, shape, where):
    return nn.GELU(), shape


@rebuilds("tanh")
def _tanh(layer, shape, where):
    return nn.Tanh(), shape


@rebuilds("sigmoid")
def _sigmoid(layer, shape, where):
    return nn.Sigmoid(), shape


@rebuilds("flatten")
def _flatten(layer, shape, where):
    return nn.Flatten(), [math.prod(shape)]


@rebuilds("residual")
def _residual(layer, shape, where):
    if not layer.get("layers"):
        raise ValueError(f"{where}: a residual block needs its layers")
    body, main = _sequence(layer["layers"], shape, where + ".layers")
    shortcut, side = (None, shape)
    if layer.get("shortcut"):
        shortcut, side = _sequence(layer["shortcut"], shape, where + ".shortcut")
    if main != side:
        raise ValueError(f"{where}: the residual block's layers give {_describe(main)} but its shortcut gives {_describe(side)}")
    return Residual(body, shortcut), main


@rebuilds("embedding")
def _embedding(layer, shape, where):
    if len(shape) != 1:
        raise ValueError(f"{where}: embedding expects token ids [positions] but receives {_describe(shape)}")
    return _normal(TokenEmbedding(layer["vocabulary"], layer["width"]), layer.get("initStd")), [shape[0], layer["width"]]


@rebuilds("positionalEmbedding")
def _positional_embedding(layer, shape, where):
    _sequence_input("positionalEmbedding", shape, where)
    if shape[0] > layer["context"]:
        raise ValueError(f"{where}: the sequence has {shape[0]} positions, more than the context {layer['context']}")
    return _normal(LearnedPositions(layer["context"], shape[1]), layer.get("initStd")), shape


@rebuilds("layernorm")
def _layernorm(layer, shape, where):
    if len(shape) not in (1, 2):
        raise ValueError(f"{where}: layernorm expects [features] or a sequence [positions, width] but receives {_describe(shape)}")
    return LayerNorm(shape[-1], layer.get("bias", True)), shape


@rebuilds("selfAttention")
def _self_attention(layer, shape, where):
    _sequence_input("selfAttention", shape, where)
    attention = SelfAttention(shape[1], layer["heads"], layer["causal"], layer["p"], layer["bias"])
    _normal(attention.qkv, layer.get("initStd"))
    _normal(attention.proj, layer.get("residualInitStd") or layer.get("initStd"))
    return attention, shape


@rebuilds("transformerBlock")
def _transformer_block(layer, shape, where):
    _sequence_input("transformerBlock", shape, where)
    block = TransformerBlock(shape[1], layer["heads"], layer["ratio"], layer["causal"], layer["p"], layer["bias"])
    std, residual = layer.get("initStd"), layer.get("residualInitStd") or layer.get("initStd")
    for linear, deviation in ((block.attention.qkv, std), (block.attention.proj, residual), (block.mlp.fc, std), (block.mlp.proj, residual)):
        _normal(linear, deviation)
    return block, shape


@rebuilds("sequencePool")
def _sequence_pool(layer, shape, where):
    _sequence_input("sequencePool", shape, where)
    return SequencePool(layer["mode"]), [shape[1]]


def _layer(layer, shape, where):
    """The module for one layer spec receiving `shape` (without the batch dimension), and the shape it gives."""
    kind = layer.get("type")
    rebuild = REBUILDS.get(kind) if isinstance(kind, str) else None
    if rebuild is None:
        raise ValueError(f"{where}: unknown layer type {kind!r}")
    return rebuild(layer, shape, where)


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
        tied = layer.get("tiedTo")
        if tied is not None:
            # One tensor under two keys, as nn.Module ties an output head to its input embedding.
            if not isinstance(modules.get(tied), TokenEmbedding):
                raise ValueError(f"{where}[{index}]: tiedTo names no embedding layer before it: {tied!r}")
            modules[name].weight = modules[tied].weight
    return nn.Sequential(modules), shape


def build(spec):
    """An nn.Sequential with the same layers, in the same order and under the same names, as the C# model."""
    if spec.get("format") not in SUPPORTED_FORMATS:
        raise ValueError(f"spec format {spec.get('format')!r} is not one of {SUPPORTED_FORMATS!r}")
    model, shape = _sequence(spec["layers"], list(spec["inputShape"]), "layers")
    if shape[-1:] != [spec["outputs"]]:
        raise ValueError(f"the layers give {_describe(shape)} but the spec says {spec['outputs']} outputs")
    if spec.get("paddingId") is not None:
        return PaddedSequential(model._modules, spec["paddingId"])
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
    """Class indices for a classifier, the likeliest next token at each position for a language model, targets in
    their own units for regression (outputs are standardized targets)."""
    prep = spec.get("preprocessing")
    if isinstance(prep, dict) and prep.get("task") == "language-model":
        return outputs.argmax(dim=-1)
    if isinstance(prep, dict) and prep.get("task") == "regression":
        return outputs * torch.tensor(prep["targetStd"], dtype=torch.float32) + torch.tensor(prep["targetMean"], dtype=torch.float32)
    return outputs.argmax(dim=1)


def load(weights_path, spec_path):
    with open(spec_path, encoding="utf-8") as spec_file:
        spec = json.load(spec_file)
    model = build(spec)
    state = torch.load(weights_path, map_location="cpu")
    # A head tied to an embedding is one tensor; the export holds it once, under the embedding's key.
    for layer in spec["layers"]:
        if layer.get("tiedTo"):
            state.setdefault(f"{layer['name']}.weight", state[f"{layer['tiedTo']}.weight"])
    model.load_state_dict(state, strict=True)
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
