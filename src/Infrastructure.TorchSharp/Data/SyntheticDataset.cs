namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// A small 10-class problem shaped like Fashion-MNIST (1x28x28): each class is a random prototype image (a 7x7 grid
/// of random levels blown up to 4x4-pixel blocks, so it has spatial structure a CNN can use) plus Gaussian noise. Learnable in a few hundred steps, yet not solved by the initial weights, so tests that need real
/// training to happen can run in seconds. The same sizes and seed always give the same data.
/// </summary>
public static class SyntheticDataset
{
    public const int Height = 28;
    public const int Width = 28;
    public const int Classes = 10;
    private const int Pixels = Height * Width;
    private const double NoiseStandardDeviation = 4.5;

    public static (RawExamples Train, RawExamples Test) Create(int trainExamples, int testExamples, long seed = 20240531)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trainExamples, Classes);
        ArgumentOutOfRangeException.ThrowIfLessThan(testExamples, Classes);
        var random = DeterministicRandom.For(seed);
        const int Block = 4;
        const int Grid = Width / Block;
        var prototypes = new float[Classes * Pixels];
        for (int label = 0; label < Classes; label++)
        {
            var levels = new float[Grid * Grid];
            for (int i = 0; i < levels.Length; i++)
            {
                levels[i] = (float)random.NextGaussian();
            }

            for (int y = 0; y < Height; y++)
            {
                for (int x = 0; x < Width; x++)
                {
                    prototypes[(label * Pixels) + (y * Width) + x] = levels[((y / Block) * Grid) + (x / Block)];
                }
            }
        }

        return (Split("synthetic-train", prototypes, trainExamples, DeterministicRandom.For(seed, 1)),
            Split("synthetic-test", prototypes, testExamples, DeterministicRandom.For(seed, 2)));
    }

    private static RawExamples Split(string name, float[] prototypes, int count, DeterministicRandom random)
    {
        var images = new float[count * Pixels];
        var labels = new double[count];
        for (int n = 0; n < count; n++)
        {
            int label = n % Classes;
            labels[n] = label;
            for (int p = 0; p < Pixels; p++)
            {
                images[(n * Pixels) + p] = prototypes[(label * Pixels) + p] + (float)(NoiseStandardDeviation * random.NextGaussian());
            }
        }

        return new RawExamples(name, images, [1, Height, Width], RawLabels.Of(labels), index => $"image {index}");
    }
}
