"""The character-level GPT recipe of bench/language_model.sh as a plain PyTorch script: the same model, data, recipe
and evaluation as the durable run, at the same thread count.

- Model: DurableTrainer's `gpt` built-in at the given sizes, assembled from the layer classes of
  interop/pytorch/durabletrainer_model.py (the ones its PyTorch rebuild uses, so the arithmetic is the same) with
  nanoGPT's initialisation: weights N(0, 0.02), the residual projections N(0, 0.02 / sqrt(2 * layers)), zero
  biases, the head tied to the token embedding.
- Data: the text's characters in code-point order after an unknown token (id 0), from the training text only; the
  split DurableTrainer makes, [train | validation | test] with the tail tenths held out, contiguous.
- Recipe: windows at random offsets, AdamW with weight decay on parameters of rank 2 and more only, a linear warm-up
  then a cosine down to min-factor of the rate at the last step (DurableTrainer's cosine-with-warmup), gradients
  clipped by global norm.
- Evaluation: every token of the validation text predicted once, in consecutive windows (the last one overlapping
  the one before, its overlap not counted), the loss averaged over tokens.

Prints "validation_loss", "seconds" (the training loop and the evaluation, not the reading), "tokens_per_second" and
"step_ms".

Usage: python3 language_model_pytorch.py TEXT [steps] [context] [threads] [seed]
"""
import math
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop", "pytorch"))
import durabletrainer_model as dt  # noqa: E402

path = sys.argv[1]
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
context = int(sys.argv[3]) if len(sys.argv) > 3 else 64
threads = int(sys.argv[4]) if len(sys.argv) > 4 else os.cpu_count()
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 42
layers, heads, width, batch = 4, 4, 128, 12
learning_rate, beta2, weight_decay, warmup, min_factor, clip = 1e-3, 0.99, 0.1, 100, 0.1, 1.0
torch.set_num_threads(threads)
torch.manual_seed(seed)

with open(path, encoding="utf-8") as text_file:
    text = text_file.read()
test_length = round(len(text) * 0.1)
validation_length = round(len(text) * 0.1)
validation_end = len(text) - test_length
train_end = validation_end - validation_length
characters = sorted(set(text[:train_end]), key=ord)
ids = {character: index + 1 for index, character in enumerate(characters)}
vocabulary = len(characters) + 1


def encode(part):
    return torch.tensor([ids.get(character, 0) for character in part], dtype=torch.long)


train, validation = encode(text[:train_end]), encode(text[train_end:validation_end])
std, residual = 0.02, 0.02 / math.sqrt(2 * layers)
spec = [
    {"type": "embedding", "name": "tokens", "vocabulary": vocabulary, "width": width, "initStd": std},
    {"type": "positionalEmbedding", "name": "positions", "context": context, "initStd": std},
] + [
    {"type": "transformerBlock", "name": f"block{block}", "heads": heads, "ratio": 4, "causal": True, "p": 0.0,
     "bias": False, "initStd": std, "residualInitStd": residual}
    for block in range(1, layers + 1)
] + [
    {"type": "layernorm", "name": "norm", "bias": False},
    {"type": "linear", "name": "head", "units": vocabulary, "bias": False, "tiedTo": "tokens"},
]
model, _ = dt._sequence(spec, [context], "layers")
decayed = [parameter for parameter in model.parameters() if parameter.dim() >= 2]
undecayed = [parameter for parameter in model.parameters() if parameter.dim() < 2]
optimizer = torch.optim.AdamW(
    [{"params": decayed, "weight_decay": weight_decay}, {"params": undecayed, "weight_decay": 0.0}],
    lr=learning_rate, betas=(0.9, beta2))


def factor(step):
    if step < warmup:
        return (step + 1.0) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * progress))


def evaluate(tokens):
    """The mean loss over every token of `tokens` but the first, each predicted once, in consecutive windows."""
    model.eval()
    predicted = tokens.shape[0] - 1
    windows = -(-predicted // context)
    total, counted = 0.0, 0
    with torch.no_grad():
        for first in range(0, windows, 64):
            starts = [min(window * context, predicted - context) for window in range(first, min(windows, first + 64))]
            x = torch.stack([tokens[start:start + context] for start in starts])
            y = torch.stack([tokens[start + 1:start + context + 1] for start in starts])
            if first + len(starts) == windows:
                overlap = (windows - 1) * context - starts[-1]
                y[-1, :overlap] = -100
            logits = model(x)
            total += nn.functional.cross_entropy(logits.reshape(-1, vocabulary), y.reshape(-1), ignore_index=-100, reduction="sum").item()
            counted += int((y != -100).sum())
    model.train()
    return total / counted


began = time.perf_counter()
model.train()
for step in range(steps):
    for group in optimizer.param_groups:
        group["lr"] = learning_rate * factor(step)
    starts = torch.randint(train.shape[0] - context, (batch,))
    x = torch.stack([train[start:start + context] for start in starts])
    y = torch.stack([train[start + 1:start + context + 1] for start in starts])
    loss = nn.functional.cross_entropy(model(x).reshape(-1, vocabulary), y.reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
trained = time.perf_counter() - began
validation_loss = evaluate(validation)
seconds = time.perf_counter() - began
print(f"validation_loss {validation_loss:.4f}")
print(f"seconds {seconds:.2f}")
print(f"tokens_per_second {steps * batch * context / trained:.0f}")
print(f"step_ms {1000 * trained / steps:.2f}")
print(f"torch {torch.__version__}, {threads} threads, vocabulary {vocabulary}, {train.shape[0]} training tokens")
