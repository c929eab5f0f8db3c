using System.Globalization;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>
/// What a model predicts for <see cref="Count"/> rows, in the user's terms. A classifier gives each class's
/// probability (<see cref="Probabilities"/>, row-major [Count, classes]) and its prediction is the likeliest class by
/// name; a regression model gives its targets in the label's own units (<see cref="Values"/>, [Count, Width]).
/// </summary>
public sealed record PredictedValues(int Count, int Width, float[]? Probabilities, double[]? Values, IReadOnlyList<string>? ClassNames)
{
    public bool IsClassification => Probabilities is not null;

    /// <summary>The predicted class's name.</summary>
    public string ClassAt(int row)
    {
        int best = 0;
        ReadOnlySpan<float> scores = Probabilities.AsSpan(row * Width, Width);
        for (int c = 1; c < scores.Length; c++)
        {
            // The first of equal probabilities wins, as argmax picks it.
            if (scores[c] > scores[best])
            {
                best = c;
            }
        }

        return ClassNames![best];
    }

    /// <summary>One value's text, as every output format writes it: the shortest that reads back to the same number.</summary>
    public static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <inheritdoc cref="Text(double)"/>
    public static string Text(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The predictions of several batches, in order, as one.</summary>
    public static PredictedValues Concatenate(IReadOnlyList<PredictedValues> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        PredictedValues first = batches[0];
        return new PredictedValues(
            batches.Sum(batch => batch.Count),
            first.Width,
            first.Probabilities is null ? null : [.. batches.SelectMany(batch => batch.Probabilities!)],
            first.Values is null ? null : [.. batches.SelectMany(batch => batch.Values!)],
            first.ClassNames);
    }
}
