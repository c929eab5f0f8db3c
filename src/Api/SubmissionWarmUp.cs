using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using DurableTrainer.Api.Requests;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;
using DurableTrainer.Application.UseCases;
using DurableTrainer.Contracts;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DurableTrainer.Api;

/// <summary>
/// Checks, once at start-up and in the background, the run this host is told to expect: the setting
/// <see cref="Setting"/> holds a run specification as <c>POST /api/training</c> takes it.
/// <para>
/// Checking a run reads its data into the dataset cache and compiles the submission path. On a fresh worker that is
/// seconds (Fashion-MNIST: 1-3 s of decoding, plus the JIT) the first submission would otherwise spend while the
/// client waits. Done while the host waits for storage, it costs nothing: the submission finds the data loaded, or
/// waits for the same load to finish. Nothing is scheduled. A run that does not validate is logged, naming the
/// setting, the field and the rule, and left to its submission to report.
/// </para>
/// </summary>
public sealed class SubmissionWarmUp(IConfiguration configuration, IDatasetCatalog datasets, IModelCatalog models, ILogger<SubmissionWarmUp> logger) : BackgroundService
{
    public const string Setting = ApiLimits.WarmUpRunSetting;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (configuration[Setting] is not { Length: > 0 } run)
        {
            return;
        }

        // Off the start-up thread: reading a built-in dataset is synchronous, and the host must start listening meanwhile.
        await Task.Run(() => WarmUpAsync(run, stoppingToken), stoppingToken);
    }

    /// <summary>
    /// The submission writes the run's input as its orchestration's, and the first episode reads it back; the
    /// episodes and activities then pass the run's commands and results. The first time a process serializes or reads
    /// a type, System.Text.Json builds its metadata and compiles its accessors (for the request alone that took 0.2 s
    /// in a fresh worker); done here, with the run's own recipe, the first run does not wait for it.
    /// </summary>
    private static void RoundTripTheRunsMessages(ValidatedRequest validated)
    {
        TrainingSpecification specification = validated.Specification;
        var recipe = TrainingRecipe.From(specification);
        RunId warmUp = RunId.Parse("warm-up");
        var start = CheckpointReference.Initial(warmUp);
        var output = CheckpointReference.ForReplica(warmUp, 1, 0);
        var evaluation = new EvaluationResult(EvaluationMetrics.Classification(0, 1, 0.5, 1), 1) { Timing = new ExecutorTiming(1, 0, 0) };
        RoundTrip(new TrainingRunInput(warmUp, specification, validated.Execution));
        RoundTrip(new InitializeCommand(start, recipe));
        RoundTrip(new InitializationResult(start, 1, 1, 1, 1));
        RoundTrip(new ChunkCommand(start, output, 0, 1, 0, 1, 1, recipe, 1) { Evaluate = new ForeseenEvaluations(true, true) });
        RoundTrip(new ChunkResult(output, 1, 1, 1, 1, 1, [new StepMetric(1, 1, 1)]) { Timing = new ExecutorTiming(1, 0, 0), Validation = evaluation, Test = evaluation });
        RoundTrip(new EvaluateCommand(output, recipe, EvaluationSplit.Test));
        RoundTrip(evaluation);
        RoundTrip(new MergeCommand([output], CheckpointReference.Merged(warmUp, 1), recipe, specification.Replicas, start));
    }

    private static void RoundTrip<T>(T message) =>
        _ = JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(message, MessageJson.Options), MessageJson.Options);

    /// <summary>Checks the run; the errors found (already logged), or none.</summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A warm-up is an optimisation: any failure is logged and the submission meets it again and reports it.")]
    public async Task<IReadOnlyList<ValidationError>> WarmUpAsync(string run, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        var (request, readErrors) = TrainingRequestReader.Read(Encoding.UTF8.GetBytes(run));
        IReadOnlyList<ValidationError> errors;
        try
        {
            // The submission's own validation, scheduling nothing.
            (ValidatedRequest? validated, errors) = request is null ? (null, readErrors) : await TrainingRequestValidator.ValidateAsync(request, datasets, models, cancellationToken);
            if (validated is not null && errors.Count == 0)
            {
                RoundTripTheRunsMessages(validated);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return [];
        }
        catch (Exception exception)
        {
            // A warm-up is an optimisation: whatever went wrong here, the submission meets again and reports.
            logger.LogWarning(exception, "Warming up for the run in {Setting} failed; its submission will load what it needs.", Setting);
            return [new ValidationError(Setting, exception.Message)];
        }

        if (errors.Count > 0)
        {
            logger.LogWarning(
                "The run in {Setting} does not validate, so nothing was warmed up: {Errors}.",
                Setting, string.Join("; ", errors.Select(error => $"{error.Field} {error.Rule}")));
        }
        else
        {
            logger.LogInformation("Warmed up for the run in {Setting}: its data is loaded and its model checked, in {Seconds:F2} s.", Setting, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        return errors;
    }
}
