using System.Diagnostics;
using Microsoft.Playwright;

namespace DurableTrainer.EndToEnd.Tests;

/// <summary>
/// Debian's chromium, driven by Playwright's bundled driver (Playwright's own browser download is never used: it
/// cannot work offline). Missing chromium is installed through apt when running as root; otherwise the test fails
/// saying how to get it.
/// </summary>
internal static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public static async Task EnsureInstalledAsync(Action<string> log)
    {
        if (File.Exists(ExecutablePath))
        {
            return;
        }

        await InstallLock.WaitAsync();
        try
        {
            if (File.Exists(ExecutablePath))
            {
                return;
            }

            if (Environment.UserName != "root")
            {
                Assert.Fail($"The dashboard test needs Debian's chromium at {ExecutablePath}. Install it with: sudo apt-get install -y chromium (scripts/test.sh does this when run as root).");
            }

            log("chromium is missing; installing it with apt-get (Debian package chromium)...");
            string transcript = await RunAsync("apt-get", "update -qq") + await RunAsync("apt-get", "-o DPkg::Lock::Timeout=300 install -y -qq chromium");
            if (!File.Exists(ExecutablePath))
            {
                Assert.Fail($"Installing chromium with apt-get failed, so the dashboard cannot be tested in a browser. apt-get said:\n{transcript}");
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    /// <summary>A headless chromium with a fresh profile in a temporary folder (deleted when the context is disposed by the caller).</summary>
    public static async Task<(IPlaywright Playwright, IBrowserContext Context, string Profile)> LaunchAsync()
    {
        IPlaywright playwright = await Playwright.CreateAsync();
        string profile = Directory.CreateTempSubdirectory("dtrain-chromium-").FullName;
        IBrowserContext context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Arguments,
            ViewportSize = new ViewportSize { Width = 1400, Height = 1050 },
            Timeout = 60_000,
        });
        return (playwright, context, profile);
    }

    private static async Task<string> RunAsync(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        return $"$ {file} {arguments} (exit {process.ExitCode})\n{await output}{await error}";
    }
}
