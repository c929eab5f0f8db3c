namespace DurableTrainer.Cli.Commands;

/// <summary>What <c>dtrain</c> exits with, so scripts can tell a finished run from a failed one from a typo.</summary>
public static class ExitCodes
{
    /// <summary>Done; for the commands that watch a run, the run completed by its own rules.</summary>
    public const int Success = 0;

    /// <summary>The watched run failed (a training error, or divergence past its rollbacks).</summary>
    public const int RunFailed = 1;

    /// <summary>The command line or a config file is wrong.</summary>
    public const int Usage = 2;

    /// <summary>The watched run was stopped early (a stop request or its time budget) and ended on its checkpoint.</summary>
    public const int RunStopped = 3;

    /// <summary>The watched run was terminated.</summary>
    public const int RunTerminated = 4;

    /// <summary>The server refused the request (invalid fields, an existing run id, no final model yet).</summary>
    public const int Rejected = 5;

    /// <summary>No such run, or the server lacks the route (an older worker).</summary>
    public const int NotFound = 6;

    /// <summary>The server refused the key.</summary>
    public const int KeyRefused = 7;

    /// <summary>The server could not be reached, did not answer in time, or failed.</summary>
    public const int Unreachable = 8;

    /// <summary>Interrupted with Ctrl+C.</summary>
    public const int Cancelled = 130;

    public const string HelpText = """
        Exit codes:
          0    done; for train, watch and start --watch: the run completed
          1    the run failed
          2    bad command line or config file
          3    the run was stopped early (stop request or time budget) and ended on its checkpoint
          4    the run was terminated
          5    the server refused the request (invalid fields, existing run id, no final model yet)
          6    no such run, or the server lacks the route
          7    the server refused the key
          8    the server could not be reached, timed out or failed
          130  interrupted (Ctrl+C)
        """;
}
