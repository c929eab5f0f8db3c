using System.Diagnostics;

namespace DurableTrainer.TestSupport;

/// <summary>
/// Debian's Python (/usr/bin/python3) with its PyTorch and numpy, for the tests that meet real PyTorch: scripts/test.sh
/// installs them; a test states what it needs through <see cref="TestRequirements"/>.
/// </summary>
public static class SystemPyTorch
{
    public const string Python = "/usr/bin/python3";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string?>> Problems = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="module"/> can be imported; otherwise <paramref name="why"/> says what is missing.</summary>
    public static bool CanImport(string module, out string why)
    {
        string? problem = Problems.GetOrAdd(module, name => new Lazy<string?>(() => FindProblem(name))).Value;
        why = problem ?? string.Empty;
        return problem is null;
    }

    /// <summary>Runs <paramref name="program"/> to its end and returns its standard output; throws with its standard error when it fails.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} did not finish in 2 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited with {process.ExitCode}: {stderr}");
        }

        return stdout.Result;
    }

    private static string? FindProblem(string module)
    {
        if (!File.Exists(Python))
        {
            return $"{Python} does not exist; scripts/test.sh installs Debian's Python with what the tests need (as root).";
        }

        try
        {
            Run(Python, "-c", "import " + module);
            return null;
        }
        catch (InvalidOperationException exception)
        {
            return $"'{module}' is not importable by {Python} ({exception.Message.Trim()}); scripts/test.sh installs it (as root).";
        }
    }
}
