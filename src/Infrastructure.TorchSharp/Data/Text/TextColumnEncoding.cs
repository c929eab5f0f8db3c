using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

namespace DurableTrainer.Infrastructure.TorchSharp.Data.Text;

/// <summary>
/// A table of texts to classify (<c>data.text</c>) as examples: each row's text, tokenized by <c>data.tokenizer</c>
/// (char by default), becomes <c>data.contextLength</c> token ids, the longer texts truncated, the shorter ones padded
/// with <see cref="PaddingId"/>, an id of its own after the tokenizer's (so the model's vocabulary is one larger).
/// <list type="bullet">
/// <item>A vocabulary the tokenizer builds (char) comes from the training rows alone: the rows the seeded test and
/// validation fractions hold out are the same ones the dataset then holds out, so their unknown characters count as
/// unknown, as they would in new texts.</item>
/// <item>Ids are carried as float32 (exact up to 2^24) like every table's features, but never standardized.</item>
/// <item>Columns other than the text, the label and the id play no part.</item>
/// </list>
/// </summary>
public sealed class TextColumnEncoding : IRowEncoding
{
    private readonly string _text;
    private readonly string _label;

    private TextColumnEncoding(string text, string label, ITextTokenizer tokenizer, int context)
    {
        _text = text;
        _label = label;
        Tokenizer = tokenizer;
        ContextLength = context;
    }

    public ITextTokenizer Tokenizer { get; }

    public int ContextLength { get; }

    /// <summary>The id padding fills a short text with: the first after the tokenizer's own.</summary>
    public int PaddingId => Tokenizer.VocabularySize;

    /// <summary>The ids a model reads: the tokenizer's and the padding id.</summary>
    public int Vocabulary => Tokenizer.VocabularySize + 1;

    public IReadOnlyList<string> FeatureColumns => [_text];

    public IReadOnlyList<string>? FeatureNames => null;

    public static TextColumnEncoding From(DataTable train, DataSection data)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(data);
        string text = data.Text ?? throw new ArgumentException("The data section names no text column.", nameof(data));
        string columns = string.Join(", ", train.Columns.Select(column => column.Name));
        if (data.Label is null)
        {
            throw new DataFormatException($"must name the label column of '{train.File}' (the class of each text); its columns are {columns}", "data.label");
        }

        TableEncoding.RequireColumn(train, data.Label, "label", "data.label");
        TableColumn column = TableEncoding.RequireColumn(train, text, "text", "data.text");
        if (data.IdColumn is not null)
        {
            TableEncoding.RequireColumn(train, data.IdColumn, "id", "data.idColumn");
        }

        int[] trainingRows = DatasetAssembler.TrainingRowsOf(data, train.Rows, train.File);
        string trainingText = string.Concat(trainingRows.Select(row => TableEncoding.CellText(column, row)));
        ITextTokenizer tokenizer = TextTokenizers.For(data.Tokenizer ?? TokenizerKind.Char).FromTraining(trainingText);
        return new TextColumnEncoding(text, data.Label, tokenizer, data.ContextLength ?? DataSection.DefaultContextLength);
    }

    public RawExamples Encode(DataTable table, LearningTask task)
    {
        ArgumentNullException.ThrowIfNull(table);
        TableColumn label = table.Find(_label) ?? throw DataFormatException.At(table.File, "line 1", $"has no label column '{_label}' (data.label)");
        return new RawExamples(table.File, Ids(table), [ContextLength], TableEncoding.Labels(table, label, task), table.Locate);
    }

    public PredictionRows EncodeForPrediction(DataTable table, LearningTask task, string? idColumn)
    {
        ArgumentNullException.ThrowIfNull(table);
        string?[]? ids = TableEncoding.RowIds(table, idColumn);
        TableColumn? label = table.Find(_label);
        var known = new HashSet<string>([_text, _label, idColumn ?? _label], StringComparer.Ordinal);
        string[] ignored = [.. table.Columns.Select(column => column.Name).Where(name => !known.Contains(name))];
        RawLabels labels = label is null ? RawLabels.None : TableEncoding.Labels(table, label, task);
        return new PredictionRows(new RawExamples(table.File, Ids(table), [ContextLength], labels, table.Locate), ids, ignored);
    }

    /// <summary>How the texts became ids, with the unknown tokens counted in the validation and test splits.</summary>
    public TokenText Describe(long unknownInValidation, long unknownInTest) =>
        new(Tokenizer.Kind, Tokenizer.Vocabulary, Vocabulary, ContextLength, unknownInValidation, unknownInTest) { PaddingId = PaddingId };

    /// <summary>Every row's text as <see cref="ContextLength"/> ids: its first tokens, then padding.</summary>
    private float[] Ids(DataTable table)
    {
        TableColumn column = table.Find(_text) ?? throw DataFormatException.At(table.File, "line 1", $"has no text column '{_text}' (data.text), which the training data has");
        var features = new float[(long)table.Rows * ContextLength];
        Array.Fill(features, PaddingId);
        for (int row = 0; row < table.Rows; row++)
        {
            int[] tokens = Tokenizer.Encode(TableEncoding.CellText(column, row), out _);
            int length = Math.Min(tokens.Length, ContextLength);
            for (int position = 0; position < length; position++)
            {
                features[((long)row * ContextLength) + position] = tokens[position];
            }
        }

        return features;
    }
}
