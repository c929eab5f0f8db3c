using System.Buffers;
using System.Text;
using System.Text.Unicode;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

/// <summary>
/// UTF-8 text (<c>.txt</c>): one file, or a folder's files joined in name order, for a language model to read as
/// one stream. Bytes that are not UTF-8 are refused, naming the file and the byte offset; a leading byte-order mark
/// is dropped.
/// </summary>
public sealed class TextFormat : IDataFormat
{
    public string Name => "text";

    public IReadOnlyList<string> Extensions { get; } = [".txt"];

    public DataRead Read(IReadOnlyList<DataFile> files, DataSection data)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(data);
        if (!data.IsTokenStream())
        {
            throw new DataFormatException($"'{files[0].Path}' is text, which a language model reads; give data.task language-model, or tabular data (CSV, TSV, Parquet) for {SpecificationNames.Of(data.ResolvedTask())}");
        }

        var text = new StringBuilder();
        var parts = new List<TextPart>(files.Count);
        foreach (DataFile file in files)
        {
            string decoded = Decode(file);
            parts.Add(new TextPart(file.Path, text.Length, decoded.Length));
            text.Append(decoded);
        }

        return new DataRead(null, null, new TextRead(text.ToString(), parts));
    }

    /// <summary>The file's text; a <see cref="DataFormatException"/> at the first byte that is not UTF-8.</summary>
    public static string Decode(DataFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        ReadOnlySpan<byte> bytes = file.Content;
        int start = bytes.StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        char[] buffer = ArrayPool<char>.Shared.Rent(Math.Max(1, bytes.Length - start));
        try
        {
            OperationStatus status = Utf8.ToUtf16(bytes[start..], buffer, out int read, out int written, replaceInvalidSequences: false);
            return status == OperationStatus.Done
                ? new string(buffer, 0, written)
                : throw DataFormatException.At(file.Path, $"at byte offset {start + read}", $"the byte 0x{bytes[start + read]:X2} is not UTF-8; save the text as UTF-8");
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }
}

/// <summary>A text as read: all of it, and where each file's part starts in it (for messages).</summary>
public sealed record TextRead(string Text, IReadOnlyList<TextPart> Parts)
{
    /// <summary>The file the character at <paramref name="offset"/> came from.</summary>
    public string FileAt(int offset) => Parts.LastOrDefault(part => part.Start <= offset)?.Path ?? Parts[0].Path;
}

/// <summary>One file's share of a <see cref="TextRead"/>: characters [<see cref="Start"/>, Start + <see cref="Length"/>).</summary>
public sealed record TextPart(string Path, int Start, int Length);
