using System.Diagnostics;
using System.Net.Sockets;

namespace DurableTrainer.Cli.LocalStack;

/// <summary>
/// A process we started and must stop: output goes to a log file, and disposal kills the whole process tree, so
/// nothing outlives its owner even when a test fails.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly List<(HashSet<string> Awaited, TaskCompletionSource Written)> _lineWaiters = [];

    private ChildProcess(Process process, StreamWriter log, string logPath)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string logPath, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var child = new ChildProcess(process, log, logPath);
        process.OutputDataReceived += (_, e) => child.Received(e.Data);
        process.ErrorDataReceived += (_, e) => child.Received(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Kills the process tree at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>
    /// Asks the process to stop (SIGTERM), as a service manager would; a second request hurries it. A process that
    /// reports its shutdown done by writing <paramref name="shutDownOnceWritten"/> (every line, in any order) is
    /// killed as soon as it has: what it still does then is let timers run out. Says how the stop ended.
    /// </summary>
    public async Task<Termination> TerminateAsync(TimeSpan timeout, IReadOnlyCollection<string>? shutDownOnceWritten = null)
    {
        // Registered before the signal, so that lines written at once are not missed.
        Task shutDown = shutDownOnceWritten is { Count: > 0 } ? WhenWritten(shutDownOnceWritten) : Task.Delay(Timeout.Infinite);
        int signals = 0;
        for (; signals < 2 && !_process.HasExited && !shutDown.IsCompleted; signals++)
        {
            using (System.Diagnostics.Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
            }

            await Task.WhenAny(WaitForExitAsync(timeout / 2), shutDown);
        }

        // The lines first: a process that wrote them and then exited was still stopped by them.
        StopOutcome outcome = shutDown.IsCompleted ? StopOutcome.ReportedShutDown : _process.HasExited ? StopOutcome.Exited : StopOutcome.Killed;
        Kill();
        await WaitForExitAsync(timeout / 2);
        return new Termination(outcome, signals);
    }

    /// <summary>Completes once the process has written every one of <paramref name="lines"/> from now on.</summary>
    private Task WhenWritten(IReadOnlyCollection<string> lines)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lineWaiters)
        {
            _lineWaiters.Add((new HashSet<string>(lines, StringComparer.Ordinal), written));
        }

        return written.Task;
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            // Still running; the caller decides.
        }
    }

    public string ReadLogTail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            string[] all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    public static int FreePort() => FreePorts(1)[0];

    /// <summary><paramref name="count"/> distinct free ports, chosen by the kernel.</summary>
    public static int[] FreePorts(int count) => HeldPorts(count, () => 0, "from the kernel");

    /// <summary>
    /// <paramref name="count"/> distinct ports, free now, below the kernel's ephemeral range. <see cref="FreePorts"/>
    /// draws from that range, which the kernel also hands out as the local ports of outgoing connections, so a port
    /// from it left unbound for a while (for storage that is to appear later, or a restart on the same ports) can be
    /// taken meanwhile. A port below the range is taken only by a process that names it.
    /// </summary>
    public static int[] PortsBelowTheEphemeralRange(int count)
    {
        int firstEphemeral = 32768;
        try
        {
            string range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
            firstEphemeral = int.Parse(range.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            // Not Linux, or not readable: the range Linux starts with.
        }

        // Above Azurite's defaults (10000-10002) and the well-known ports.
        const int Lowest = 10100;
        return firstEphemeral - Lowest < count * 10
            ? FreePorts(count)
            : HeldPorts(count, () => Random.Shared.Next(Lowest, firstEphemeral), $"between {Lowest} and {firstEphemeral}");
    }

    /// <summary>
    /// Binds listeners on <paramref name="candidate"/> ports (0: the kernel's choice) until <paramref name="count"/>
    /// distinct ones are bound, then releases them all: every listener stays open until all are chosen, because ports
    /// asked for one at a time can come back the same once the first is released.
    /// </summary>
    private static int[] HeldPorts(int count, Func<int> candidate, string where)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (int attempt = 0; listeners.Count < count && attempt < 1000; attempt++)
            {
                var listener = new TcpListener(System.Net.IPAddress.Loopback, candidate());
                listeners.Add(listener);
                try
                {
                    listener.Start();
                }
                catch (SocketException)
                {
                    // Taken, or already held here.
                    listeners.Remove(listener);
                    listener.Dispose();
                }
            }

            return listeners.Count == count
                ? [.. listeners.Select(listener => ((System.Net.IPEndPoint)listener.LocalEndpoint).Port)]
                : throw new InvalidOperationException($"Found {listeners.Count} of {count} free ports {where}.");
        }
        finally
        {
            foreach (TcpListener listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    public static async Task<bool> IsListeningAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Received(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The owner has stopped listening.
            }
        }

        lock (_lineWaiters)
        {
            for (int i = _lineWaiters.Count - 1; i >= 0; i--)
            {
                var (awaited, written) = _lineWaiters[i];
                if (awaited.Remove(line.Trim()) && awaited.Count == 0)
                {
                    written.TrySetResult();
                    _lineWaiters.RemoveAt(i);
                }
            }
        }
    }
}

/// <summary>How a stop ended: on the lines the process writes when its shutdown is done, on its own exit, or killed at the timeout.</summary>
public enum StopOutcome
{
    ReportedShutDown,
    Exited,
    Killed,
}

/// <summary>How a stop ended, and how many SIGTERMs it took.</summary>
public sealed record Termination(StopOutcome Outcome, int Signals);
