using System.Text.Json.Serialization;
using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// The <c>data</c> section: what a run learns from, and how it is split.
/// <list type="bullet">
/// <item>Either a built-in <see cref="Dataset"/> or the user's own data: a <see cref="Source"/> path (a file, or a
/// folder ending in '/') in a blob <see cref="Container"/>, read in <see cref="Format"/> (from the extension when not
/// given). Tables name their <see cref="Label"/> column and any <see cref="Categorical"/> feature columns.</item>
/// <item>The <see cref="Task"/> decides the loss and the metrics.</item>
/// <item>Test is the given <see cref="Test"/> path, or a seeded <see cref="TestFraction"/> held out of the source;
/// validation, on which every decision is made, is the given <see cref="Validation"/> path or a seeded
/// <see cref="ValidationFraction"/> of what remains for training. <see cref="SplitSeed"/> seeds both.</item>
/// <item><see cref="Sha256"/> pins the data's content at submission: a run never trains on data that changed under it.</item>
/// <item>Images can be augmented while training: a random crop after <see cref="CropPadding"/> pixels of padding, and a
/// <see cref="HorizontalFlip"/> of half the images, drawn from (seed, replica, step) so resume stays exact.</item>
/// <item>A table's <see cref="IdColumn"/> names its rows: it is no feature, and predictions carry it.</item>
/// <item>A table's <see cref="Text"/> column makes it text to classify: each row's text, tokenized by
/// <see cref="Tokenizer"/>, truncated or padded to <see cref="ContextLength"/> tokens, is the model's input.</item>
/// <item><see cref="Sharded"/> data is a folder whose every file is a shard: workers stream shards instead of holding the
/// dataset, so it may be larger than one worker's memory. Test and validation are then whole shards held out (or the
/// given files), and an epoch visits the shards in a seeded order, each shuffled within.</item>
/// </list>
/// Which formats exist, and whether the files hold what they should, is the dataset catalog's business.
/// </summary>
public sealed record DataSection(
    DatasetKind? Dataset = null,
    string? Source = null,
    string? Container = null,
    string? Format = null,
    string? Label = null,
    IReadOnlyList<string>? Categorical = null,
    LearningTask? Task = null,
    string? Test = null,
    string? Validation = null,
    double? TestFraction = null,
    double? ValidationFraction = null,
    int SplitSeed = 0,
    string? Sha256 = null,
    int? ImageSize = null,
    int? Channels = null,
    int CropPadding = 0,
    bool HorizontalFlip = false,
    bool Sharded = false,
    // Left out of the JSON when unset, so that recipes without it hash as they did before it existed.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? IdColumn = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TokenizerKind? Tokenizer = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? ContextLength = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? VocabularySize = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Text = null)
{
    public const string Path = "data";
    public const string DefaultContainer = "datasets";
    public const double DefaultTestFraction = 0.2;
    public const double DefaultValidationFraction = 0.1;
    public const int MaxPathLength = 1024;
    public const int MaxImageSize = 1024;
    public const int MaxCropPadding = 64;
    public const int DefaultContextLength = 128;
    public const int MaxContextLength = 65_536;
    public const int MaxVocabularySize = 1_048_576;

    /// <summary>A language model's default held-out shares: the tail tenth of the text tests, the tenth before it validates.</summary>
    public const double DefaultTextFraction = 0.1;

    public const string PathRule =
        "must be a path in the container: segments of letters, digits, '.', '-' or '_' joined by '/', none starting with '.', " +
        "no '..', no leading '/', at most 1024 characters (a folder ends in '/')";

    public const string ContainerRule = "must be a blob container name: 3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit";

    public bool IsBuiltIn() => Source is null;

    /// <summary>The task, resolved: classification unless given.</summary>
    public LearningTask ResolvedTask() => Task ?? LearningTask.Classification;

    /// <summary>Whether the examples are windows of one token stream (a language model's text) rather than rows.</summary>
    public bool IsTokenStream() => ResolvedTask() == LearningTask.LanguageModel;

    /// <summary>Whether the examples are a table's texts to classify, one per row (<see cref="Text"/> names the column).</summary>
    public bool IsTextTable() => Text is not null;

    /// <summary>Whether the examples are token ids a tokenizer makes: a language model's text or a table's texts.</summary>
    public bool IsTokenized() => IsTokenStream() || IsTextTable();

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(Dataset is null || Enum.IsDefined(Dataset.Value), "dataset", "must be one of " + SpecificationNames.Of<DatasetKind>());
        rules.Require(Dataset is null || Source is null, "source", "cannot be given together with data.dataset; choose a built-in dataset or your own data");
        rules.Require(Source is null || IsValidPath(Source), "source", PathRule);
        rules.Require(Test is null || IsValidPath(Test), "test", PathRule);
        rules.Require(Validation is null || IsValidPath(Validation), "validation", PathRule);
        rules.Require(Container is null || IsValidContainer(Container), "container", ContainerRule);
        rules.Require(Task is null || Enum.IsDefined(Task.Value), "task", "must be one of " + SpecificationNames.Of<LearningTask>());
        rules.Require(Format is null || (Format.Length is >= 1 and <= 16 && Format.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))), "format", "must be a format name: 1 to 16 lower-case letters and digits (the server lists the formats it reads when the name is none of them)");
        rules.Require(TestFraction is null || SectionRules.Inside(TestFraction.Value, 0, 1), "testFraction", "must be greater than 0 and less than 1");
        rules.Require(TestFraction is null || Test is null, "testFraction", "cannot be given together with data.test; the test split is either a file or a fraction");
        rules.Require(ValidationFraction is null || SectionRules.Inside(ValidationFraction.Value, 0, 1), "validationFraction", "must be greater than 0 and less than 1");
        rules.Require(ValidationFraction is null || Validation is null, "validationFraction", "cannot be given together with data.validation; the validation split is either a file or a fraction");
        rules.Require(TestFraction is null || ValidationFraction is null || TestFraction + ValidationFraction < 1, "validationFraction", "plus data.testFraction must be less than 1 (something must be left to train on)");
        rules.Require(SplitSeed >= 0, "splitSeed", "must be at least 0");
        rules.Require(Sha256 is null || ModelSection.IsSha256(Sha256), "sha256", "must be 64 lower-case hexadecimal digits (the digest of the data's files)");
        rules.Require(ImageSize is null || ImageSize is >= 1 and <= MaxImageSize, "imageSize", $"must be between 1 and {MaxImageSize} pixels");
        rules.Require(Channels is null or 1 or 3, "channels", "must be 1 (grayscale) or 3 (RGB)");
        rules.Require(CropPadding is >= 0 and <= MaxCropPadding, "cropPadding", $"must be between 0 (off) and {MaxCropPadding} pixels");
        rules.Require(!Sharded || Source is null || Source.EndsWith('/'), "sharded", "needs data.source to be a folder (ending in '/') whose files are the shards");
        rules.Require(ContextLength is null || ContextLength is >= 1 and <= MaxContextLength, "contextLength", $"must be between 1 and {MaxContextLength} tokens");
        rules.Require(VocabularySize is null || VocabularySize is >= 1 and <= MaxVocabularySize, "vocabularySize", $"must be between 1 and {MaxVocabularySize}");
        rules.Require(Tokenizer is null || Enum.IsDefined(Tokenizer.Value), "tokenizer", "must be one of " + SpecificationNames.Of<TokenizerKind>());
        foreach ((string field, bool given) in new[] { ("tokenizer", Tokenizer is not null), ("contextLength", ContextLength is not null), ("vocabularySize", VocabularySize is not null) })
        {
            rules.Require(!given || IsTokenized(), field, "applies to token data; give data.task language-model, or data.text naming a table's text column, with it");
        }

        rules.Require(Text is null || (!string.IsNullOrWhiteSpace(Text) && Text.Length <= 256), "text", "must be a column name of 1 to 256 characters");
        rules.Require(Text is null || ResolvedTask() is LearningTask.Classification or LearningTask.Binary, "text", "classifies texts: data.task must be classification or binary with it (a language model reads .txt files, without data.text)");
        rules.Require(Text is null || Text != Label, "text", "is the label column; the text to classify cannot also be its label");
        rules.Require(Text is null || Text != IdColumn, "text", "is the id column; an id names rows and is no input");
        rules.Require(Text is null || !(Categorical ?? []).Contains(Text), "text", "is declared categorical; a text column is read as text, not one-hot encoded");
        rules.Require(Text is null || VocabularySize is null, "vocabularySize", "goes with token arrays; a text column's vocabulary comes from data.tokenizer");
        rules.Require(Text is null || !Sharded, "sharded", "does not apply to text columns yet; a text table is read whole");

        rules.Require(Tokenizer is null || VocabularySize is null, "vocabularySize", "goes with token arrays (.npy of token ids); a tokenizer decides its own vocabulary");
        rules.Require(!IsTokenStream() || !IsBuiltIn(), "task", "language-model needs text: give data.source (UTF-8 .txt files, or a .npy of token ids with data.vocabularySize)");
        rules.Require(!IsTokenStream() || !Sharded, "sharded", "does not apply to language-model text yet; a text is read whole");
        if (IsBuiltIn())
        {
            foreach ((string field, bool given) in new[]
            {
                ("container", Container is not null), ("format", Format is not null), ("label", Label is not null),
                ("categorical", Categorical is not null), ("test", Test is not null), ("testFraction", TestFraction is not null),
                ("validation", Validation is not null), ("sha256", Sha256 is not null), ("imageSize", ImageSize is not null), ("channels", Channels is not null),
                ("sharded", Sharded), ("idColumn", IdColumn is not null), ("text", Text is not null),
            })
            {
                rules.Require(!given, field, "describes your own data; give data.source with it (the built-in datasets have their own files)");
            }
        }

        foreach ((string column, int index) in (Categorical ?? []).Select((column, index) => (column, index)))
        {
            rules.Require(!string.IsNullOrWhiteSpace(column) && column.Length <= 256, $"categorical[{index}]", "must be a column name of 1 to 256 characters");
            rules.Require(column != Label, $"categorical[{index}]", "is the label column; a label cannot also be a feature");
        }

        rules.Require(Label is null || (!string.IsNullOrWhiteSpace(Label) && Label.Length <= 256), "label", "must be a column name of 1 to 256 characters");
        rules.Require(IdColumn is null || (!string.IsNullOrWhiteSpace(IdColumn) && IdColumn.Length <= 256), "idColumn", "must be a column name of 1 to 256 characters");
        rules.Require(IdColumn is null || IdColumn != Label, "idColumn", "is the label column; an id names rows and cannot be the label");
        rules.Require(IdColumn is null || !(Categorical ?? []).Contains(IdColumn), "idColumn", "is declared categorical; an id names rows and is no feature");
        return rules.Errors;
    }

    /// <summary>The section with its defaults resolved: the built-in dataset, the task, and the split fractions.</summary>
    public DataSection Resolved() => this with
    {
        Dataset = IsBuiltIn() ? Dataset ?? DatasetKind.FashionMnist : null,
        Task = ResolvedTask(),
        TestFraction = IsBuiltIn() || Test is not null ? null : TestFraction ?? (IsTokenStream() ? DefaultTextFraction : DefaultTestFraction),
        ValidationFraction = Validation is not null ? null : ValidationFraction ?? (IsTokenStream() ? DefaultTextFraction : DefaultValidationFraction),
        ContextLength = IsTokenized() ? ContextLength ?? DefaultContextLength : ContextLength,
    };

    /// <summary>A path inside a container that cannot leave it: no scheme, no leading '/', no '..', no hidden segments.</summary>
    public static bool IsValidPath(string? path)
    {
        if (path is not { Length: >= 1 and <= MaxPathLength } || path[0] == '/')
        {
            return false;
        }

        string[] segments = path.EndsWith('/') ? path[..^1].Split('/') : path.Split('/');
        return segments.All(segment => segment.Length is >= 1 and <= 255 && segment[0] != '.' && !segment.Contains("..", StringComparison.Ordinal)
            && segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'));
    }

    public static bool IsValidContainer(string? name) =>
        name is { Length: >= 3 and <= 63 }
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
        && !name.Contains("--", StringComparison.Ordinal)
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}
