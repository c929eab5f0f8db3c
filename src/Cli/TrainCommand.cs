using System.Diagnostics;
using System.Text.Json.Nodes;
using DurableTrainer.Api;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Cli.LocalStack;

namespace DurableTrainer.Cli;

/// <summary>
/// <c>dtrain train</c>: start the local stack unless a server is given, submit a run (the embedded default
/// configuration, overridden by options), print progress until it ends, then report and stop what it started.
/// </summary>
public sealed class TrainCommand(TextWriter output)
{
    public const string HubName = "DurableTrainer";

    public async Task<int> RunAsync(JsonObject request, Uri? server, CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        AzuriteServer? azurite = null;
        WorkerServer? worker = null;
        try
        {
            Uri baseAddress;
            if (server is not null)
            {
                baseAddress = server;
            }
            else
            {
                string root = RepositoryLayout.FindRoot();
                string logs = Path.Combine(root, ".azurite", "logs");
                bool defaultPortsFree = !await ChildProcess.IsListeningAsync(10000) && !await ChildProcess.IsListeningAsync(10001) && !await ChildProcess.IsListeningAsync(10002);
                azurite = defaultPortsFree
                    ? await AzuriteServer.StartAsync(root, Path.Combine(root, ".azurite", "data"), Path.Combine(logs, "azurite.log"), 10000, 10001, 10002)
                    : await AzuriteServer.StartAsync(root, Path.Combine(root, ".azurite", "data"), Path.Combine(logs, "azurite.log"));
                output.WriteLine($"Azurite listening on 127.0.0.1:{azurite.BlobPort} (data in .azurite/data).");
                worker = await WorkerServer.StartAsync(root, azurite.ConnectionString, HubName, Path.Combine(logs, "worker.log"));
                output.WriteLine($"Worker listening on {worker.BaseAddress} (log in .azurite/logs/worker.log).");
                baseAddress = worker.BaseAddress;
            }

            using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var client = new TrainingApiClient(http);
            ManagementPayload payload = await client.StartAsync(request, cancellationToken);
            output.WriteLine($"Started run {payload.Id}. Status: {payload.StatusQueryGetUri}");
            InstanceStatus status = await WatchAsync(client, payload, cancellationToken);
            return Report(status, wall.Elapsed, azurite);
        }
        catch (CliException exception)
        {
            output.WriteLine("Error: " + exception.Message);
            return 2;
        }
        catch (HttpRequestException exception)
        {
            output.WriteLine($"Error: the server at {server} could not be reached ({exception.Message}). Is it running?");
            return 2;
        }
        finally
        {
            if (worker is not null)
            {
                await worker.DisposeAsync();
            }

            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }
        }
    }

    private async Task<InstanceStatus> WatchAsync(TrainingApiClient client, ManagementPayload payload, CancellationToken cancellationToken)
    {
        long lastStep = -1;
        string? lastPhase = null;
        while (true)
        {
            InstanceStatus status = await client.GetStatusAsync(payload.StatusQueryGetUri, cancellationToken);
            TrainingProgress? progress = TrainingApiClient.Read<TrainingProgress>(status.CustomStatus);
            if (progress is not null && (progress.Step != lastStep || progress.Phase != lastPhase))
            {
                output.WriteLine(Describe(progress));
                lastStep = progress.Step;
                lastPhase = progress.Phase;
            }

            if (!status.IsRunning)
            {
                return status;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private int Report(InstanceStatus status, TimeSpan wall, AzuriteServer? azurite)
    {
        TrainingOutcome? outcome = TrainingApiClient.Read<TrainingOutcome>(status.Output);
        if (outcome is null)
        {
            output.WriteLine($"Run {status.InstanceId} ended as {status.RuntimeStatus} without an outcome: {status.Output}");
            return 1;
        }

        output.WriteLine();
        output.WriteLine($"Run {outcome.RunId}: {outcome.Status}{(outcome.StopReason is null ? string.Empty : $" ({outcome.StopReason})")} in {wall.TotalSeconds:F1} s wall time.");
        if (outcome.FailureReason is not null)
        {
            output.WriteLine($"Failure: {outcome.FailureReason}");
        }

        if (outcome.FinalEvaluation is { } final)
        {
            output.WriteLine($"Final test accuracy: {final.Accuracy:F4} (test loss {final.Loss:F4}) after {outcome.StepsDone} steps.");
        }

        if (outcome.TrainingSeconds > 0)
        {
            output.WriteLine($"Training throughput: {outcome.SamplesSeen / outcome.TrainingSeconds:F0} samples/s ({outcome.SamplesSeen} samples in {outcome.TrainingSeconds:F1} s of chunk time).");
        }

        if (outcome.FinalCheckpoint is not null)
        {
            string where = azurite is null ? outcome.FinalCheckpoint : $"{azurite.BlobEndpoint}/checkpoints/{outcome.FinalCheckpoint}.ckpt";
            output.WriteLine($"Final checkpoint: {where}");
        }

        return outcome.Status == "Completed" ? 0 : 1;
    }

    private static string Describe(TrainingProgress progress)
    {
        double percent = progress.TotalSteps > 0 ? 100.0 * progress.Step / progress.TotalSteps : 0;
        string line = progress.TotalRounds == 0
            ? $"[{percent,5:F1}%] {progress.Phase}"
            : $"[{percent,5:F1}%] {progress.Phase,-12} round {progress.Round}/{progress.TotalRounds} step {progress.Step}/{progress.TotalSteps} epoch {progress.Epoch:F2}";
        if (progress.LastLoss is { } loss)
        {
            line += $" loss {loss:F4}";
        }

        if (progress.SamplesPerSecond is { } rate)
        {
            line += $" {rate:F0} samples/s";
        }

        if (progress.LastEvaluation is { } evaluation)
        {
            line += $" test acc {evaluation.Accuracy:F4}";
        }

        if (progress.SecondsRemaining is { } eta && progress.Step < progress.TotalSteps)
        {
            line += $" eta {eta:F0}s";
        }

        return line;
    }
}
