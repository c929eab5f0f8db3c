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
public sealed class TableEncoding
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

        if (train.Find(data.Label) is null)
        {
            throw DataFormatException.At(train.File, "line 1", $"has no label column '{data.Label}' (data.label); its columns are {columns}");
        }

        foreach (string categorical in data.Categorical ?? [])
        {
            if (train.Find(categorical) is null)
            {
                throw DataFormatException.At(train.File, "line 1", $"has no column '{categorical}' (data.categorical); its columns are {columns}");
            }
        }

        var categoricalColumns = new HashSet<string>(data.Categorical ?? [], StringComparer.Ordinal);
        var features = new List<(string, string[]?)>();
        foreach (TableColumn column in train.Columns.Where(column => column.Name != data.Label))
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
                    int index = Array.BinarySearch(categories, column.Text![row] ?? string.Empty, StringComparer.Ordinal);
                    if (index >= 0)
                    {
                        features[offset + index] = 1;
                    }

                    offset += categories.Length;
                    continue;
                }

                double value = column.Numbers[row];
                if (double.IsNaN(value) && column.Text?[row] is { } cell && !ParsesAsNumber(cell))
                {
                    throw new DataFormatException(cell.Length == 0
                        ? $"{table.Locate(row)}, column '{column.Name}': the value is missing; fill it in or drop the row"
                        : $"{table.Locate(row)}, column '{column.Name}': '{Shorten(cell)}' is not a number; declare the column in data.categorical to one-hot encode it");
                }

                features[offset++] = (float)value;
            }
        }

        return new RawExamples(table.File, features, [width], Labels(table, label, task), table.Locate);
    }

    private static RawLabels Labels(DataTable table, TableColumn label, LearningTask task)
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

    private static string Shorten(string cell) => cell.Length <= 40 ? cell : cell[..40] + "…";
}
