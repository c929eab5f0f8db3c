namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// A small 10-class problem shaped like Fashion-MNIST (1x28x28): each class is a random prototype image plus
/// Gaussian noise. Learnable in a few hundred steps, yet not solved by the initial weights, so tests that need real
/// training to happen can run in seconds. The same sizes and seed always give the same data.
/// </summary>
public static class SyntheticDataset
{
    private const int Pixels = ImageSplit.Height * ImageSplit.Width;
    private const double NoiseStandardDeviation = 8.0;

    public static ImageDataset Create(int trainExamples, int testExamples, long seed = 20240531)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trainExamples, ImageSplit.Classes);
        ArgumentOutOfRangeException.ThrowIfLessThan(testExamples, ImageSplit.Classes);
        var random = DeterministicRandom.For(seed);
        var prototypes = new float[ImageSplit.Classes * Pixels];
        for (int i = 0; i < prototypes.Length; i++)
        {
            prototypes[i] = (float)random.NextGaussian();
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
