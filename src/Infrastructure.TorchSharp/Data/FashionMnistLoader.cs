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

        var images = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            images[i] = pixels[i] / 255f;
        }

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
}

/// <summary>The dataset cannot be read; the message says what is wrong and how to get it.</summary>
public sealed class DatasetUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
