using System.Text.Json.Serialization;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// The <c>model</c> section, one of three kinds: a built-in <see cref="Architecture"/> from the registry with its size
/// <see cref="Parameters"/> (numbers; true and false are 1 and 0); a declarative list of <see cref="Layers"/>; or a
/// TorchScript <see cref="File"/> in the models container, pinned by its <see cref="Sha256"/>. Without any it is the
/// default architecture. Which parameters an architecture takes, and whether the layers or the file fit the data's
/// shape, is the model catalog's business (an application port); this section only checks what it can know alone.
/// Whatever the kind, <see cref="InitFrom"/> names weights to start from and <see cref="Freeze"/> the layers that do
/// not train (both left out of the JSON when not given, so that older runs' stored specifications stay as they were).
/// </summary>
public sealed record ModelSection(
    string? Architecture = null,
    IReadOnlyDictionary<string, double>? Parameters = null,
    IReadOnlyList<LayerSpec>? Layers = null,
    string? File = null,
    string? Sha256 = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] InitialWeights? InitFrom = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Freeze = null)
{
    public const string Path = "model";
    public const string DefaultArchitecture = "cnn";
    public const string LanguageModelArchitecture = "gpt";
    public const string TextClassifierArchitecture = "encoder";
    public const int MaxNameLength = 64;
    public const int MaxFileNameLength = 128;
    public const string TorchScriptKind = "torchscript";

    /// <summary>The rule a model file's name follows, said the way errors say it.</summary>
    public const string FileNameRule = "must be a plain file name: 1 to 128 letters, digits, '.', '-' or '_', not starting with '.' (no '/', '\\' or '..')";

    public const string Sha256Rule = "must be 64 lower-case hexadecimal digits (the file's SHA-256)";

    /// <summary>What the model is: <c>torchscript</c>, <c>layers</c>, or the architecture's name.</summary>
    /// <remarks>Methods, not properties, so that the section's JSON holds only what was given.</remarks>
    public string KindName() => File is not null ? TorchScriptKind : Layers is not null ? "layers" : Architecture ?? DefaultArchitecture;

    public bool IsTorchScript() => File is not null;

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(!(Layers is not null && Architecture is not null), "layers", "cannot be given together with model.architecture; choose one");
        rules.Require(File is null || (Architecture is null && Layers is null), "file", "cannot be given together with model.architecture or model.layers; choose one");
        rules.Require(Architecture is null || IsPlainName(Architecture), "architecture", $"must be 1 to {MaxNameLength} lower-case letters, digits or hyphens");
        rules.Require(Layers is null || Layers.Count > 0, "layers", "must hold at least one layer");
        rules.Require(File is null || IsValidFileName(File), "file", FileNameRule);
        rules.Require(Sha256 is null || File is not null, "sha256", "pins a model file; give model.file with it");
        rules.Require(Sha256 is null || IsSha256(Sha256), "sha256", Sha256Rule);
        rules.Require(Parameters is null || (Layers is null && File is null) || Parameters.Count == 0, "parameters",
            "apply to a built-in architecture only; declarative layers and TorchScript files carry their own sizes");
        foreach ((string name, double value) in Parameters ?? new Dictionary<string, double>())
        {
            rules.Require(double.IsFinite(value), $"parameters.{name}", "must be a finite number");
        }

        LayerNames.Validate(rules, "freeze", Freeze);
        return [.. rules.Errors, .. InitFrom?.Validate() ?? []];
    }

    /// <summary>The section with its defaults resolved: without layers, a file or an architecture it is the default architecture.</summary>
    public ModelSection Resolved() => Layers is null && Architecture is null && File is null ? this with { Architecture = DefaultArchitecture } : this;

    /// <summary>
    /// The model a run gets when it names none, for data of <paramref name="shape"/>: a GPT for a language model's
    /// token windows, a small transformer encoder for texts to classify, the CNN for images ([channels, height,
    /// width]), the MLP for anything else (table rows, vectors).
    /// </summary>
    public static ModelSection DefaultFor(DataShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return new ModelSection(
            shape.OutputsPerPosition ? LanguageModelArchitecture
            : shape.Vocabulary is not null ? TextClassifierArchitecture
            : shape.Input.Count == 3 ? DefaultArchitecture
            : "mlp");
    }

    /// <summary>
    /// True when the section names no model at all (no architecture, parameters, layers or file); it may still say
    /// what to start from and what to freeze, which <see cref="WithInitAndFreezeOf"/> carries over to the model chosen.
    /// </summary>
    public bool IsUnspecified() => Architecture is null && Layers is null && File is null && (Parameters is null || Parameters.Count == 0);

    /// <summary>This model (one chosen for <paramref name="given"/>, which named none) with the given section's initFrom and freeze.</summary>
    public ModelSection WithInitAndFreezeOf(ModelSection given)
    {
        ArgumentNullException.ThrowIfNull(given);
        return this with { InitFrom = given.InitFrom, Freeze = given.Freeze };
    }

    /// <summary>The parameter's value, or <paramref name="fallback"/> when not given.</summary>
    public double Parameter(string name, double fallback) => Parameters is not null && Parameters.TryGetValue(name, out double value) ? value : fallback;

    /// <summary>
    /// A name that is one blob in the models container and one file on disk, never a path: it cannot climb out of
    /// the container or a download folder.
    /// </summary>
    public static bool IsValidFileName(string? name) =>
        name is { Length: >= 1 and <= MaxFileNameLength }
        && name[0] != '.'
        && !name.Contains("..", StringComparison.Ordinal)
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    public static bool IsSha256(string? value) =>
        value is { Length: 64 } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private static bool IsPlainName(string name) =>
        name.Length is >= 1 and <= MaxNameLength && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}
