using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace DurableTrainer.TestSupport;

/// <summary>
/// Small learnable data files, generated deterministically: tables with a known rule behind the label, and NumPy
/// arrays written byte for byte as numpy.save writes them. The same arguments always give the same bytes.
/// </summary>
public static class DataFiles
{
    /// <summary>
    /// A CSV of <paramref name="rows"/> rows: numeric columns x0..x(n-1), a categorical column "colour" (red, green,
    /// blue), and a "species" label: the class whose centre the row's features lie nearest (the colour shifts them).
    /// </summary>
    public static string ClassificationCsv(int rows, int features = 4, int classes = 3, int seed = 1, char separator = ',')
    {
        var random = new Random(seed);
        string[] colours = ["red", "green", "blue"];
        var text = new StringBuilder();
        text.AppendJoin(separator, Enumerable.Range(0, features).Select(f => $"x{f}").Append("colour").Append("species")).Append('\n');
        for (int row = 0; row < rows; row++)
        {
            int label = random.Next(classes);
            int colour = random.Next(colours.Length);
            double[] values = Enumerable.Range(0, features).Select(f => (f % classes == label ? 3.0 : 0.0) + (colour * 0.5) + Gaussian(random)).ToArray();
            text.AppendJoin(separator, values.Select(Format).Append(colours[colour]).Append($"class-{(char)('a' + label)}")).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// A CSV of short texts to classify: an "id", a "text" of 2 to 14 words and its "topic" (weather, food or sport),
    /// which its topic words give away among shared filler words. Texts are quoted (some hold commas), a few are
    /// empty-ish, and the longest run past a context of 48 characters, so truncation and padding both happen.
    /// </summary>
    public static string TopicCsv(int rows, int seed = 5)
    {
        string[][] topics =
        [
            ["rain", "cloudy", "sunny", "windy", "storm", "snow", "cold", "warm"],
            ["bread", "soup", "cheese", "apple", "dinner", "spicy", "sweet", "baked"],
            ["goal", "match", "team", "score", "coach", "race", "ball", "won"],
        ];
        string[] names = ["weather", "food", "sport"];
        string[] filler = ["the", "a", "today", "was", "very", "and", "we", "it", "so", "then"];
        var random = new Random(seed);
        var text = new StringBuilder("id,text,topic\n");
        for (int row = 0; row < rows; row++)
        {
            int topic = random.Next(topics.Length);
            int words = 2 + random.Next(13);
            var sentence = new List<string>(words);
            for (int w = 0; w < words; w++)
            {
                sentence.Add(random.Next(3) == 0 ? topics[topic][random.Next(topics[topic].Length)] : filler[random.Next(filler.Length)]);
            }

            // Every text holds at least one topic word, early enough to survive truncation.
            sentence[random.Next(Math.Min(words, 3))] = topics[topic][random.Next(topics[topic].Length)];
            string joined = string.Join(random.Next(5) == 0 ? ", " : " ", sentence);
            text.Append(CultureInfo.InvariantCulture, $"r{row},\"{joined}\",{names[topic]}\n");
        }

        return text.ToString();
    }

    /// <summary>A CSV whose "target" is 3·x0 − 2·x1 + 0.5·x2 + 10 plus a little noise.</summary>
    public static string RegressionCsv(int rows, int seed = 2)
    {
        var random = new Random(seed);
        var text = new StringBuilder("x0,x1,x2,target\n");
        for (int row = 0; row < rows; row++)
        {
            double x0 = Gaussian(random), x1 = Gaussian(random), x2 = Gaussian(random);
            double target = (3 * x0) - (2 * x1) + (0.5 * x2) + 10 + (0.1 * Gaussian(random));
            text.Append(CultureInfo.InvariantCulture, $"{Format(x0)},{Format(x1)},{Format(x2)},{Format(target)}\n");
        }

        return text.ToString();
    }

    /// <summary>A CSV with a binary "churned" label (yes/no) that depends on x0 + x1, with overlap.</summary>
    public static string BinaryCsv(int rows, int seed = 3)
    {
        var random = new Random(seed);
        var text = new StringBuilder("x0,x1,churned\n");
        for (int row = 0; row < rows; row++)
        {
            double x0 = Gaussian(random), x1 = Gaussian(random);
            bool yes = x0 + x1 + (0.5 * Gaussian(random)) > 0;
            text.Append(CultureInfo.InvariantCulture, $"{Format(x0)},{Format(x1)},{(yes ? "yes" : "no")}\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// Features [rows, 1, size, size] float32 and labels [rows] int64: the class is which quadrant of the image is bright.
    /// </summary>
    public static (float[] Features, long[] Labels) QuadrantImages(int rows, int size = 8, int seed = 4)
    {
        var random = new Random(seed);
        var features = new float[rows * size * size];
        var labels = new long[rows];
        for (int row = 0; row < rows; row++)
        {
            int quadrant = random.Next(4);
            labels[row] = quadrant;
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    bool bright = (y < size / 2 ? 0 : 2) + (x < size / 2 ? 0 : 1) == quadrant;
                    features[(row * size * size) + (y * size) + x] = (bright ? 1f : 0f) + (float)(0.3 * Gaussian(random));
                }
            }
        }

        return (features, labels);
    }

    /// <summary>An .npy file as numpy.save writes it (format 1.0, C order, little endian).</summary>
    public static byte[] Npy(string dtype, int[] shape, ReadOnlySpan<byte> data)
    {
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string header = $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + ((64 - (total % 64)) % 64)) + "\n";
        using var stream = new MemoryStream();
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(data);
        return stream.ToArray();
    }

    public static byte[] Npy(float[] values, params int[] shape) => Npy("<f4", shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));

    public static byte[] Npy(long[] values, params int[] shape) => Npy("<i8", shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>An .npz archive (numpy.savez) of the named arrays.</summary>
    public static byte[] Npz(params (string Name, byte[] Npy)[] arrays)
    {
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, byte[] npy) in arrays)
            {
                using Stream entry = archive.CreateEntry(name + ".npy", CompressionLevel.Fastest).Open();
                entry.Write(npy);
            }
        }

        return stream.ToArray();
    }

    /// <summary>
    /// The same table as a Parquet file (written with Parquet.Net): <paramref name="textColumns"/> as strings, the
    /// others as doubles; an empty cell of a double column is a null.
    /// </summary>
    public static byte[] Parquet(string csv, params string[] textColumns)
    {
        string[][] rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(',')).ToArray();
        string[] header = rows[0];
        var fields = header.Select(name => textColumns.Contains(name)
            ? (global::Parquet.Schema.DataField)new global::Parquet.Schema.DataField<string>(name)
            : new global::Parquet.Schema.DataField<double?>(name)).ToArray();
        var schema = new global::Parquet.Schema.ParquetSchema(fields);
        using var stream = new MemoryStream();
        Task.Run(async () =>
        {
            await using var writer = await global::Parquet.ParquetWriter.CreateAsync(schema, stream);
            using var group = writer.CreateRowGroup();
            for (int c = 0; c < header.Length; c++)
            {
                string[] cells = rows.Skip(1).Select(row => row[c]).ToArray();
                if (textColumns.Contains(header[c]))
                {
                    await group.WriteAsync(fields[c], cells, null);
                }
                else
                {
                    double?[] values = cells.Select(cell => cell.Length == 0 ? (double?)null : double.Parse(cell, CultureInfo.InvariantCulture)).ToArray();
                    await group.WriteAsync<double>(fields[c], values.AsMemory(), null, null, CancellationToken.None);
                }
            }
        }).GetAwaiter().GetResult();
        return stream.ToArray();
    }

    /// <summary>
    /// A PNG or JPEG (encoded with SkiaSharp) of the quadrant problem: class <paramref name="quadrant"/> (0-3) is the
    /// bright quarter, with noise; grayscale images are encoded as 8-bit gray.
    /// </summary>
    public static byte[] QuadrantImage(int quadrant, int width, int height, bool gray, int seed, SkiaSharp.SKEncodedImageFormat format = SkiaSharp.SKEncodedImageFormat.Png)
    {
        var random = new Random(seed);
        var info = new SkiaSharp.SKImageInfo(width, height, gray ? SkiaSharp.SKColorType.Gray8 : SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque);
        using var bitmap = new SkiaSharp.SKBitmap(info);
        Span<byte> pixels = bitmap.GetPixelSpan();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bool bright = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1) == quadrant;
                byte level = (byte)Math.Clamp((bright ? 200 : 40) + (30 * Gaussian(random)), 0, 255);
                if (gray)
                {
                    pixels[(y * bitmap.RowBytes) + x] = level;
                }
                else
                {
                    int at = (y * bitmap.RowBytes) + (4 * x);
                    (pixels[at], pixels[at + 1], pixels[at + 2], pixels[at + 3]) = (level, (byte)(level / 2), (byte)(255 - level), 255);
                }
            }
        }

        using SkiaSharp.SKData encoded = bitmap.Encode(format, 90);
        return encoded.ToArray();
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static string Format(double value) => value.ToString("0.#####", CultureInfo.InvariantCulture);
}
