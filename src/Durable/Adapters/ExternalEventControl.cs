using System.Text.Json;
using DurableTrainer.Application.Ports;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Adapters;

/// <summary>
/// Reads the <c>stop</c> and <c>adjust</c> external events between rounds. The waits are created up front and only
/// inspected (never awaited) by the loop, so a run is never blocked by them, and replay sees the same events at the
/// same points because their arrival is recorded in history.
/// </summary>
public sealed class ExternalEventControl : ITrainingControl
{
    public const string StopEvent = "stop";
    public const string AdjustEvent = "adjust";

    private readonly TaskOrchestrationContext _context;
    private readonly Task<JsonElement?> _stop;
    private Task<JsonElement?> _adjust;

    public ExternalEventControl(TaskOrchestrationContext context)
    {
        _context = context;
        _stop = context.WaitForExternalEvent<JsonElement?>(StopEvent);
        _adjust = context.WaitForExternalEvent<JsonElement?>(AdjustEvent);
    }

    public bool StopRequested => _stop.IsCompleted;

    /// <summary>Completes when the stop event arrives: what a trial waiting for its sweep's verdict also listens to.</summary>
    public Task StopSignal => _stop;

    public double? TakeLearningRateScale()
    {
        if (!_adjust.IsCompleted)
        {
            return null;
        }

        double? scale = _adjust.IsCompletedSuccessfully ? ReadScale(_adjust.Result) : null;
        _adjust = _context.WaitForExternalEvent<JsonElement?>(AdjustEvent);
        return scale;
    }

    /// <summary>Accepts <c>{"learningRateScale": 0.5}</c> or a bare number.</summary>
    public static double? ReadScale(JsonElement? data) => data switch
    {
        { ValueKind: JsonValueKind.Number } number when number.TryGetDouble(out double value) => value,
        { ValueKind: JsonValueKind.Object } body when body.TryGetProperty("learningRateScale", out JsonElement value) && value.ValueKind == JsonValueKind.Number => value.GetDouble(),
        _ => null,
    };
}
