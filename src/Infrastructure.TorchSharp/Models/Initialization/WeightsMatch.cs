using DurableTrainer.Domain.Specification;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Initialization;

/// <summary>A key whose tensor has one shape in the model and another in the weights.</summary>
public sealed record ShapeMismatch(string Key, long[] Model, long[] Weights);

/// <summary>
/// How a model's state (parameters and buffers, by state-dict key) meets the weights it starts from: the keys that
/// load, the model's keys the weights lack, the weights' keys the model lacks, keys of another shape, and keys left
/// to their fresh initialisation because <c>initFrom.reinitialize</c> names their layer. Computed from names and
/// shapes alone, so the submission check and the run decide alike.
/// </summary>
public sealed record WeightsMatch(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<ShapeMismatch> WrongShape,
    IReadOnlyList<string> Reinitialized)
{
    private const int NamedAtMost = 8;

    public static WeightsMatch Of(IReadOnlyDictionary<string, long[]> model, IReadOnlyDictionary<string, long[]> weights, IReadOnlyList<string>? reinitialize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weights);
        var loaded = new List<string>();
        var missing = new List<string>();
        var wrongShape = new List<ShapeMismatch>();
        var reinitialized = new List<string>();
        foreach ((string key, long[] shape) in model)
        {
            if (LayerNames.MatchesAny(key, reinitialize))
            {
                reinitialized.Add(key);
            }
            else if (!weights.TryGetValue(key, out long[]? given))
            {
                missing.Add(key);
            }
            else if (!given.SequenceEqual(shape))
            {
                wrongShape.Add(new ShapeMismatch(key, shape, given));
            }
            else
            {
                loaded.Add(key);
            }
        }

        // A weight of a reinitialised layer is expected, not unexpected: the model has it, fresh.
        string[] unexpected = [.. weights.Keys.Where(key => !model.ContainsKey(key)).Order(StringComparer.Ordinal)];
        return new WeightsMatch(loaded, missing, unexpected, wrongShape, reinitialized);
    }

    /// <summary>The shapes of a module's state, by key.</summary>
    public static Dictionary<string, long[]> ShapesOf(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.ToDictionary(entry => entry.Key, entry => entry.Value.shape, StringComparer.Ordinal);
    }

    /// <summary>Whether anything was left out: keys missing, unexpected or of another shape.</summary>
    public bool IsPartial => Missing.Count > 0 || Unexpected.Count > 0 || WrongShape.Count > 0;

    /// <summary>
    /// The problems under <c>model.initFrom</c>: under strict matching every key that does not match, by name; either
    /// way, weights that match nothing at all, and names in <c>reinitialize</c> that match no key.
    /// </summary>
    public IReadOnlyList<ValidationError> Problems(InitialWeights init)
    {
        ArgumentNullException.ThrowIfNull(init);
        var errors = new List<ValidationError>();
        string source = init.Describe();
        if (Loaded.Count == 0)
        {
            errors.Add(new ValidationError(InitialWeights.Path, $"{source} has no weight the model can use: none of its {Unexpected.Count + WrongShape.Count} keys ({Names(Unexpected.Concat(WrongShape.Select(m => m.Key)))}) is a key of the model of the same shape; the model's keys are {Names(Missing.Concat(Reinitialized))}"));
        }
        else if (init.IsStrict())
        {
            const string Hint = "; name the layer in initFrom.reinitialize to start it fresh, or set initFrom.strict to false to load what matches";
            if (WrongShape.Count > 0)
            {
                errors.Add(new ValidationError(InitialWeights.Path, $"{source} has keys of another shape than the model's: {string.Join(", ", WrongShape.Take(NamedAtMost).Select(m => $"{m.Key} is {Shape(m.Weights)} there and {Shape(m.Model)} here"))}{More(WrongShape.Count)}{Hint}"));
            }

            if (Missing.Count > 0)
            {
                errors.Add(new ValidationError(InitialWeights.Path, $"{source} lacks keys of the model: {Names(Missing)}{Hint}"));
            }

            if (Unexpected.Count > 0)
            {
                errors.Add(new ValidationError(InitialWeights.Path, $"{source} has keys the model does not: {Names(Unexpected)}; set initFrom.strict to false to leave them out"));
            }
        }

        for (int i = 0; i < (init.Reinitialize?.Count ?? 0); i++)
        {
            string name = init.Reinitialize![i];
            if (!Reinitialized.Any(key => LayerNames.Matches(key, name)))
            {
                errors.Add(new ValidationError($"{InitialWeights.Path}.reinitialize[{i}]", $"'{name}' is not a layer of the model; its keys are {Names(Loaded.Concat(Missing).Concat(WrongShape.Select(m => m.Key)))}"));
            }
        }

        return errors;
    }

    /// <summary>One line for the run's log and status: what loaded and what was left.</summary>
    public string Summary(InitialWeights init)
    {
        ArgumentNullException.ThrowIfNull(init);
        string summary = $"Started from {init.Describe()}: {Loaded.Count} tensors loaded";
        if (Reinitialized.Count > 0)
        {
            summary += $", {Reinitialized.Count} reinitialised ({Names(Reinitialized)})";
        }

        if (IsPartial)
        {
            summary += $"; skipped (strict is off): {Missing.Count} missing ({Names(Missing)}), {Unexpected.Count} unexpected ({Names(Unexpected)}), {WrongShape.Count} of another shape ({Names(WrongShape.Select(m => m.Key))})";
        }

        return summary + ".";
    }

    /// <summary>Copies the loaded keys' tensors from <paramref name="weights"/> into <paramref name="state"/>, converting the element type where they differ.</summary>
    public void Apply(IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(weights);
        using (no_grad())
        {
            foreach (string key in Loaded)
            {
                state[key].copy_(weights[key]);
            }
        }
    }

    private static string Names(IEnumerable<string> keys)
    {
        string[] all = [.. keys];
        return all.Length == 0 ? "none" : string.Join(", ", all.Take(NamedAtMost)) + More(all.Length);
    }

    private static string More(int count) => count > NamedAtMost ? $" and {count - NamedAtMost} more" : "";

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
