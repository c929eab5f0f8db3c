using System.Globalization;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;
using DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// How a table becomes examples, decided once from the training table and applied to every split: numeric
/// columns are features as they are; each categorical column becomes one 0/1 feature per category seen in
/// training (a category seen only in test or validation sets none of them); the label column is the label.
/// </summary>
public sealed class TableEncoding : IRowEncoding
{
    private readonly string _label;
    private readonly IReadOnlyList<(string Column, string[]? Categories)> _features;

    private TableEncoding(string label, IReadOnlyList<(string Column, string[]? Categories)> features)
    {
        _label = label;
        _features = features;
        FeatureNames = features.SelectMany(feature => feature.Categories is null ? [feature.Column] : feature.Categories.Select(category => $"{feature.Column}={category}")).ToArray();
    }

    /// <summary>The name of every feature, in order: a numeric column's name, or column=category.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    public static TableEncoding From(DataTable train, DataSection data)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(data);
        string columns = string.Join(", ", train.Columns.Select(column => column.Name));
        if (data.Label is null)
        {
            throw new DataFormatException($"data.label must name the label column of '{train.File}'; its columns are {columns}");
        }

        if (data.IdColumn is not null)
        {
            RequireColumn(train, data.IdColumn, "id", "data.idColumn");
        }

        RequireColumn(train, data.Label, "label", "data.label");

        foreach (string categorical in data.Categorical ?? [])
        {
            if (train.Find(categorical) is null)
            {
                throw DataFormatException.At(train.File, "line 1", $"has no column '{categorical}' (data.categorical); its columns are {columns}");
            }
        }

        var categoricalColumns = new HashSet<string>(data.Categorical ?? [], StringComparer.Ordinal);
        var features = new List<(string, string[]?)>();
        foreach (TableColumn column in train.Columns.Where(column => column.Name != data.Label && column.Name != data.IdColumn))
        {
            string[]? categories = categoricalColumns.Contains(column.Name)
                ? column.Text!.Select(cell => cell ?? string.Empty).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()
                : null;
            features.Add((column.Name, categories));
        }

        if (features.Count == 0)
        {
            throw DataFormatException.At(train.File, "line 1", $"has only the label column '{data.Label}'; at least one feature column is needed");
        }

        return new TableEncoding(data.Label, features);
    }

    /// <summary>The column this encoding's labels come from.</summary>
    public string LabelColumn => _label;

    /// <summary>The columns the features are read from, in order.</summary>
    public IReadOnlyList<string> FeatureColumns => _features.Select(feature => feature.Column).ToArray();

    /// <summary>The categories a categorical column was trained with; null for a numeric column.</summary>
    public IReadOnlyList<string>? CategoriesOf(string column) => _features.FirstOrDefault(feature => feature.Column == column).Categories;

    /// <summary>This encoding with the categories of <paramref name="other"/> (another shard's) added: one encoding for every shard of a dataset.</summary>
    public TableEncoding Including(TableEncoding other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var merged = _features.Select(feature =>
        {
            string[]? more = other._features.FirstOrDefault(candidate => candidate.Column == feature.Column).Categories;
            return (feature.Column, feature.Categories is null || more is null
                ? feature.Categories
                : feature.Categories.Union(more, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray());
        }).ToArray();
        return new TableEncoding(_label, merged);
    }

    public RawExamples Encode(DataTable table, LearningTask task)
    {
        ArgumentNullException.ThrowIfNull(table);
        TableColumn label = table.Find(_label) ?? throw DataFormatException.At(table.File, "line 1", $"has no label column '{_label}' (data.label)");
        return new RawExamples(table.File, Features(table, unseenCategoryIsAnError: false), [FeatureNames.Count], Labels(table, label, task), table.Locate);
    }

    /// <summary>
    /// Rows to predict on, encoded as training encoded its rows, except that a category training never saw is an
    /// error (the model has no input for it) rather than all zeros. The label column is optional: when present, the
    /// examples carry labels. Columns that are neither features nor the label nor <paramref name="idColumn"/> are
    /// <see cref="PredictionRows.IgnoredColumns"/>.
    /// </summary>
    public PredictionRows EncodeForPrediction(DataTable table, LearningTask task, string? idColumn)
    {
        ArgumentNullException.ThrowIfNull(table);
        string?[]? ids = RowIds(table, idColumn);
        TableColumn? label = table.Find(_label);
        var known = new HashSet<string>(FeatureColumns.Append(_label).Append(idColumn ?? _label), StringComparer.Ordinal);
        string[] ignored = [.. table.Columns.Select(column => column.Name).Where(name => !known.Contains(name))];
        RawLabels labels = label is null ? RawLabels.None : Labels(table, label, task);
        var examples = new RawExamples(table.File, Features(table, unseenCategoryIsAnError: true), [FeatureNames.Count], labels, table.Locate);
        return new PredictionRows(examples, ids, ignored);
    }

    /// <summary>The training table's column <paramref name="name"/>, or an error naming the field and listing the table's columns.</summary>
    internal static TableColumn RequireColumn(DataTable train, string name, string role, string field) =>
        train.Find(name) ?? throw DataFormatException.At(train.File, "line 1", $"has no {role} column '{name}' ({field}); its columns are {string.Join(", ", train.Columns.Select(column => column.Name))}");

    /// <summary>Each row's name from the id column (<c>data.idColumn</c>), or null when none is named.</summary>
    internal static string?[]? RowIds(DataTable table, string? idColumn)
    {
        if (idColumn is null)
        {
            return null;
        }

        TableColumn id = table.Find(idColumn)
            ?? throw new DataFormatException($"'{table.File}' has no column '{idColumn}'; its columns are {string.Join(", ", table.Columns.Select(column => column.Name))}", "data.idColumn");
        return id.Text ?? Array.ConvertAll(id.Numbers, DatasetAssembler.Format);
    }

    private float[] Features(DataTable table, bool unseenCategoryIsAnError)
    {
        TableColumn[] columns = _features.Select(feature => table.Find(feature.Column)
            ?? throw DataFormatException.At(table.File, "line 1", $"has no column '{feature.Column}', which the training data has")).ToArray();
        int width = FeatureNames.Count;
        var features = new float[table.Rows * width];
        for (int row = 0; row < table.Rows; row++)
        {
            int offset = row * width;
            for (int f = 0; f < columns.Length; f++)
            {
                TableColumn column = columns[f];
                if (_features[f].Categories is { } categories)
                {
                    string cell = CellText(column, row);
                    int index = Array.BinarySearch(categories, cell, StringComparer.Ordinal);
                    if (index >= 0)
                    {
                        features[offset + index] = 1;
                    }
                    else if (unseenCategoryIsAnError)
                    {
                        throw new DataFormatException($"{table.Locate(row)}, column '{column.Name}': the category '{Shorten(cell)}' was not in the training data, so the model has no input for it; its categories are {string.Join(", ", categories.Take(10))}{(categories.Length > 10 ? ", ..." : string.Empty)}");
                    }

                    offset += categories.Length;
                    continue;
                }

                double value = column.Numbers[row];
                if (double.IsNaN(value) && column.Text?[row] is { } text && !ParsesAsNumber(text))
                {
                    throw new DataFormatException(text.Length == 0
                        ? $"{table.Locate(row)}, column '{column.Name}': the value is missing; fill it in or drop the row"
                        : $"{table.Locate(row)}, column '{column.Name}': '{Shorten(text)}' is not a number; declare the column in data.categorical to one-hot encode it");
                }

                features[offset++] = (float)value;
            }
        }

        return features;
    }

    // A categorical column read as numbers (a prediction file whose categories all parse) keeps no text: its numbers
    // are then spelled as training spelled numeric categories.
    internal static string CellText(TableColumn column, int row) =>
        column.Text is { } text ? text[row] ?? string.Empty : DatasetAssembler.Format(column.Numbers[row]);

    /// <summary>The label column's cells as labels of <paramref name="task"/>: numbers for regression, else class names or numbers.</summary>
    internal static RawLabels Labels(DataTable table, TableColumn label, LearningTask task)
    {
        bool allNumbers = label.Text is null || label.Text.All(cell => cell is null || ParsesAsNumber(cell));
        if (TaskObjectives.For(task).NeedsNumericLabels)
        {
            for (int row = 0; row < table.Rows; row++)
            {
                if (double.IsNaN(label.Numbers[row]) && label.Text?[row] is { } cell && !ParsesAsNumber(cell))
                {
                    throw new DataFormatException($"{table.Locate(row)}, column '{label.Name}': '{Shorten(cell)}' is not a number, but a regression target must be");
                }
            }

            return RawLabels.Of(label.Numbers);
        }

        return allNumbers ? RawLabels.Of(label.Numbers) : RawLabels.Of(label.Text!.Select(cell => cell ?? string.Empty).ToArray());
    }

    // A cell whose number is NaN but whose text parses ("nan") is a NaN value, left for the dataset's finiteness check
    // to name; one whose text does not parse is not a number at all.
    private static bool ParsesAsNumber(string cell) => double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    internal static string Shorten(string cell) => cell.Length <= 40 ? cell : cell[..40] + "…";
}

/// <summary>Rows to predict on: the encoded examples (with labels when the table had the label column), each row's id when an id column was named, and the columns that played no part.</summary>
public sealed record PredictionRows(RawExamples Examples, string?[]? Ids, IReadOnlyList<string> IgnoredColumns);
