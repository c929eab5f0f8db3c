using System.Text.Json.Serialization;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// <c>model.initFrom</c>: the weights a run starts from instead of a fresh initialisation. Either another run's
/// checkpoint (<see cref="Run"/>, its <see cref="Checkpoint"/>: final or best) or a weights file in the model store
/// (<see cref="File"/>: a PyTorch state dict saved with <c>torch.save</c>, or safetensors), pinned by its
/// <see cref="Sha256"/>. Weights are matched to the model by state-dict key; <see cref="Strict"/> (the default) refuses
/// keys that are missing, unexpected or of another shape, and the layers named in <see cref="Reinitialize"/> start
/// fresh. The optimizer always starts fresh: this is a new run that starts from those weights.
/// </summary>
/// <remarks>
/// <see cref="CheckpointName"/> is filled in at submission with the checkpoint the run's choice named then, so that
/// every activity of the new run reads the same bytes even if the source run is purged and resubmitted.
/// <see cref="Continues"/> is decided there too: a run with the source's data and recipe (all but its length)
/// continues it, carrying on its optimizer state, data cursor and step count, so that a 200-step run continued to 400
/// ends where one 400-step run ends.
/// </remarks>
public sealed record InitialWeights(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Run = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CheckpointChoice? Checkpoint = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? File = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Sha256 = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Strict = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Reinitialize = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CheckpointName = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Continues = null)
{
    public const string Path = ModelSection.Path + ".initFrom";
    public const int MaxNames = 64;

    /// <summary>Whether every key must match (the default).</summary>
    public bool IsStrict() => Strict ?? true;

    public bool IsRun() => Run is not null;

    /// <summary>Whether the run carries on the source run itself (decided at submission), rather than starting fresh from its weights.</summary>
    public bool IsContinuation() => Continues == true;

    public CheckpointChoice Choice() => Checkpoint ?? CheckpointChoice.Final;

    /// <summary>Where the weights come from, said the way messages say it.</summary>
    public string Describe() => Run is not null
        ? $"run '{Run}' ({SpecificationNames.Of(Choice())} checkpoint{(CheckpointName is null ? "" : $" {CheckpointName}")})"
        : $"weights file '{File}'";

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(Run is not null || File is not null, "run", "or initFrom.file must say where the weights come from: {\"run\": RUN} or {\"file\": NAME}");
        rules.Require(Run is null || File is null, "file", "cannot be given together with initFrom.run; choose one");
        rules.Require(Run is null || RunId.IsValid(Run), "run", RunId.Rule);
        rules.Require(Checkpoint is null || Run is not null, "checkpoint", "chooses a checkpoint of initFrom.run; give the run with it");
        rules.Require(Checkpoint is null || Enum.IsDefined(Checkpoint.Value), "checkpoint", "must be final or best");
        rules.Require(File is null || ModelSection.IsValidFileName(File), "file", ModelSection.FileNameRule);
        rules.Require(Sha256 is null || File is not null, "sha256", "pins a weights file; give initFrom.file with it");
        rules.Require(Sha256 is null || ModelSection.IsSha256(Sha256), "sha256", ModelSection.Sha256Rule);
        rules.Require(CheckpointName is null || (Run is not null && CheckpointReference.IsValidName(CheckpointName)), "checkpointName",
            "is filled in at submission; leave it out");
        rules.Require(Continues != true || (Run is not null && Reinitialize is null), "continues",
            "is decided at submission (a run with its source's data and recipe continues it); leave it out");
        LayerNames.Validate(rules, "reinitialize", Reinitialize);
        return rules.Errors;
    }
}

/// <summary>
/// Layer names as <c>model.freeze</c> and <c>initFrom.reinitialize</c> take them: a name matches the state-dict keys
/// under it (<c>features</c> matches <c>features.0.weight</c>, never <c>features2.weight</c>); a name ending in
/// <c>*</c> matches every key that starts with the rest (<c>block*</c>).
/// </summary>
public static class LayerNames
{
    public const string Rule = "must be 1 to 128 letters, digits, '.', '_' or '-', optionally ending in '*' (a prefix)";

    public static bool Matches(string key, string name)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(name);
        return name.EndsWith('*')
            ? key.StartsWith(name[..^1], StringComparison.Ordinal)
            : key == name || (key.Length > name.Length && key.StartsWith(name, StringComparison.Ordinal) && key[name.Length] == '.');
    }

    public static bool MatchesAny(string key, IReadOnlyList<string>? names) => names is not null && names.Any(name => Matches(key, name));

    public static bool IsValid(string? name) =>
        name is { Length: >= 1 and <= 128 }
        && name != "*"
        && name[..^1].All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
        && (char.IsAsciiLetterOrDigit(name[^1]) || name[^1] is '*' or '_' or '-');

    internal static void Validate(SectionRules rules, string field, IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            return;
        }

        rules.Require(names.Count is >= 1 and <= InitialWeights.MaxNames, field, $"must name 1 to {InitialWeights.MaxNames} layers");
        for (int i = 0; i < names.Count; i++)
        {
            rules.Require(IsValid(names[i]), $"{field}[{i}]", Rule);
        }
    }
}
