namespace DurableTrainer.Domain.Configuration;

/// <summary>
/// The immutable training configuration. It can only be obtained through <see cref="Create"/>, which checks every
/// rule and reports every broken one at once, so holding a <see cref="Hyperparameters"/> means holding a valid one.
/// </summary>
public sealed record Hyperparameters
{
    public const int MaxBatchSize = 4096;
    public const long MaxTotalSteps = 10_000_000;
    public const int MaxReplicas = 16;

    private Hyperparameters()
    {
    }

    public double LearningRate { get; private init; }
    public int BatchSize { get; private init; }
    public int Epochs { get; private init; }

    /// <summary>When set, overrides <see cref="Epochs"/> as the total number of optimizer steps (over all replicas).</summary>
    public long? MaxSteps { get; private init; }

    public OptimizerKind Optimizer { get; private init; }
    public double Momentum { get; private init; }
    public double WeightDecay { get; private init; }
    public ModelArchitecture Model { get; private init; }
    public int HiddenUnits { get; private init; }
    public DatasetKind Dataset { get; private init; }
    public int Seed { get; private init; }
    public int StepsPerChunk { get; private init; }
    public int Replicas { get; private init; }

    /// <summary>Evaluate on the test split after at least this many steps since the last evaluation (and always at the end).</summary>
    public int EvaluationIntervalSteps { get; private init; }

    /// <summary>Stop early once test accuracy reaches this value; null means train the whole plan.</summary>
    public double? TargetAccuracy { get; private init; }

    public static HyperparametersBuilder Defaults => new();

    /// <summary>Validates a full set of values. Returns the value object, or every broken rule.</summary>
    public static ValidationResult<Hyperparameters> Create(HyperparametersBuilder values)
    {
        var errors = new List<ValidationError>();
        void Require(bool ok, string field, string rule)
        {
            if (!ok)
            {
                errors.Add(new ValidationError(field, rule));
            }
        }

        Require(double.IsFinite(values.LearningRate) && values.LearningRate > 0 && values.LearningRate <= 10,
            "learningRate", "must be a finite number greater than 0 and at most 10");
        Require(values.BatchSize is >= 1 and <= MaxBatchSize, "batchSize", $"must be between 1 and {MaxBatchSize}");
        Require(values.Epochs is >= 1 and <= 1000, "epochs", "must be between 1 and 1000");
        Require(values.MaxSteps is null || (values.MaxSteps >= 1 && values.MaxSteps <= MaxTotalSteps),
            "maxSteps", $"must be between 1 and {MaxTotalSteps} when given");
        Require(double.IsFinite(values.Momentum) && values.Momentum >= 0 && values.Momentum < 1,
            "momentum", "must be at least 0 and less than 1");
        Require(double.IsFinite(values.WeightDecay) && values.WeightDecay >= 0 && values.WeightDecay <= 1,
            "weightDecay", "must be between 0 and 1");
        Require(values.HiddenUnits is >= 8 and <= 4096, "hiddenUnits", "must be between 8 and 4096");
        Require(values.Seed >= 0, "seed", "must be 0 or greater");
        Require(values.StepsPerChunk is >= 1 and <= 100_000, "stepsPerChunk", "must be between 1 and 100000");
        Require(values.Replicas is >= 1 and <= MaxReplicas, "replicas", $"must be between 1 and {MaxReplicas}");
        Require(values.EvaluationIntervalSteps is >= 1 and <= 10_000_000,
            "evaluationIntervalSteps", "must be between 1 and 10000000");
        Require(values.TargetAccuracy is null || (double.IsFinite(values.TargetAccuracy.Value) && values.TargetAccuracy > 0 && values.TargetAccuracy <= 1),
            "targetAccuracy", "must be greater than 0 and at most 1 when given");
        Require(Enum.IsDefined(values.Optimizer), "optimizer", "must be one of adam, adamw, sgd");
        Require(Enum.IsDefined(values.Model), "model", "must be one of mlp, cnn");
        Require(Enum.IsDefined(values.Dataset), "dataset", "must be one of fashion-mnist, synthetic");

        if (errors.Count > 0)
        {
            return ValidationResult<Hyperparameters>.Failure(errors);
        }

        return ValidationResult<Hyperparameters>.Success(new Hyperparameters
        {
            LearningRate = values.LearningRate,
            BatchSize = values.BatchSize,
            Epochs = values.Epochs,
            MaxSteps = values.MaxSteps,
            Optimizer = values.Optimizer,
            Momentum = values.Momentum,
            WeightDecay = values.WeightDecay,
            Model = values.Model,
            HiddenUnits = values.HiddenUnits,
            Dataset = values.Dataset,
            Seed = values.Seed,
            StepsPerChunk = values.StepsPerChunk,
            Replicas = values.Replicas,
            EvaluationIntervalSteps = values.EvaluationIntervalSteps,
            TargetAccuracy = values.TargetAccuracy,
        });
    }
}

/// <summary>The mutable set of raw values that <see cref="Hyperparameters.Create"/> validates; starts at the defaults.</summary>
public sealed record HyperparametersBuilder
{
    public double LearningRate { get; set; } = 1e-3;
    public int BatchSize { get; set; } = 64;
    public int Epochs { get; set; } = 3;
    public long? MaxSteps { get; set; }
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Adam;
    public double Momentum { get; set; } = 0.9;
    public double WeightDecay { get; set; }
    public ModelArchitecture Model { get; set; } = ModelArchitecture.Cnn;
    public int HiddenUnits { get; set; } = 256;
    public DatasetKind Dataset { get; set; } = DatasetKind.FashionMnist;
    public int Seed { get; set; } = 42;
    public int StepsPerChunk { get; set; } = 250;
    public int Replicas { get; set; } = 1;
    public int EvaluationIntervalSteps { get; set; } = 1000;
    public double? TargetAccuracy { get; set; }
}
