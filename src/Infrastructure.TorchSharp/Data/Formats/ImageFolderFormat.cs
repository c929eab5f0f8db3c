using DurableTrainer.Domain.Specification;
using SkiaSharp;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

/// <summary>
/// A folder of PNG and JPEG images, one subfolder per class (the class is the image's folder name), decoded with
/// SkiaSharp. Each image becomes [channels, size, size] pixel intensities in [0, 1]: with <c>data.imageSize</c> its
/// shorter side is resized to the size and the centre cropped square; without it every image must already have the
/// same size. <c>data.channels</c> 1 makes every image grayscale (luma) and 3 RGB; without it the images must agree.
/// </summary>
public sealed class ImageFolderFormat : IDataFormat
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg"];

    public string Name => "images";

    public IReadOnlyList<string> Extensions => ImageExtensions;

    public bool ReadsFolders => true;

    public bool ReadsImageOptions => true;

    public DataRead Read(IReadOnlyList<DataFile> files, DataSection data) => Read(files, data, labelsOptional: false);

    /// <summary>Images to predict on may lie in the folder itself: unless every one is in a class folder, they are read without labels.</summary>
    public DataRead ReadForPrediction(IReadOnlyList<DataFile> files, DataSection data) => Read(files, data, labelsOptional: true);

    private static RawExamples Read(IReadOnlyList<DataFile> files, DataSection data, bool labelsOptional)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(data);
        DataFile[] images = files.Where(file => ImageExtensions.Contains(Path.GetExtension(file.Path).ToLowerInvariant())).ToArray();
        if (images.Length == 0)
        {
            throw new DataFormatException($"'{files[0].Path[..(files[0].Path.LastIndexOf('/') + 1)]}' holds no PNG or JPEG images");
        }

        bool labelled = !labelsOptional || images.All(InClassFolder);
        List<(DataFile File, int Width, int Height, bool Gray, byte[] Rgba)> decoded = labelled ? DecodeInClassFolders(images) : images.Select(Decode).ToList();
        int channels = data.Channels ?? (decoded[0].Gray ? 1 : 3);
        if (data.Channels is null && decoded.FirstOrDefault(image => image.Gray != decoded[0].Gray) is { File: not null } other)
        {
            throw DataFormatException.At(other.File.Path, "image", $"is {(other.Gray ? "grayscale" : "colour")} but '{decoded[0].File.Path}' is {(decoded[0].Gray ? "grayscale" : "colour")}; set data.channels to 1 or 3 to convert them all");
        }

        (int width, int height) = data.ImageSize is { } size ? (size, size) : (decoded[0].Width, decoded[0].Height);
        if (data.ImageSize is null && decoded.FirstOrDefault(image => (image.Width, image.Height) != (width, height)) is { File: not null } odd)
        {
            throw DataFormatException.At(odd.File.Path, "image", $"is {odd.Width}x{odd.Height} but '{decoded[0].File.Path}' is {width}x{height}; set data.imageSize to resize and crop them all to one size");
        }

        (float[] features, string[] labels) = ToFeatures(decoded, data, channels, width, height);
        string[] paths = decoded.Select(image => image.File.Path).ToArray();
        return new RawExamples(images[0].Path, features, [channels, height, width], labelled ? RawLabels.Of(labels) : RawLabels.None, index => $"'{paths[index]}'");
    }

    /// <summary>Decodes each image in turn, first checking that it sits in a class folder.</summary>
    private static List<(DataFile File, int Width, int Height, bool Gray, byte[] Rgba)> DecodeInClassFolders(DataFile[] images)
    {
        var decoded = new List<(DataFile File, int Width, int Height, bool Gray, byte[] Rgba)>(images.Length);
        foreach (DataFile image in images)
        {
            if (!InClassFolder(image))
            {
                throw DataFormatException.At(image.Path, "path", $"is not inside a class folder of '{image.Root}'; put each class's images in a folder named after the class");
            }

            decoded.Add(Decode(image));
        }

        return decoded;
    }

    private static bool InClassFolder(DataFile image) => image.RelativePath.Contains('/', StringComparison.Ordinal);

    /// <summary>Each image's pixel intensities as [channels, height, width] (resized and cropped when data.imageSize is set), and its class.</summary>
    private static (float[] Features, string[] Labels) ToFeatures(List<(DataFile File, int Width, int Height, bool Gray, byte[] Rgba)> decoded, DataSection data, int channels, int width, int height)
    {
        int pixels = width * height;
        var features = new float[decoded.Count * channels * pixels];
        var labels = new string[decoded.Count];
        for (int n = 0; n < decoded.Count; n++)
        {
            var image = decoded[n];
            // The class is the first folder below the dataset's folder, as torchvision's ImageFolder has it.
            string relative = image.File.RelativePath;
            labels[n] = InClassFolder(image.File) ? relative[..relative.IndexOf('/', StringComparison.Ordinal)] : string.Empty;
            byte[] rgba = data.ImageSize is null ? image.Rgba : ResizeAndCrop(image.Rgba, image.Width, image.Height, width);
            int offset = n * channels * pixels;
            for (int p = 0; p < pixels; p++)
            {
                float r = rgba[(4 * p) + 0] / 255f, g = rgba[(4 * p) + 1] / 255f, b = rgba[(4 * p) + 2] / 255f;
                if (channels == 1)
                {
                    features[offset + p] = (0.299f * r) + (0.587f * g) + (0.114f * b);
                }
                else
                {
                    features[offset + p] = r;
                    features[offset + pixels + p] = g;
                    features[offset + (2 * pixels) + p] = b;
                }
            }
        }

        return (features, labels);
    }

    private static (DataFile File, int Width, int Height, bool Gray, byte[] Rgba) Decode(DataFile image)
    {
        using var data = SKData.CreateCopy(image.Content);
        using SKCodec? codec = SKCodec.Create(data);
        if (codec is null)
        {
            throw DataFormatException.At(image.Path, "image", "is not a readable PNG or JPEG image");
        }

        SKImageInfo info = codec.Info;
        if (info.Width < 1 || info.Height < 1 || (long)info.Width * info.Height > 64L * 1024 * 1024)
        {
            throw DataFormatException.At(image.Path, "image", $"is {info.Width}x{info.Height}; images must be between 1x1 and 64 megapixels");
        }

        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[target.BytesSize];
        SKCodecResult result = codec.GetPixels(target, rgba);
        if (result != SKCodecResult.Success)
        {
            throw DataFormatException.At(image.Path, "image", $"could not be decoded whole ({result}); the file is damaged or truncated");
        }

        return (image, info.Width, info.Height, info.ColorType == SKColorType.Gray8, rgba);
    }

    /// <summary>Resizes the shorter side to <paramref name="size"/> (bilinear) and crops the centre square, as torchvision's Resize and CenterCrop do.</summary>
    private static byte[] ResizeAndCrop(byte[] rgba, int width, int height, int size)
    {
        double scale = (double)size / Math.Min(width, height);
        int scaledWidth = Math.Max(size, (int)Math.Round(width * scale));
        int scaledHeight = Math.Max(size, (int)Math.Round(height * scale));
        using var source = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        rgba.AsSpan().CopyTo(source.GetPixelSpan());
        using SKBitmap scaled = source.Resize(new SKImageInfo(scaledWidth, scaledHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
        int left = (scaledWidth - size) / 2;
        int top = (scaledHeight - size) / 2;
        var cropped = new byte[size * size * 4];
        ReadOnlySpan<byte> all = scaled.GetPixelSpan();
        int rowBytes = scaled.RowBytes;
        for (int y = 0; y < size; y++)
        {
            all.Slice(((top + y) * rowBytes) + (left * 4), size * 4).CopyTo(cropped.AsSpan(y * size * 4));
        }

        return cropped;
    }
}
