using TorchSharp;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// One split of a 10-class, 1x28x28 image dataset held as tensors: images normalised to float32 [N,1,28,28] and
/// labels int64 [N]. The tensors live outside any dispose scope and are shared read-only by every chunk.
/// </summary>
public sealed class ImageSplit : IDisposable
{
    public const int Height = 28;
    public const int Width = 28;
    public const int Classes = 10;

    public ImageSplit(float[] images, long[] labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Length != labels.Length * Height * Width)
        {
            throw new ArgumentException($"{images.Length} pixels do not make {labels.Length} images of {Height}x{Width}.", nameof(images));
        }

        Count = labels.Length;
        Images = tensor(images, [Count, 1, Height, Width]).DetachFromDisposeScope();
        Labels = tensor(labels, [Count]).DetachFromDisposeScope();
    }

    public int Count { get; }
    public Tensor Images { get; }
    public Tensor Labels { get; }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

public sealed class ImageDataset(string name, ImageSplit train, ImageSplit test) : IDisposable
{
    public string Name { get; } = name;
    public ImageSplit Train { get; } = train;
    public ImageSplit Test { get; } = test;

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
