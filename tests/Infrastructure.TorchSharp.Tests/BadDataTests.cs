using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.TestSupport;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// Data that cannot be trained on is refused at submission with an error under data.* that names the file and the
/// row, column or array, and says the rule; nothing is cached for it, so fixing the file and submitting again works.
/// </summary>
public sealed class BadDataTests : IDisposable
{
    private readonly ExecutorHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    public static TheoryData<string, string, string, string[]> Cases => new()
    {
        { "ragged row", "a,b,label\n1,2,x\n3,4\n5,6,y\n", "data.source", ["'bad.csv' line 3", "2 values", "3 columns"] },
        { "non-numeric value", "a,b,label\n1,2,x\n3,oops,y\n5,6,x\n", "data.source", ["'bad.csv' line 3", "column 'b'", "'oops' is not a number", "data.categorical"] },
        { "missing label column", "a,b,kind\n1,2,x\n3,4,y\n", "data.source", ["'bad.csv'", "no label column 'label'", "a, b, kind"] },
        { "empty file", "", "data.source", ["'bad.csv'", "empty"] },
        { "header only", "a,b,label\n", "data.source", ["'bad.csv'", "no rows"] },
        { "single class", "a,b,label\n1,2,x\n3,4,x\n5,6,x\n7,8,x\n9,1,x\n", "data.source", ["'bad.csv'", "single class ('x')"] },
        { "NaN value", "a,b,label\n1,2,x\n3,NaN,y\n5,6,x\n7,8,y\n9,1,x\n", "data.source", ["'bad.csv' line 3", "feature 1", "not finite"] },
        { "infinite value", "a,b,label\n1,2,x\n3,4,y\n5,Infinity,x\n7,8,y\n9,1,x\n", "data.source", ["'bad.csv' line 4", "not finite"] },
        { "duplicate column", "a,a,label\n1,2,x\n", "data.source", ["'bad.csv' line 1", "'a' found 2 times"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadCsv_IsRefusedNamingTheFileTheRowAndTheRule(string what, string content, string field, string[] fragments)
    {
        _harness.DataFiles.Put("bad.csv", content);

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "bad.csv", Label: "label"));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal(field, error.Field);
        Assert.All(fragments, fragment => Assert.Contains(fragment, error.Rule, StringComparison.Ordinal));
        Assert.Null(check.Shape);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public async Task AShardOverTheSizeLimit_IsRefusedByName_BeforeAnyShardIsRead()
    {
        _harness.DataFiles.Put("shards/a.csv", DataFiles.ClassificationCsv(30));
        _harness.DataFiles.PutListedAs("shards/b.csv", DatasetLimits.MaxShardBytes + 1, DataFiles.ClassificationCsv(30, seed: 2));

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "shards/", Label: "species", Categorical: ["colour"], Sharded: true));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("data.source", error.Field);
        Assert.Contains("the shard 'shards/b.csv' is larger than 512 MiB", error.Rule, StringComparison.Ordinal);
        Assert.Equal(0, _harness.DataFiles.Reads);
    }

    [Fact]
    public async Task BinaryTask_WithThreeClasses_SaysItNeedsExactlyTwo()
    {
        _harness.DataFiles.Put("three.csv", DataFiles.ClassificationCsv(60));

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "three.csv", Label: "species", Categorical: ["colour"], Task: LearningTask.Binary));

        Assert.Contains("needs exactly two", Assert.Single(check.Errors).Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Regression_OnTextLabels_NamesTheRowAndColumn()
    {
        _harness.DataFiles.Put("text.csv", "a,label\n1,2.5\n2,high\n");

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "text.csv", Label: "label", Task: LearningTask.Regression));

        string rule = Assert.Single(check.Errors).Rule;
        Assert.Contains("'text.csv' line 3, column 'label': 'high' is not a number", rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestFile_WithAClassTrainingNeverSaw_IsRefusedUnderDataTest()
    {
        _harness.DataFiles.Put("tr.csv", "a,label\n1,x\n2,y\n3,x\n4,y\n5,x\n6,y\n7,x\n8,y\n9,x\n10,y\n");
        _harness.DataFiles.Put("te.csv", "a,label\n1,x\n2,z\n");

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "tr.csv", Test: "te.csv", Label: "label"));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("data.test", error.Field);
        Assert.Contains("'te.csv' line 3: the label 'z' is not among the training data's classes (x, y)", error.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<U8", "the dtype '<U8' is not supported")]
    [InlineData(">f4", "the dtype '>f4' is not supported")]
    [InlineData("|O", "the dtype '|O' is not supported")]
    public async Task Npy_OfAnUnsupportedDtype_NamesTheDtype(string dtype, string fragment)
    {
        _harness.DataFiles.Put("x.npy", DataFiles.Npy(dtype, [4, 2], new byte[64]));
        _harness.DataFiles.Put("y.npy", DataFiles.Npy(new long[] { 0, 1, 0, 1 }, 4));

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "x.npy", Label: "y.npy"));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Contains("'x.npy'", error.Rule, StringComparison.Ordinal);
        Assert.Contains(fragment, error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Npy_Truncated_OrNotNumPy_SaysSo()
    {
        byte[] whole = DataFiles.Npy(new float[40], 10, 4);
        _harness.DataFiles.Put("cut.npy", whole[..^20]);
        _harness.DataFiles.Put("text.npy", "hello"u8.ToArray());
        _harness.DataFiles.Put("labels.npy", DataFiles.Npy(new long[10], 10));

        DatasetCheck cut = await _harness.Datasets.CheckAsync(new DataSection(Source: "cut.npy", Label: "labels.npy"));
        DatasetCheck text = await _harness.Datasets.CheckAsync(new DataSection(Source: "text.npy", Label: "labels.npy"));

        Assert.Contains("truncated", Assert.Single(cut.Errors).Rule, StringComparison.Ordinal);
        Assert.Contains("not a NumPy .npy file", Assert.Single(text.Errors).Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PAR1 this is not parquet at all")]
    [InlineData("a,b\n1,2\n")]
    public async Task NotParquet_SaysItIsNotAReadableParquetFile(string content)
    {
        _harness.DataFiles.Put("x.parquet", content);

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "x.parquet", Label: "label"));

        Assert.Contains("'x.parquet' header: not a readable Parquet file", Assert.Single(check.Errors).Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImageOptions_OnATable_AreRefusedNotIgnored()
    {
        _harness.DataFiles.Put("t.csv", DataFiles.RegressionCsv(50));

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "t.csv", Label: "target", Task: LearningTask.Regression, ImageSize: 32));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("data.imageSize", error.Field);
        Assert.Contains("applies to image folders only; this data is csv", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingSource_NamesThePathAndTheContainer()
    {
        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "nowhere/train.csv", Label: "label"));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("data.source", error.Field);
        Assert.Contains("no file 'nowhere/train.csv' in memory://datasets", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownExtension_AsksForTheFormat()
    {
        _harness.DataFiles.Put("data.bin", "1,2,3");

        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "data.bin", Label: "label"));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Contains("data.format", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadFile_FixedAndCheckedAgain_IsAccepted()
    {
        _harness.DataFiles.Put("fix.csv", "a,label\n1,x\n2\n");
        Assert.NotEmpty((await _harness.Datasets.CheckAsync(new DataSection(Source: "fix.csv", Label: "label"))).Errors);

        _harness.DataFiles.Put("fix.csv", "a,label\n1,x\n2,y\n3,x\n4,y\n5,x\n6,y\n7,x\n8,y\n9,x\n10,y\n");
        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(Source: "fix.csv", Label: "label"));

        Assert.Empty(check.Errors);
    }

    [Fact]
    public async Task BuiltInDataset_WithAnotherTask_IsRefusedUnderDataTask()
    {
        DatasetCheck check = await _harness.Datasets.CheckAsync(new DataSection(DatasetKind.Synthetic, Task: LearningTask.Regression));

        Assert.Equal("data.task", Assert.Single(check.Errors).Field);
    }
}
