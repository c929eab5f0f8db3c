using System.Globalization;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Infrastructure.TorchSharp.Prediction;

/// <summary>
/// The <c>data</c> section of a prediction job: where the rows are, in a run's data section's words. How they are
/// read is the run's: its task, categorical columns, image size and channels apply, and the splitting and
/// augmentation fields of training have no meaning here.
/// </summary>
internal static class PredictionData
{
    public static IReadOnlyList<ValidationError> Problems(DataSection data, DataSection run)
    {
        var errors = new List<ValidationError>(data.Validate());
        void Refuse(bool given, string field, string rule)
        {
            if (given)
            {
                errors.Add(new ValidationError("data." + field, rule));
            }
        }

        Refuse(data.Source is null, "source", "must name the file or folder of rows to predict on");
        Refuse(data.Dataset is not null, "dataset", "does not apply: a prediction job reads your own rows (data.source)");
        const string Training = "is a training setting; a prediction job predicts every row it is given";
        Refuse(data.Test is not null, "test", Training);
        Refuse(data.Validation is not null, "validation", Training);
        Refuse(data.TestFraction is not null, "testFraction", Training);
        Refuse(data.ValidationFraction is not null, "validationFraction", Training);
        Refuse(data.CropPadding != 0, "cropPadding", "is training augmentation; predictions see the images as they are");
        Refuse(data.HorizontalFlip, "horizontalFlip", "is training augmentation; predictions see the images as they are");
        const string TheRuns = "is the run's: rows are read as the run read its data ({0}); leave it out";
        Refuse(data.Task is not null && data.Task != run.ResolvedTask(), "task", string.Format(CultureInfo.InvariantCulture, TheRuns, SpecificationNames.Of(run.ResolvedTask())));
        Refuse(data.Categorical is not null && !data.Categorical.SequenceEqual(run.Categorical ?? []), "categorical", string.Format(CultureInfo.InvariantCulture, TheRuns, string.Join(", ", run.Categorical ?? [])));
        Refuse(data.ImageSize is not null && data.ImageSize != run.ImageSize, "imageSize", string.Format(CultureInfo.InvariantCulture, TheRuns, run.ImageSize?.ToString(CultureInfo.InvariantCulture) ?? "none"));
        Refuse(data.Channels is not null && data.Channels != run.Channels, "channels", string.Format(CultureInfo.InvariantCulture, TheRuns, run.Channels?.ToString(CultureInfo.InvariantCulture) ?? "none"));
        Refuse(data.Text is not null && data.Text != run.Text, "text", string.Format(CultureInfo.InvariantCulture, TheRuns, run.Text ?? "no text column"));
        Refuse(data.Tokenizer is not null && data.Tokenizer != run.Tokenizer, "tokenizer", string.Format(CultureInfo.InvariantCulture, TheRuns, run.Tokenizer is { } tokenizer ? SpecificationNames.Of(tokenizer) : "its default"));
        Refuse(data.ContextLength is not null && data.ContextLength != run.ContextLength, "contextLength", string.Format(CultureInfo.InvariantCulture, TheRuns, run.ContextLength?.ToString(CultureInfo.InvariantCulture) ?? "none"));
        return errors;
    }

    /// <summary>
    /// The section as the job reads it: the rows' place, format and id column, with the run's reading of them. A
    /// table's label column is the run's (used for metrics when present); for arrays, <c>data.label</c> says whether
    /// and where the rows carry labels.
    /// </summary>
    public static DataSection AsTheRunReadsIt(DataSection data, DataSection run) => data with
    {
        Task = run.ResolvedTask(),
        Categorical = run.Categorical,
        ImageSize = run.ImageSize,
        Channels = run.Channels,
        Text = run.Text,
        Tokenizer = run.Tokenizer,
        ContextLength = run.ContextLength,
        Label = data.Label ?? (NamesAColumn(run.Label) ? run.Label : null),
        SplitSeed = 0,
        Sha256 = null,
    };

    // A run's label is a table's column name, or for arrays a labels file or a column index, which rows to predict on need not have.
    private static bool NamesAColumn(string? label) =>
        label is not null && !label.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) && !int.TryParse(label, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
}
