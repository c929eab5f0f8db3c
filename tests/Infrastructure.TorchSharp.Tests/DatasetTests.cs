using System.Buffers.Binary;
using System.IO.Compression;
using DurableTrainer.Infrastructure.TorchSharp.Data;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

public sealed class DatasetTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("idx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void FashionMnist_FromTheInstalledPackage_HasTheKnownShapeAndBalancedLabels()
    {
        // The test command installs dataset-fashion-mnist; this reads the real files.
        (RawExamples train, RawExamples test) = FashionMnistLoader.Load(FashionMnistLoader.DefaultDirectory);

        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(new[] { 1, 28, 28 }, train.Shape);
        Assert.Equal(60_000 * 784, train.Features.Length);
        Assert.All(test.Labels.Values!.GroupBy(label => label), group => Assert.Equal(1000, group.Count()));
    }

    [Fact]
    public void Assemble_DataSpanningSeveralStatisticsSlices_StandardizesWithTheTrainingRowsExactStatistics()
    {
        // 2,000 examples of 1,200 features: 2.4 M values, more than two of the 1 M-value slices the statistics
        // are computed in. Feature f is offset by f and scaled by 1 + f % 7, so every column has its own statistics.
        const int Examples = 2_000;
        const int Features = 1_200;
        var random = new Random(7);
        var values = new float[Examples * Features];
        for (int i = 0; i < values.Length; i++)
        {
            int feature = i % Features;
            values[i] = (float)(feature + ((1 + (feature % 7)) * ((random.NextDouble() * 2) - 1)));
        }

        var labels = Enumerable.Range(0, Examples).Select(i => (double)(i % 3)).ToArray();
        var raw = new RawExamples("wide.npy", values, [Features], RawLabels.Of(labels), index => $"row {index}");
        var data = new DurableTrainer.Domain.Specification.DataSection(Source: "wide.npy");

        using LoadedDataset dataset = DatasetAssembler.Assemble("wide", "digest", data, raw, test: null, validation: null);

        var train = (DataSplit)dataset.Train;
        Assert.True(train.Count < Examples);
        float[] standardized = train.Features.data<float>().ToArray();
        foreach (int feature in new[] { 0, 1, 599, 1_199 })
        {
            // Training rows' raw values are the standardized ones mapped back; their mean and spread, in double,
            // must be what the dataset recorded.
            double[] column = Enumerable.Range(0, train.Count)
                .Select(row => (standardized[(row * Features) + feature] * (double)dataset.Preprocessing.FeatureStd[feature]) + dataset.Preprocessing.FeatureMean[feature])
                .ToArray();
            double mean = column.Average();
            double spread = Math.Sqrt(column.Select(v => (v - mean) * (v - mean)).Average());
            Assert.Equal(mean, dataset.Preprocessing.FeatureMean[feature], 1e-3);
            Assert.Equal(spread, dataset.Preprocessing.FeatureStd[feature], 1e-3);
            double standardizedMean = Enumerable.Range(0, train.Count).Average(row => (double)standardized[(row * Features) + feature]);
            Assert.Equal(0, standardizedMean, 1e-4);
        }
    }

    [Fact]
    public void Assemble_HoldingOutTestAndValidationRows_KeepsEveryOtherRowForTrainingInItsOrder()
    {
        // Example r is the constant r in each of its 4,096 features, so every split says which rows it holds; 1,000
        // examples span four of the slices the training rows are moved in.
        const int Examples = 1_000;
        const int Features = 4_096;
        var values = new float[Examples * Features];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i / Features;
        }

        var raw = new RawExamples("rows.npy", values, [Features], RawLabels.Of(Enumerable.Range(0, Examples).Select(i => (double)(i % 2)).ToArray()), index => $"row {index}");
        var data = new DurableTrainer.Domain.Specification.DataSection(Source: "rows.npy", TestFraction: 0.15, ValidationFraction: 0.1);

        using LoadedDataset dataset = DatasetAssembler.Assemble("rows", "digest", data, raw, test: null, validation: null);

        int[] RowsOf(IExampleSplit split)
        {
            var features = ((DataSplit)split).Features;
            Assert.Equal(new long[] { split.Count, Features }, features.shape);
            float[] standardized = features.data<float>().ToArray();
            var rows = new int[split.Count];
            for (int row = 0; row < rows.Length; row++)
            {
                double raw = (standardized[(row * Features) + Features - 1] * (double)dataset.Preprocessing.FeatureStd[Features - 1]) + dataset.Preprocessing.FeatureMean[Features - 1];
                rows[row] = (int)Math.Round(raw);
                Assert.Equal(standardized[row * Features], standardized[(row * Features) + Features - 1]);
            }

            return rows;
        }

        int[] train = RowsOf(dataset.Train), validation = RowsOf(dataset.Validation), test = RowsOf(dataset.Test);
        Assert.Equal((850 - 85, 85, 150), (train.Length, validation.Length, test.Length));
        Assert.Equal(train.Order(), train);
        Assert.Equal(Enumerable.Range(0, Examples), train.Concat(validation).Concat(test).Order());
    }

    [Fact]
    public void Load_PixelValues_AreEachByteOver255()
    {
        // 21 images: 16,464 pixels, not a whole number of the 32 converted at a time, so the last ones go one by one.
        WriteDataset(gzip: false, images: 21, testImages: 3);
        byte[] pixels = ImageFile(21)[16..];

        (RawExamples train, _) = FashionMnistLoader.Load(_folder);

        Assert.Equal(pixels.Select(pixel => pixel / 255f), train.Features);
    }

    [Theory]
    [InlineData(-100)]
    [InlineData(100)]
    public void Load_GzippedImageFileOfTheWrongLength_ReportsTheFileAndBothSizes(int extraBytes)
    {
        WriteDataset(gzip: true, images: 20, testImages: 10);
        byte[] content = ImageFile(20);
        WriteIdx("train-images-idx3-ubyte", gzip: true, extraBytes < 0 ? content[..^-extraBytes] : [.. content, .. new byte[extraBytes]]);

        var error = Assert.Throws<DatasetUnavailableException>(() => FashionMnistLoader.Load(_folder));

        Assert.Contains("train-images-idx3-ubyte.gz", error.Message, StringComparison.Ordinal);
        Assert.Contains($"({content.Length} bytes) but has {content.Length + extraBytes} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FromAFolderWithoutTheFiles_SaysHowToGetTheData()
    {
        var error = Assert.Throws<DatasetUnavailableException>(() => FashionMnistLoader.Load(_folder));

        Assert.Contains("apt-get install dataset-fashion-mnist", error.Message, StringComparison.Ordinal);
        Assert.Contains("train-images-idx3-ubyte", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PlainAndGzippedFiles_GiveTheSameData()
    {
        WriteDataset(gzip: false, images: 20, testImages: 10);
        (RawExamples plainTrain, RawExamples plainTest) = FashionMnistLoader.Load(_folder);
        foreach (string file in Directory.GetFiles(_folder))
        {
            File.Delete(file);
        }

        WriteDataset(gzip: true, images: 20, testImages: 10);
        (RawExamples gzippedTrain, RawExamples gzippedTest) = FashionMnistLoader.Load(_folder);

        Assert.Equal(plainTrain.Features, gzippedTrain.Features);
        Assert.Equal(plainTest.Labels.Values, gzippedTest.Labels.Values);
    }

    [Fact]
    public void Load_TruncatedImageFile_ReportsTheFileAndTheSizes()
    {
        WriteDataset(gzip: false, images: 20, testImages: 10);
        string images = Path.Combine(_folder, "train-images-idx3-ubyte");
        byte[] content = File.ReadAllBytes(images);
        File.WriteAllBytes(images, content[..^100]);

        var error = Assert.Throws<DatasetUnavailableException>(() => FashionMnistLoader.Load(_folder));

        Assert.Contains("train-images-idx3-ubyte", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongMagic_SaysItIsNotAnIdxFile()
    {
        WriteDataset(gzip: false, images: 20, testImages: 10);
        string labels = Path.Combine(_folder, "t10k-labels-idx1-ubyte");
        byte[] content = File.ReadAllBytes(labels);
        content[3] = 0x03;
        File.WriteAllBytes(labels, content);

        var error = Assert.Throws<DatasetUnavailableException>(() => FashionMnistLoader.Load(_folder));

        Assert.Contains("magic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Synthetic_IsDeterministicAndBalanced()
    {
        (RawExamples first, _) = SyntheticDataset.Create(200, 50);
        (RawExamples second, _) = SyntheticDataset.Create(200, 50);

        Assert.Equal(first.Features, second.Features);
        Assert.All(first.Labels.Values!.GroupBy(label => label), group => Assert.Equal(20, group.Count()));
    }

    [Fact]
    public void ReplicaBatchOrder_CoverEachReplicasShareExactlyOncePerEpoch()
    {
        var all = new List<long>();
        for (int replica = 0; replica < 3; replica++)
        {
            var batches = new ReplicaBatchOrder(100, replica, 3, 8, seed: 1);
            var seen = Enumerable.Range(0, batches.BatchesPerEpoch).SelectMany(step => batches.IndicesFor(step)).ToArray();
            Assert.All(seen, index => Assert.Equal(replica, index % 3));
            Assert.Equal(seen.Length, seen.Distinct().Count());
            all.AddRange(seen);
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), all.Order());
    }

    [Fact]
    public void ReplicaBatchOrder_ResumedAtAStep_GiveTheSameBatchesAsAFreshCursor()
    {
        var continuous = new ReplicaBatchOrder(100, 0, 1, 16, seed: 5);
        var resumed = new ReplicaBatchOrder(100, 0, 1, 16, seed: 5);
        long[][] expected = Enumerable.Range(0, 20).Select(step => continuous.IndicesFor(step)).ToArray();

        Assert.Equal(expected[13], resumed.IndicesFor(13));
        Assert.NotEqual(expected[0], expected[7]);
    }

    private void WriteDataset(bool gzip, int images, int testImages)
    {
        WriteIdx("train-images-idx3-ubyte", gzip, ImageFile(images));
        WriteIdx("train-labels-idx1-ubyte", gzip, LabelFile(images));
        WriteIdx("t10k-images-idx3-ubyte", gzip, ImageFile(testImages));
        WriteIdx("t10k-labels-idx1-ubyte", gzip, LabelFile(testImages));
    }

    private void WriteIdx(string name, bool gzip, byte[] content)
    {
        string path = Path.Combine(_folder, gzip ? name + ".gz" : name);
        using FileStream file = File.Create(path);
        using Stream target = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        target.Write(content);
    }

    private static byte[] ImageFile(int count)
    {
        byte[] data = new byte[16 + (count * 784)];
        BinaryPrimitives.WriteInt32BigEndian(data, IdxReader.ImageMagic);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(12), 28);
        for (int i = 16; i < data.Length; i++)
        {
            data[i] = (byte)(i * 31 % 256);
        }

        return data;
    }

    private static byte[] LabelFile(int count)
    {
        byte[] data = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(data, IdxReader.LabelMagic);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), count);
        for (int i = 0; i < count; i++)
        {
            data[8 + i] = (byte)(i % 10);
        }

        return data;
    }
}
