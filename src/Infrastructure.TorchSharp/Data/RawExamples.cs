namespace DurableTrainer.Infrastructure.TorchSharp.Data;

/// <summary>
/// Examples as a format reads them, before any split or preprocessing: the features of every example, flat and in
/// order (each of <see cref="Shape"/>), and their labels. <see cref="Locate"/> says where example i came from
/// ("row 12", "image shirts/3.png"), so every error can name it.
/// </summary>
public sealed record RawExamples(string File, float[] Features, int[] Shape, RawLabels Labels, Func<int, string> Locate)
{
    /// <summary>How many examples: one per label, or for unlabelled examples (rows to predict) one per <see cref="Shape"/> of features.</summary>
    public int Count => Labels.IsNone ? Features.Length / Math.Max(1, FeaturesPerExample) : Labels.Count;

    public int FeaturesPerExample => Shape.Aggregate(1, (product, size) => product * size);
}

/// <summary>
/// Labels as read: class names as text (<see cref="Names"/>), or numbers (<see cref="Values"/>, <see cref="Width"/>
/// per example: class numbers or regression targets). Which they are is decided by the task, not the reader.
/// </summary>
public sealed record RawLabels(string[]? Names, double[]? Values, int Width = 1)
{
    public int Count => Names?.Length ?? (Values is null ? 0 : Values.Length / Math.Max(Width, 1));

    /// <summary>True for examples read without labels (rows to predict on).</summary>
    public bool IsNone => Names is null && Values is null;

    public static RawLabels None { get; } = new(null, null);

    public static RawLabels Of(string[] names) => new(names, null);

    public static RawLabels Of(double[] values, int width = 1) => new(null, values, width);
}

/// <summary>A table as read from CSV, TSV or Parquet: named columns of numbers (NaN where a cell is not one) and, where kept, their text.</summary>
public sealed record DataTable(string File, IReadOnlyList<TableColumn> Columns, int Rows, Func<int, string> Locate)
{
    public TableColumn? Find(string name) => Columns.FirstOrDefault(column => column.Name == name);
}

/// <summary>
/// One column: each cell as a number when it parses as one (NaN otherwise), and its text for cells that did not
/// parse, or for every cell when the column is the label or declared categorical.
/// </summary>
public sealed record TableColumn(string Name, double[] Numbers, string?[]? Text);
