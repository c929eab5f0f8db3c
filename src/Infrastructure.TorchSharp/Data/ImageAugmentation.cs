using DurableTrainer.Domain.Specification;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// Training-time augmentation of image batches [N, C, H, W]: a random crop of the image padded by
/// <c>data.cropPadding</c> pixels of zeros (the training mean, after standardization), and a horizontal flip of
/// about half the images. The draws for each example are a pure function of (seed, replica, micro-batch, example),
/// like the data order, so a chunk that resumes mid-run sees exactly the batches an uninterrupted run would have.
/// </summary>
public sealed class ImageAugmentation
{
    private const long AugmentationStream = 0x617567; // "aug": keeps these draws apart from shuffling's

    private readonly int _padding;
    private readonly bool _flip;

    private ImageAugmentation(int padding, bool flip)
    {
        _padding = padding;
        _flip = flip;
    }

    /// <summary>The augmentation a data section asks for, or null when it asks for none.</summary>
    public static ImageAugmentation? For(DataSection data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.CropPadding > 0 || data.HorizontalFlip ? new ImageAugmentation(data.CropPadding, data.HorizontalFlip) : null;
    }

    /// <summary>Why this augmentation cannot apply to examples of <paramref name="shape"/>, or null when it can.</summary>
    public static string? ProblemWith(DataSection data, DataShape shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        return For(data) is not null && shape.Input.Count != 3
            ? $"augmentation (data.cropPadding, data.horizontalFlip) applies to images [channels, height, width]; this data's examples are [{string.Join(", ", shape.Input)}]"
            : null;
    }

    /// <summary>The batch augmented, in the caller's dispose scope.</summary>
    public Tensor Apply(Tensor batch, int seed, int replica, long microBatch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int count = (int)batch.shape[0];
        long height = batch.shape[2];
        long width = batch.shape[3];
        DeterministicRandom random = DeterministicRandom.For(seed, replica, microBatch, AugmentationStream);
        Tensor padded = _padding > 0 ? nn.functional.pad(batch, [_padding, _padding, _padding, _padding]) : batch;
        var examples = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            int top = _padding > 0 ? random.NextInt((2 * _padding) + 1) : 0;
            int left = _padding > 0 ? random.NextInt((2 * _padding) + 1) : 0;
            bool flip = _flip && random.NextInt(2) == 1;
            Tensor example = padded[i].narrow(1, top, height).narrow(2, left, width);
            examples[i] = flip ? example.flip(2) : example;
        }

        return stack(examples);
    }
}
