using DurableTrainer.Cli.Commands;

namespace DurableTrainer.Cli.Client;

/// <summary>A failure to explain to the user in sentences, with the fix where there is one, and the exit code it means.</summary>
public sealed class CliException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>True when nothing listened at the server's address (the connection was refused), as opposed to a failure or a timeout.</summary>
    public bool NothingListening { get; init; }

    public static CliException Usage(string message) => new(message, ExitCodes.Usage);
}
