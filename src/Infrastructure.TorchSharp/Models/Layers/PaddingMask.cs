using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

/// <summary>
/// Which positions of the batch in flight hold tokens rather than padding, for a model reading padded texts. The
/// model's outer stack (<see cref="PaddedLayerStack"/>) sets it from the ids before its layers run and clears it
/// after; attention and pooling read it, since the ids themselves do not reach them. A module serves one forward pass
/// at a time, so one mask per model is enough.
/// </summary>
public sealed class PaddingMask(long paddingId)
{
    public long PaddingId { get; } = paddingId;

    /// <summary>[N, T] bool, true at positions to attend to and pool over; null outside a forward pass.</summary>
    public Tensor? Keep { get; private set; }

    /// <summary>
    /// Marks the positions of <paramref name="ids"/> [N, T] that are not padding, and always the first: an empty text
    /// is one padding token, so every row keeps something to attend to (a row of nothing would softmax to NaN).
    /// </summary>
    internal void Set(Tensor ids)
    {
        Tensor keep = ids.ne(PaddingId);
        keep[TensorIndex.Colon, 0] = tensor(true);
        Keep = keep;
    }

    internal void Clear() => Keep = null;
}

/// <summary>
/// The layers of a model reading padded texts, registered under their names exactly as a Sequential registers them
/// (so the state-dict keys are the same), which sets the <see cref="PaddingMask"/> from the ids for each pass.
/// </summary>
internal sealed class PaddedLayerStack : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor>[] _layers;
    private readonly PaddingMask _mask;

    public PaddedLayerStack(IReadOnlyList<(string Name, Module<Tensor, Tensor> Module)> layers, PaddingMask mask)
        : base(nameof(PaddedLayerStack))
    {
        _layers = [.. layers.Select(layer => layer.Module)];
        _mask = mask;
        foreach ((string name, Module<Tensor, Tensor> module) in layers)
        {
            register_module(name, module);
        }
    }

    public override Tensor forward(Tensor input)
    {
        _mask.Set(input);
        try
        {
            Tensor x = input;
            foreach (Module<Tensor, Tensor> layer in _layers)
            {
                x = layer.call(x);
            }

            return x;
        }
        finally
        {
            _mask.Clear();
        }
    }
}
