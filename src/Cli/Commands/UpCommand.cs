using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using DurableTrainer.Cli.Client;
using DurableTrainer.Cli.LocalStack;

namespace DurableTrainer.Cli.Commands;

/// <summary>
/// <c>dtrain up</c>: starts Azurite and the worker on the repository's local data (where <c>dtrain train</c> keeps its
/// runs), prints the API's and the dashboard's addresses, and keeps them up until Ctrl+C. A note beside the data
/// (<see cref="StandingStack"/>) lets every other command on the same data use this stack instead of starting one.
/// </summary>
public sealed class UpCommand(CliHost host)
{
    public Command Create()
    {
        var command = new Command("up", "Start Azurite and the worker on the local data and keep them up until Ctrl+C: the API and the dashboard, for every other command without --server.");
        command.SetAction((_, cancellationToken) => RunAsync(cancellationToken));
        return command;
    }

    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The session is disposed asynchronously in the finally block.")]
    private async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (await StandingStack.FindAsync(cancellationToken) is { } standing)
        {
            WriteAddresses(standing.Address);
            host.Error.WriteLine($"A local stack is already up (dtrain up, process {standing.ProcessId}); nothing was started.");
            return ExitCodes.Success;
        }

        LocalStackSession stack;
        try
        {
            stack = await LocalStackSession.StartAsync(host.Error);
        }
        catch (InvalidOperationException exception)
        {
            throw new CliException($"The local stack did not start: {exception.Message}", ExitCodes.Unreachable);
        }

        try
        {
            StandingStack.Write(new StandingStack.Note(stack.BaseAddress, new Uri(stack.Azurite.BlobEndpoint), Environment.ProcessId));
            WriteAddresses(stack.BaseAddress);
            host.Error.WriteLine("Up until Ctrl+C. Commands without --server (train, predict, status, list, plot, export, sweep) use this stack.");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                host.Error.WriteLine("Stopping the local stack...");
            }

            return ExitCodes.Success;
        }
        finally
        {
            StandingStack.Remove(Environment.ProcessId);
            await stack.DisposeAsync();
        }
    }

    private void WriteAddresses(Uri address)
    {
        host.Out.WriteLine($"API: {ServerErrors.Display(new Uri(address, "api/training"))}");
        host.Out.WriteLine($"Dashboard: {ServerErrors.Display(new Uri(address, "dashboard"))}");
        host.Out.Flush();
    }
}
