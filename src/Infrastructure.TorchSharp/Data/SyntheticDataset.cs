namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// A small 10-class problem shaped like Fashion-MNIST (1x28x28): each class is a random prototype image (a 7x7 grid
/// of random levels blown up to 4x4-pixel blocks, so it has spatial structure a CNN can use) plus Gaussian noise. Learnable in a few hundred steps, yet not solved by the initial weights, so tests that need real
/// training to happen can run in seconds. The same sizes and seed always give the same data.
/// </summary>
public static class SyntheticDataset
{
    private const int Pixels = ImageSplit.Height * ImageSplit.Width;
    private const double NoiseStandardDeviation = 4.5;

    public static ImageDataset Create(int trainExamples, int testExamples, long seed = 20240531)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trainExamples, ImageSplit.Classes);
        ArgumentOutOfRangeException.ThrowIfLessThan(testExamples, ImageSplit.Classes);
        var random = DeterministicRandom.For(seed);
        const int Block = 4;
        const int Grid = ImageSplit.Width / Block;
        var prototypes = new float[ImageSplit.Classes * Pixels];
        for (int label = 0; label < ImageSplit.Classes; label++)
        {
            var levels = new float[Grid * Grid];
            for (int i = 0; i < levels.Length; i++)
            {
                levels[i] = (float)random.NextGaussian();
            }

            for (int y = 0; y < ImageSplit.Height; y++)
            {
                for (int x = 0; x < ImageSplit.Width; x++)
                {
                    prototypes[(label * Pixels) + (y * ImageSplit.Width) + x] = levels[((y / Block) * Grid) + (x / Block)];
                }
            }
        }

        return new ImageDataset(
            "synthetic",
            Split(prototypes, trainExamples, DeterministicRandom.For(seed, 1)),
            Split(prototypes, testExamples, DeterministicRandom.For(seed, 2)));
    }

    private static ImageSplit Split(float[] prototypes, int count, DeterministicRandom random)
    {
        var images = new float[count * Pixels];
        var labels = new long[count];
        for (int n = 0; n < count; n++)
        {
            int label = n % ImageSplit.Classes;
            labels[n] = label;
            for (int p = 0; p < Pixels; p++)
            {
                images[(n * Pixels) + p] = prototypes[(label * Pixels) + p] + (float)(NoiseStandardDeviation * random.NextGaussian());
            }
        }

        return new ImageSplit(images, labels);
    }
}
