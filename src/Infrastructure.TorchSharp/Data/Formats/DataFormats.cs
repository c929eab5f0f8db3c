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
        new TextFormat(),
    ]);

    public string Names => string.Join(", ", _formats.Select(format => format.Name));

    /// <summary>The formats whose files can each be a shard of a dataset (not those that read a folder whole), as "a, b or c".</summary>
    public string ShardableNames
    {
        get
        {
            string[] names = [.. _formats.Where(format => !format.ReadsFolders).Select(format => format.Name)];
            return names.Length < 2 ? string.Concat(names) : string.Join(", ", names[..^1]) + " or " + names[^1];
        }
    }

    public IDataFormat? Find(string name) => _formats.FirstOrDefault(format => format.Name == name);

    /// <summary>The format of a file by its extension, or null.</summary>
    public IDataFormat? ForPath(string path)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        return _formats.FirstOrDefault(format => format.Extensions.Contains(extension));
    }
}
