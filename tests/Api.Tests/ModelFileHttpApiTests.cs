using System.Text.Json;
using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.TestSupport;

namespace DurableTrainer.Api.Tests;

/// <summary>PUT /api/models/{name}: what is stored, and that a refused upload stores nothing.</summary>
public class ModelFileHttpApiTests
{
    private readonly InMemoryModelFileStore _files = new();
    private readonly RefusingCatalog _catalog = new();

    private ModelFileHttpApi Api => new(_files, _catalog);

    [Fact]
    public async Task Upload_OfACheckedFile_StoresItAndAnswersItsSha256()
    {
        ApiResult result = await Api.UploadAsync("net.pt", new byte[] { 1, 2, 3 }, CancellationToken.None);

        Assert.Equal(201, result.StatusCode);
        Assert.Equal("/api/models/net.pt", result.Location);
        using JsonDocument body = JsonDocument.Parse(JsonSerializer.Serialize(result.Body));
        Assert.Equal("net.pt", body.RootElement.GetProperty("name").GetString());
        Assert.Equal("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", body.RootElement.GetProperty("sha256").GetString());
        Assert.Equal(3, body.RootElement.GetProperty("bytes").GetInt64());
        Assert.Equal(["net.pt"], _files.Names);
    }

    [Theory]
    [InlineData("../net.pt")]
    [InlineData(".net.pt")]
    [InlineData("a b.pt")]
    [InlineData("net..pt")]
    [InlineData("")]
    public async Task Upload_UnderANameThatIsNotAPlainFileName_IsRefusedNamingTheRule(string name)
    {
        ApiResult result = await Api.UploadAsync(name, new byte[] { 1 }, CancellationToken.None);

        Assert.Equal(400, result.StatusCode);
        Assert.Contains("\"name\"", JsonSerializer.Serialize(result.Body), StringComparison.Ordinal);
        Assert.Contains("must be a plain file name", JsonSerializer.Serialize(result.Body), StringComparison.Ordinal);
        Assert.Empty(_files.Names);
    }

    [Fact]
    public async Task Upload_OverTheSizeLimit_Is413AndStoresNothing()
    {
        ApiResult result = await Api.UploadAsync("net.pt", new byte[ModelFileLimits.MaxBytes + 1], CancellationToken.None);

        Assert.Equal(413, result.StatusCode);
        Assert.Contains($"must be at most {ModelFileLimits.MaxBytes} bytes", JsonSerializer.Serialize(result.Body), StringComparison.Ordinal);
        Assert.Empty(_files.Names);
        Assert.Equal(0, _catalog.FilesChecked);
    }

    [Fact]
    public async Task Upload_OfAnEmptyBody_IsRefused()
    {
        ApiResult result = await Api.UploadAsync("net.pt", ReadOnlyMemory<byte>.Empty, CancellationToken.None);

        Assert.Equal(400, result.StatusCode);
        Assert.Empty(_files.Names);
    }

    [Fact]
    public async Task Upload_ThatTheCatalogRefuses_IsRefusedWithItsReasonAndStoresNothing()
    {
        _catalog.Refusal = new ValidationError("body", "is not a TorchScript file");

        ApiResult result = await Api.UploadAsync("net.pt", new byte[] { 1, 2, 3 }, CancellationToken.None);

        Assert.Equal(400, result.StatusCode);
        Assert.Contains("is not a TorchScript file", JsonSerializer.Serialize(result.Body), StringComparison.Ordinal);
        Assert.Empty(_files.Names);
    }

    private sealed class RefusingCatalog : IModelCatalog
    {
        public ValidationError? Refusal { get; set; }

        public int FilesChecked { get; private set; }

        public IReadOnlyCollection<string> Architectures => [];

        public Task<ModelCheck> CheckAsync(ModelSection model, DataShape shape, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("An upload checks files only.");

        public IReadOnlyList<ValidationError> CheckFile(ReadOnlyMemory<byte> content, string path)
        {
            FilesChecked++;
            return Refusal is null ? [] : [Refusal];
        }
    }
}
