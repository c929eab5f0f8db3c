using System.Diagnostics;
using DurableTrainer.TestSupport;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>The built <c>dtrain</c> run as a child process with its output redirected, as a script would run it.</summary>
internal sealed record DtrainProcess(int ExitCode, string Out, string Error)
{
    public static string Assembly { get; } = Path.Combine(RepositoryPaths.SourceOutput("Cli"), "dtrain.dll");

    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r')).ToArray();

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";

    public static async Task<DtrainProcess> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Assembly);
        foreach (string argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        // Only what the test says: no server or key leaking in from the developer's shell.
        start.Environment.Remove("DTRAIN_SERVER");
        start.Environment.Remove("DTRAIN_KEY");
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dtrain {string.Join(' ', args)} did not finish within 2 minutes. Output so far:\n{await output}\n{await error}");
        }

        return new DtrainProcess(process.ExitCode, await output, await error);
    }

    public static Task<DtrainProcess> RunAsync(params string[] args) => RunAsync(null, args);
}
