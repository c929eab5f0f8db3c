namespace DurableTrainer.Domain.Kinds;

public enum OptimizerKind
{
    Adam,
    AdamW,
    Sgd,
}

/// <summary>Which parameters weight decay applies to.</summary>
public enum WeightDecayScope
{
    /// <summary>Every parameter.</summary>
    All,

    /// <summary>Only parameters of rank 2 and more (weight matrices, embeddings, kernels); biases and norms' scales are left undecayed, as nanoGPT does.</summary>
    Matrices,
}

public enum DatasetKind
{
    /// <summary>Fashion-MNIST from IDX files (60k train, 10k test, 28x28 grey, 10 classes).</summary>
    FashionMnist,

    /// <summary>A small generated 28x28, 10-class problem; deterministic. For fast tests.</summary>
    Synthetic,
}

/// <summary>How the learning rate moves with the step, before the run's learning-rate scale is applied.</summary>
public enum LearningRateSchedule
{
    Constant,

    /// <summary>Rises linearly over the warm-up steps, then stays.</summary>
    LinearWarmup,

    /// <summary>Linear warm-up, then a half cosine down to the minimum factor at the last step.</summary>
    CosineWithWarmup,

    /// <summary>Multiplied by the decay factor every so many steps.</summary>
    StepDecay,
}

/// <summary>How replicas' parameters become the next global model.</summary>
public enum MergeStrategy
{
    /// <summary>Plain parameter average.</summary>
    Average,

    /// <summary>DiLoCo-style: an outer SGD step with Nesterov momentum on the averaged parameter change.</summary>
    OuterNesterov,
}

/// <summary>
/// The evaluation metric that early stopping, reduce-on-plateau, the target and "best" are judged by. A new metric is a
/// member here, marked with the way it improves (and <see cref="FractionAttribute"/> when it lies in (0, 1]).
/// </summary>
public enum MonitorMetric
{
    [Improves(MonitorMode.Max)]
    [Fraction]
    Accuracy,

    [Improves(MonitorMode.Min)]
    Loss,

    /// <summary>Area under the ROC curve of the positive class; binary classification only.</summary>
    [Improves(MonitorMode.Max)]
    [Fraction]
    Auc,

    /// <summary>Root mean squared error, in the target's own units; regression only.</summary>
    [Improves(MonitorMode.Min)]
    Rmse,

    /// <summary>Mean absolute error, in the target's own units; regression only.</summary>
    [Improves(MonitorMode.Min)]
    Mae,

    /// <summary>Coefficient of determination; regression only.</summary>
    [Improves(MonitorMode.Max)]
    R2,

    /// <summary>e to the mean next-token loss: the number of tokens the model is as unsure as choosing among; language models only.</summary>
    [Improves(MonitorMode.Min)]
    Perplexity,

    /// <summary>The mean next-token loss in bits (per character for the char tokenizer); language models only.</summary>
    [Improves(MonitorMode.Min)]
    BitsPerToken,
}

/// <summary>
/// What a run learns to predict; it decides the loss, the output count and the metrics. A new task is a member here,
/// marked with the scores its evaluations report (the first one judges a run by default), and one objective class in
/// the executor's LearningTasks folder.
/// </summary>
public enum LearningTask
{
    /// <summary>One of several classes: cross-entropy; accuracy.</summary>
    [Reports(MonitorMetric.Accuracy)]
    Classification,

    /// <summary>One of two classes: cross-entropy over two outputs; accuracy and ROC AUC.</summary>
    [Reports(MonitorMetric.Accuracy, MonitorMetric.Auc)]
    Binary,

    /// <summary>Numeric targets: mean squared error on standardized targets; RMSE, MAE and R² in the targets' units.</summary>
    [Reports(MonitorMetric.Rmse, MonitorMetric.Mae, MonitorMetric.R2)]
    Regression,

    /// <summary>The next token at every position of a text: cross-entropy over the vocabulary; perplexity and bits per token.</summary>
    [Reports(MonitorMetric.Perplexity, MonitorMetric.BitsPerToken)]
    LanguageModel,
}

/// <summary>How a text becomes token ids.</summary>
public enum TokenizerKind
{
    /// <summary>One token per character (Unicode scalar value) of the training text, plus an unknown token; the vocabulary is stored with the run.</summary>
    Char,

    /// <summary>One token per UTF-8 byte: a fixed vocabulary of 256.</summary>
    Byte,

    /// <summary>GPT-2's byte-pair encoding: a fixed vocabulary of 50,257.</summary>
    Gpt2,
}

/// <summary>Which part of the data an evaluation measures: validation while training (every decision), test at the end.</summary>
public enum EvaluationSplit
{
    Validation,
    Test,
}

public enum MonitorMode
{
    Max,
    Min,
}

/// <summary>How one parameter of a sweep varies: a list of values, or a range of numbers.</summary>
public enum DistributionKind
{
    /// <summary>One of the listed values (a grid visits each; random search picks one uniformly).</summary>
    Choice,

    /// <summary>A real number drawn uniformly between the bounds.</summary>
    Uniform,

    /// <summary>A real number whose logarithm is uniform between the bounds' logarithms; both bounds above 0.</summary>
    LogUniform,

    /// <summary>A whole number between the bounds, both included.</summary>
    Int,
}

/// <summary>How a sweep picks its trials' parameters.</summary>
public enum SearchMethod
{
    /// <summary>Every combination of every parameter's values.</summary>
    Grid,

    /// <summary>A fixed number of points drawn from the space with a seed.</summary>
    Random,
}

/// <summary>What stops a sweep's trials early.</summary>
public enum SweepSchedulerKind
{
    /// <summary>Nothing: every trial runs its full plan.</summary>
    None,

    /// <summary>Asynchronous successive halving: at each rung a trial goes on only when it is in the top 1/η so far.</summary>
    Asha,
}

/// <summary>Which of a run's checkpoints a model is taken from.</summary>
public enum CheckpointChoice
{
    /// <summary>The checkpoint the run ended on.</summary>
    Final,

    /// <summary>The checkpoint that scored best on validation (the run's monitored metric).</summary>
    Best,
}

/// <summary>The file format batch predictions are written in.</summary>
public enum PredictionOutputFormat
{
    /// <summary>A header and one row per input row: the id column when named, the prediction, each class's probability.</summary>
    Csv,

    /// <summary>The same columns as CSV, typed.</summary>
    Parquet,

    /// <summary>The numbers only: class probabilities [N, classes], or predicted values [N] or [N, targets].</summary>
    Npy,
}
