using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Application.Specification;

/// <summary>
/// The <c>execution</c> section: how the engine runs a run, not what the run is. Steps per chunk sets the length of
/// one activity (the domain plans rounds of it); chunk seconds, when given, lets the domain size the rounds after
/// the first to last about that long at the measured rate, so the fixed cost of a round (dispatch, checkpoint
/// transfer) stays a small share however fast the model trains; rounds per execution bounds orchestration history
/// before a continue-as-new; attempts and the first retry delay make the activities' retry policy.
/// </summary>
public sealed record ExecutionSettings(
    int StepsPerChunk = 250,
    int RoundsPerExecution = 50,
    int ActivityMaxAttempts = 3,
    double ActivityFirstRetrySeconds = 5,
    double? ChunkSeconds = null)
{
    public const string Path = "execution";

    /// <summary>The longest chunk time allowed: the default timeout of a function on the Flex Consumption plan is 30 minutes.</summary>
    public const double MaxChunkSeconds = 1800;

    public static ExecutionSettings Default { get; } = new();

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new SectionRules(Path);
        rules.Require(StepsPerChunk is >= 1 and <= 100_000, "stepsPerChunk", "must be between 1 and 100000");
        rules.Require(RoundsPerExecution is >= 1 and <= 10_000, "roundsPerExecution", "must be between 1 and 10000");
        rules.Require(ActivityMaxAttempts is >= 1 and <= 10, "activityMaxAttempts", "must be between 1 and 10");
        rules.Require(SectionRules.Between(ActivityFirstRetrySeconds, 0.01, 3600), "activityFirstRetrySeconds", "must be between 0.01 and 3600");
        rules.Require(ChunkSeconds is null || SectionRules.Between(ChunkSeconds.Value, 1, MaxChunkSeconds), "chunkSeconds", $"must be between 1 and {MaxChunkSeconds:0} seconds when given");
        return rules.Errors;
    }
}
