namespace DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

/// <summary>The data formats a run can name, found by name or by a file's extension.</summary>
public sealed class DataFormats(IEnumerable<IDataFormat> formats)
{
    private readonly IReadOnlyList<IDataFormat> _formats = formats.ToArray();

    /// <summary>Every format this build reads. A new format is one line here.</summary>
    public static DataFormats BuiltIn { get; } = new(
    [
        new SeparatedValuesFormat("csv", ',', ".csv"),
        new SeparatedValuesFormat("tsv", '\t', ".tsv", ".tab"),
        new ParquetFormat(),
        new ImageFolderFormat(),
        new NumPyFormat("npy", ".npy"),
        new NumPyFormat("npz", ".npz"),
    ]);

    public string Names => string.Join(", ", _formats.Select(format => format.Name));

    public IDataFormat? Find(string name) => _formats.FirstOrDefault(format => format.Name == name);

    /// <summary>The format of a file by its extension, or null.</summary>
    public IDataFormat? ForPath(string path)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        return _formats.FirstOrDefault(format => format.Extensions.Contains(extension));
    }
}
