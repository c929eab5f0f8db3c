using System.Diagnostics;

namespace DurableTrainer.TestSupport;

/// <summary>
/// Debian's PyTorch (python3-torch, at /usr/bin/python3), for the tests that meet real PyTorch: scripts/test.sh
/// installs it; where it cannot be had, those tests skip and say why.
/// </summary>
public static class SystemPyTorch
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(FindProblem);

    /// <summary>True when PyTorch can be imported; otherwise <paramref name="why"/> says what is missing.</summary>
    public static bool IsAvailable(out string why)
    {
        why = Missing.Value ?? string.Empty;
        return Missing.Value is null;
    }

    private static readonly Lazy<string> Fixtures = new(() =>
    {
        string folder = Directory.CreateTempSubdirectory("dt-torchscript-").FullName;
        Run(Python, Path.Combine(RepositoryPaths.Root, "tests", "TestSupport", "torchscript_fixtures.py"), folder);
        return folder;
    });

    /// <summary>
    /// The bytes of a test TorchScript file (<c>tests/TestSupport/torchscript_fixtures.py</c>, run once per test
    /// process): <c>cnn.pt</c>, <c>tiny.pt</c>, <c>five-outputs.pt</c>, <c>three-channels.pt</c>, <c>tuple.pt</c>,
    /// <c>two-inputs.pt</c>, <c>no-parameters.pt</c> and <c>state-dict.pt</c> (a state dict, not TorchScript).
    /// Call it after checking <see cref="IsAvailable"/>.
    /// </summary>
    public static byte[] TorchScriptFixture(string name) => File.ReadAllBytes(FixturePath(name));

    /// <summary>Where <see cref="TorchScriptFixture"/>'s file is on disk.</summary>
    public static string FixturePath(string name) => Path.Combine(Fixtures.Value, name);

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

    private static string? FindProblem()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} does not exist; install Debian's python3-torch (scripts/test.sh does, as root).";
        }

        try
        {
            Run(Python, "-c", "import torch");
            return null;
        }
        catch (InvalidOperationException exception)
        {
            return $"PyTorch is not importable by {Python} ({exception.Message.Trim()}); install Debian's python3-torch (scripts/test.sh does, as root).";
        }
    }
}
