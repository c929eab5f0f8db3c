using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// How a table's rows become examples, decided once from the training table and applied to every split and to rows
/// to predict on: columns as numeric and one-hot features (<see cref="TableEncoding"/>), or one column's text as
/// token ids (<see cref="Text.TextColumnEncoding"/>).
/// </summary>
public interface IRowEncoding
{
    /// <summary>The columns the features are read from, in order: what a row to predict on must have.</summary>
    IReadOnlyList<string> FeatureColumns { get; }

    /// <summary>The name of every feature, in order, where features have names (a numeric column's, or column=category); null for token ids.</summary>
    IReadOnlyList<string>? FeatureNames { get; }

    /// <summary>The table's rows as examples with their labels.</summary>
    RawExamples Encode(DataTable table, LearningTask task);

    /// <summary>Rows to predict on: labels when the table has the label column, each row's id when an id column is named, and the columns that played no part.</summary>
    PredictionRows EncodeForPrediction(DataTable table, LearningTask task, string? idColumn);
}
