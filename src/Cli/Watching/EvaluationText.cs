using System.Globalization;
using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Cli.Watching;

/// <summary>How an evaluation reads in the terminal, whatever the task: its headline score (accuracy, RMSE, ...) and the loss.</summary>
public static class EvaluationText
{
    /// <summary>"accuracy 0.9093" or "rmse 3.2100"; "loss 0.3100" when the evaluation has no scores.</summary>
    public static string Headline(EvaluationSummary evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        return evaluation.Headline() is { } score ? Format(score.Name, score.Value) : Format("loss", evaluation.Loss);
    }

    /// <summary>The headline as progress lines abbreviate it: "acc 0.9093", "rmse 3.2100".</summary>
    public static string Short(EvaluationSummary evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        return evaluation.Headline() is { } score ? Format(score.Name == "accuracy" ? "acc" : score.Name, score.Value) : Format("loss", evaluation.Loss);
    }

    /// <summary>Every score and the loss: "accuracy 0.9093, auc 0.9512, loss 0.2466".</summary>
    public static string All(EvaluationSummary evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        return string.Join(", ", evaluation.Scores.Select(score => Format(score.Key, score.Value)).Append(Format("loss", evaluation.Loss)));
    }

    /// <summary>The evaluation as JSON output carries it: step, loss and every score by name.</summary>
    public static Dictionary<string, object>? Json(EvaluationSummary? evaluation)
    {
        if (evaluation is null)
        {
            return null;
        }

        var fields = new Dictionary<string, object> { ["step"] = evaluation.Step, ["loss"] = evaluation.Loss };
        foreach ((string name, double value) in evaluation.Scores)
        {
            fields[name] = value;
        }

        return fields;
    }

    private static string Format(string name, double value) => name + " " + value.ToString("F4", CultureInfo.InvariantCulture);
}
