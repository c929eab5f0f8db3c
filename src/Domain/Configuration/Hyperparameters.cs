namespace DurableTrainer.Domain.Configuration;

/// <summary>
/// The immutable training configuration. It can only be obtained through <see cref="Create"/>, which checks every
/// rule and reports every broken one at once, so holding a <see cref="Hyperparameters"/> means holding a valid one.
/// Field names in errors are the request's JSON names.
/// </summary>
public sealed record Hyperparameters
{
    public const int MaxBatchSize = 4096;
    public const long MaxTotalSteps = 10_000_000;
    public const int MaxReplicas = 16;
    public const int MaxEffectiveBatchSize = 65_536;

    private Hyperparameters(HyperparametersBuilder values, MonitorMode monitorMode)
    {
        Values = values with { MonitorMode = monitorMode };
    }

    // A private copy of the validated values; the builder is a record, so the copy cannot be changed from outside.
    private HyperparametersBuilder Values { get; }

    public double LearningRate => Values.LearningRate;
    public int BatchSize => Values.BatchSize;
    public int Epochs => Values.Epochs;

    /// <summary>When set, overrides <see cref="Epochs"/> as the total number of optimizer steps (over all replicas).</summary>
    public long? MaxSteps => Values.MaxSteps;

    public OptimizerKind Optimizer => Values.Optimizer;
    public double Momentum => Values.Momentum;
    public bool Nesterov => Values.Nesterov;
    public double Beta1 => Values.Beta1;
    public double Beta2 => Values.Beta2;
    public double WeightDecay => Values.WeightDecay;
    public double? GradientClipNorm => Values.GradientClipNorm;
    public LearningRateSchedule LearningRateSchedule => Values.LearningRateSchedule;
    public int WarmupSteps => Values.WarmupSteps;
    public int StepDecayEvery => Values.StepDecayEvery;
    public double StepDecayFactor => Values.StepDecayFactor;
    public double MinLearningRateFactor => Values.MinLearningRateFactor;
    public ModelArchitecture Model => Values.Model;
    public int HiddenUnits => Values.HiddenUnits;

    /// <summary>Hidden layers of the MLP (each <see cref="HiddenUnits"/> wide); the CNN ignores it.</summary>
    public int HiddenLayers => Values.HiddenLayers;

    /// <summary>Output channels of the CNN's first convolution (the second has twice as many); the MLP ignores it.</summary>
    public int ConvChannels => Values.ConvChannels;

    /// <summary>Batch normalization after every hidden linear or convolution layer.</summary>
    public bool BatchNorm => Values.BatchNorm;

    /// <summary>Dropout probability before every hidden-to-hidden and hidden-to-output linear layer; 0 turns it off.</summary>
    public double Dropout => Values.Dropout;

    /// <summary>Micro-batches whose gradients are summed into one optimizer step; the effective batch is this times <see cref="BatchSize"/>.</summary>
    public int GradientAccumulationSteps => Values.GradientAccumulationSteps;

    /// <summary>Examples behind one optimizer step.</summary>
    public int EffectiveBatchSize => BatchSize * GradientAccumulationSteps;
    public DatasetKind Dataset => Values.Dataset;
    public int Seed => Values.Seed;
    public int StepsPerChunk => Values.StepsPerChunk;
    public int Replicas => Values.Replicas;
    public MergeStrategy MergeStrategy => Values.MergeStrategy;
    public double OuterLearningRate => Values.OuterLearningRate;
    public double OuterMomentum => Values.OuterMomentum;

    /// <summary>Evaluate on the test split after at least this many steps since the last evaluation (and always at the end).</summary>
    public int EvaluationIntervalSteps => Values.EvaluationIntervalSteps;

    /// <summary>Keep a checkpoint each time training crosses a multiple of this many steps.</summary>
    public int CheckpointIntervalSteps => Values.CheckpointIntervalSteps;

    /// <summary>How many of those kept checkpoints to retain; the newest and the best are kept regardless.</summary>
    public int KeepLastCheckpoints => Values.KeepLastCheckpoints;

    public MonitorMetric MonitorMetric => Values.MonitorMetric;
    public MonitorMode MonitorMode => Values.MonitorMode!.Value;

    /// <summary>Evaluations without improvement before stopping; 0 turns early stopping off.</summary>
    public int EarlyStoppingPatience => Values.EarlyStoppingPatience;
    public double EarlyStoppingMinDelta => Values.EarlyStoppingMinDelta;

    /// <summary>Evaluations without improvement before the learning rate is cut; 0 turns it off.</summary>
    public int PlateauPatience => Values.PlateauPatience;
    public double PlateauFactor => Values.PlateauFactor;
    public double MinLearningRate => Values.MinLearningRate;

    /// <summary>A round whose loss exceeds this many times the best round loss counts as diverged; 0 checks only for non-finite loss.</summary>
    public double DivergenceFactor => Values.DivergenceFactor;
    public int MaxRollbacks => Values.MaxRollbacks;
    public double RollbackLearningRateFactor => Values.RollbackLearningRateFactor;
    public double? TimeBudgetSeconds => Values.TimeBudgetSeconds;

    /// <summary>Stop once the monitored metric reaches this value (at least it for max, at most it for min).</summary>
    public double? TargetMetric => Values.TargetMetric;

    /// <summary>Rounds one orchestration execution runs before continuing as new with compact state.</summary>
    public int RoundsPerExecution => Values.RoundsPerExecution;
    public int ActivityMaxAttempts => Values.ActivityMaxAttempts;
    public double ActivityFirstRetrySeconds => Values.ActivityFirstRetrySeconds;

    public static HyperparametersBuilder Defaults => new();

    /// <summary>The values, with the monitor mode resolved, as a builder again (for example to change one and re-validate).</summary>
    public HyperparametersBuilder ToBuilder() => Values with { };

    /// <summary>Validates a full set of values. Returns the value object, or every broken rule.</summary>
    public static ValidationResult<Hyperparameters> Create(HyperparametersBuilder values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = new List<ValidationError>();
        void Require(bool ok, string field, string rule)
        {
            if (!ok)
            {
                errors.Add(new ValidationError(field, rule));
            }
        }

        static bool Between(double value, double low, double high) => double.IsFinite(value) && value >= low && value <= high;

        Require(double.IsFinite(values.LearningRate) && values.LearningRate > 0 && values.LearningRate <= 10,
            "learningRate", "must be a finite number greater than 0 and at most 10");
        Require(values.BatchSize is >= 1 and <= MaxBatchSize, "batchSize", $"must be between 1 and {MaxBatchSize}");
        Require(values.Epochs is >= 1 and <= 1000, "epochs", "must be between 1 and 1000");
        Require(values.MaxSteps is null || (values.MaxSteps >= 1 && values.MaxSteps <= MaxTotalSteps),
            "maxSteps", $"must be between 1 and {MaxTotalSteps} when given");
        Require(Enum.IsDefined(values.Optimizer), "optimizer", "must be one of adam, adamw, sgd");
        Require(double.IsFinite(values.Momentum) && values.Momentum >= 0 && values.Momentum < 1, "momentum", "must be at least 0 and less than 1");
        Require(!values.Nesterov || (values.Optimizer == OptimizerKind.Sgd && values.Momentum > 0),
            "nesterov", "needs optimizer sgd with momentum greater than 0");
        Require(double.IsFinite(values.Beta1) && values.Beta1 >= 0 && values.Beta1 < 1, "beta1", "must be at least 0 and less than 1");
        Require(double.IsFinite(values.Beta2) && values.Beta2 >= 0 && values.Beta2 < 1, "beta2", "must be at least 0 and less than 1");
        Require(Between(values.WeightDecay, 0, 1), "weightDecay", "must be between 0 and 1");
        Require(values.GradientClipNorm is null || (double.IsFinite(values.GradientClipNorm.Value) && values.GradientClipNorm > 0 && values.GradientClipNorm <= 1e6),
            "gradientClipNorm", "must be greater than 0 and at most 1000000 when given");
        Require(Enum.IsDefined(values.LearningRateSchedule), "learningRateSchedule", "must be one of constant, linear-warmup, cosine-with-warmup, step-decay");
        Require(values.WarmupSteps is >= 0 and <= 10_000_000, "warmupSteps", "must be between 0 and 10000000");
        Require(values.StepDecayEvery is >= 1 and <= 10_000_000, "stepDecayEvery", "must be between 1 and 10000000");
        Require(double.IsFinite(values.StepDecayFactor) && values.StepDecayFactor > 0 && values.StepDecayFactor <= 1, "stepDecayFactor", "must be greater than 0 and at most 1");
        Require(Between(values.MinLearningRateFactor, 0, 1), "minLearningRateFactor", "must be between 0 and 1");
        Require(Enum.IsDefined(values.Model), "model", "must be one of mlp, cnn");
        Require(values.HiddenUnits is >= 8 and <= 4096, "hiddenUnits", "must be between 8 and 4096");
        Require(values.HiddenLayers is >= 1 and <= 8, "hiddenLayers", "must be between 1 and 8");
        Require(values.ConvChannels is >= 4 and <= 256, "convChannels", "must be between 4 and 256");
        Require(double.IsFinite(values.Dropout) && values.Dropout >= 0 && values.Dropout < 1, "dropout", "must be at least 0 and less than 1");
        Require(values.GradientAccumulationSteps is >= 1 and <= 1024, "gradientAccumulationSteps", "must be between 1 and 1024");
        Require(values.GradientAccumulationSteps is < 1 or > 1024 || values.BatchSize is < 1 or > MaxBatchSize || (long)values.BatchSize * values.GradientAccumulationSteps <= MaxEffectiveBatchSize,
            "gradientAccumulationSteps", $"times batchSize must be at most {MaxEffectiveBatchSize}");
        Require(Enum.IsDefined(values.Dataset), "dataset", "must be one of fashion-mnist, synthetic");
        Require(values.Seed >= 0, "seed", "must be 0 or greater");
        Require(values.StepsPerChunk is >= 1 and <= 100_000, "stepsPerChunk", "must be between 1 and 100000");
        Require(values.Replicas is >= 1 and <= MaxReplicas, "replicas", $"must be between 1 and {MaxReplicas}");
        Require(values.MaxSteps is null || values.Replicas is < 1 or > MaxReplicas || values.MaxSteps >= values.Replicas,
            "maxSteps", "must be at least replicas (every replica runs at least one step)");
        Require(Enum.IsDefined(values.MergeStrategy), "mergeStrategy", "must be one of average, outer-nesterov");
        Require(double.IsFinite(values.OuterLearningRate) && values.OuterLearningRate > 0 && values.OuterLearningRate <= 10, "outerLearningRate", "must be greater than 0 and at most 10");
        Require(double.IsFinite(values.OuterMomentum) && values.OuterMomentum >= 0 && values.OuterMomentum < 1, "outerMomentum", "must be at least 0 and less than 1");
        Require(values.EvaluationIntervalSteps is >= 1 and <= 10_000_000, "evaluationIntervalSteps", "must be between 1 and 10000000");
        Require(values.CheckpointIntervalSteps is >= 1 and <= 10_000_000, "checkpointIntervalSteps", "must be between 1 and 10000000");
        Require(values.KeepLastCheckpoints is >= 1 and <= 1000, "keepLastCheckpoints", "must be between 1 and 1000");
        Require(Enum.IsDefined(values.MonitorMetric), "monitorMetric", "must be one of accuracy, loss");
        Require(values.MonitorMode is null || Enum.IsDefined(values.MonitorMode.Value), "monitorMode", "must be one of max, min");
        Require(values.EarlyStoppingPatience is >= 0 and <= 1000, "earlyStoppingPatience", "must be between 0 (off) and 1000 evaluations");
        Require(Between(values.EarlyStoppingMinDelta, 0, 1e6), "earlyStoppingMinDelta", "must be between 0 and 1000000");
        Require(values.PlateauPatience is >= 0 and <= 1000, "plateauPatience", "must be between 0 (off) and 1000 evaluations");
        Require(double.IsFinite(values.PlateauFactor) && values.PlateauFactor > 0 && values.PlateauFactor < 1, "plateauFactor", "must be greater than 0 and less than 1");
        Require(double.IsFinite(values.MinLearningRate) && values.MinLearningRate >= 0 && (values.MinLearningRate <= values.LearningRate || !(values.LearningRate > 0)),
            "minLearningRate", "must be at least 0 and at most learningRate");
        Require(double.IsFinite(values.DivergenceFactor) && (values.DivergenceFactor == 0 || (values.DivergenceFactor > 1 && values.DivergenceFactor <= 1e6)),
            "divergenceFactor", "must be 0 (off) or greater than 1 and at most 1000000");
        Require(values.MaxRollbacks is >= 0 and <= 100, "maxRollbacks", "must be between 0 and 100");
        Require(double.IsFinite(values.RollbackLearningRateFactor) && values.RollbackLearningRateFactor > 0 && values.RollbackLearningRateFactor < 1,
            "rollbackLearningRateFactor", "must be greater than 0 and less than 1");
        Require(values.TimeBudgetSeconds is null || (double.IsFinite(values.TimeBudgetSeconds.Value) && values.TimeBudgetSeconds > 0 && values.TimeBudgetSeconds <= 31_536_000),
            "timeBudgetSeconds", "must be greater than 0 and at most 31536000 (a year) when given");
        Require(values.TargetMetric is null || double.IsFinite(values.TargetMetric.Value), "targetMetric", "must be a finite number when given");
        Require(values.TargetMetric is null || values.MonitorMetric != MonitorMetric.Accuracy || (values.TargetMetric > 0 && values.TargetMetric <= 1),
            "targetMetric", "must be greater than 0 and at most 1 when the monitored metric is accuracy");
        Require(values.RoundsPerExecution is >= 1 and <= 10_000, "roundsPerExecution", "must be between 1 and 10000");
        Require(values.ActivityMaxAttempts is >= 1 and <= 10, "activityMaxAttempts", "must be between 1 and 10");
        Require(Between(values.ActivityFirstRetrySeconds, 0.01, 3600), "activityFirstRetrySeconds", "must be between 0.01 and 3600");

        if (errors.Count > 0)
        {
            return ValidationResult<Hyperparameters>.Failure(errors);
        }

        MonitorMode mode = values.MonitorMode ?? (values.MonitorMetric == MonitorMetric.Accuracy ? MonitorMode.Max : MonitorMode.Min);
        return ValidationResult<Hyperparameters>.Success(new Hyperparameters(values, mode));
    }

    /// <summary>True when <paramref name="candidate"/> beats <paramref name="reference"/> by more than <paramref name="minDelta"/> in the monitored direction.</summary>
    public bool IsImprovement(double candidate, double? reference, double minDelta = 0) =>
        reference is null || (MonitorMode == MonitorMode.Max ? candidate > reference + minDelta : candidate < reference - minDelta);

    public double MonitoredValue(double loss, double accuracy) => MonitorMetric == MonitorMetric.Accuracy ? accuracy : loss;
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
    public bool Nesterov { get; set; }
    public double Beta1 { get; set; } = 0.9;
    public double Beta2 { get; set; } = 0.999;
    public double WeightDecay { get; set; }
    public double? GradientClipNorm { get; set; }
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.Constant;
    public int WarmupSteps { get; set; }
    public int StepDecayEvery { get; set; } = 1000;
    public double StepDecayFactor { get; set; } = 0.5;
    public double MinLearningRateFactor { get; set; }
    public ModelArchitecture Model { get; set; } = ModelArchitecture.Cnn;
    public int HiddenUnits { get; set; } = 256;
    public int HiddenLayers { get; set; } = 1;
    public int ConvChannels { get; set; } = 32;
    public bool BatchNorm { get; set; }
    public double Dropout { get; set; }
    public int GradientAccumulationSteps { get; set; } = 1;
    public DatasetKind Dataset { get; set; } = DatasetKind.FashionMnist;
    public int Seed { get; set; } = 42;
    public int StepsPerChunk { get; set; } = 250;
    public int Replicas { get; set; } = 1;
    public MergeStrategy MergeStrategy { get; set; } = MergeStrategy.Average;
    public double OuterLearningRate { get; set; } = 0.7;
    public double OuterMomentum { get; set; } = 0.9;
    public int EvaluationIntervalSteps { get; set; } = 1000;
    public int CheckpointIntervalSteps { get; set; } = 1000;
    public int KeepLastCheckpoints { get; set; } = 3;
    public MonitorMetric MonitorMetric { get; set; } = MonitorMetric.Accuracy;
    public MonitorMode? MonitorMode { get; set; }
    public int EarlyStoppingPatience { get; set; }
    public double EarlyStoppingMinDelta { get; set; }
    public int PlateauPatience { get; set; }
    public double PlateauFactor { get; set; } = 0.5;
    public double MinLearningRate { get; set; } = 1e-6;
    public double DivergenceFactor { get; set; } = 10;
    public int MaxRollbacks { get; set; } = 2;
    public double RollbackLearningRateFactor { get; set; } = 0.5;
    public double? TimeBudgetSeconds { get; set; }
    public double? TargetMetric { get; set; }
    public int RoundsPerExecution { get; set; } = 50;
    public int ActivityMaxAttempts { get; set; } = 3;
    public double ActivityFirstRetrySeconds { get; set; } = 5;
}
