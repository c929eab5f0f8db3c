using System.Runtime.Intrinsics;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>Loads Fashion-MNIST from the four IDX files (gzipped or not) in one folder.</summary>
public static class FashionMnistLoader
{
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    public const int Height = 28;
    public const int Width = 28;
    public const int Classes = 10;

    private static readonly string[] FileStems =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>The training and test images, as pixel intensities in [0, 1] with their class numbers.</summary>
    public static (RawExamples Train, RawExamples Test) Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string[] paths = FileStems.Select(stem => Locate(directory, stem)).ToArray();
        try
        {
            return (ReadSplit(paths[0], paths[1]), ReadSplit(paths[2], paths[3]));
        }
        catch (InvalidDataException exception)
        {
            throw new DatasetUnavailableException(
                $"The Fashion-MNIST data in '{directory}' is malformed: {exception.Message} " +
                "Reinstall it (as root: apt-get install --reinstall dataset-fashion-mnist) or point Training:DataDirectory at good IDX files.",
                exception);
        }
    }

    private static string Locate(string directory, string stem)
    {
        foreach (string candidate in new[] { stem + ".gz", stem })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new DatasetUnavailableException(
            $"Fashion-MNIST file '{stem}(.gz)' was not found in '{directory}'. Install it with " +
            "'apt-get install dataset-fashion-mnist' (Debian/Ubuntu, as root), or put the four IDX files from the " +
            "Fashion-MNIST project in a folder and set Training:DataDirectory to it.");
    }

    private static RawExamples ReadSplit(string imagesPath, string labelsPath)
    {
        var (pixels, count, rows, columns) = IdxReader.ReadImages(imagesPath);
        byte[] labels = IdxReader.ReadLabels(labelsPath);
        if (rows != Height || columns != Width)
        {
            throw new InvalidDataException($"'{imagesPath}' holds {rows}x{columns} images; 28x28 are expected.");
        }

        if (labels.Length != count)
        {
            throw new InvalidDataException($"'{imagesPath}' has {count} images but '{labelsPath}' has {labels.Length} labels.");
        }

        float[] images = GC.AllocateUninitializedArray<float>(pixels.Length);
        ScaleToUnitInterval(pixels, images);

        var targets = new double[count];
        for (int i = 0; i < count; i++)
        {
            if (labels[i] >= Classes)
            {
                throw new InvalidDataException($"'{labelsPath}' has label {labels[i]} at index {i}; labels must be 0-9.");
            }

            targets[i] = labels[i];
        }

        string name = Path.GetFileName(imagesPath);
        return new RawExamples(name, images, [1, Height, Width], RawLabels.Of(targets), index => $"image {index}");
    }

    // 32 pixels at a time, widened to float and divided by 255: the same correctly rounded division as one pixel at
    // a time, so every value is bitwise pixels[i] / 255f, in a fraction of the time (47 million pixels).
    private static void ScaleToUnitInterval(ReadOnlySpan<byte> pixels, Span<float> into)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> divisor = Vector256.Create(255f);
            for (; i <= pixels.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                (Vector256<ushort> low, Vector256<ushort> high) = Vector256.Widen(Vector256.Create(pixels.Slice(i, Vector256<byte>.Count)));
                (Vector256<uint> first, Vector256<uint> second) = Vector256.Widen(low);
                (Vector256<uint> third, Vector256<uint> fourth) = Vector256.Widen(high);
                (Vector256.ConvertToSingle(first.AsInt32()) / divisor).CopyTo(into[i..]);
                (Vector256.ConvertToSingle(second.AsInt32()) / divisor).CopyTo(into[(i + 8)..]);
                (Vector256.ConvertToSingle(third.AsInt32()) / divisor).CopyTo(into[(i + 16)..]);
                (Vector256.ConvertToSingle(fourth.AsInt32()) / divisor).CopyTo(into[(i + 24)..]);
            }
        }

        for (; i < pixels.Length; i++)
        {
            into[i] = pixels[i] / 255f;
        }
    }
}

/// <summary>The dataset cannot be read; the message says what is wrong and how to get it.</summary>
public sealed class DatasetUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
