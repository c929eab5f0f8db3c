namespace DurableTrainer.TestSupport;

/// <summary>
/// What a test needs from outside the repository: Debian packages that <c>scripts/test.sh</c> installs. Where one is
/// missing, a test skips saying what to install; under <c>CI=true</c> it fails instead, naming the package, so that
/// a CI run never passes by skipping.
/// </summary>
public static class TestRequirements
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Debian's PyTorch, for the checks that load our exports in PyTorch.</summary>
    public static void PyTorch() => Require(SystemPyTorch.CanImport("torch", out string why), why, "python3-torch");

    /// <summary>Debian's numpy, for the reference implementations in Python.</summary>
    public static void NumPy() => Require(SystemPyTorch.CanImport("numpy", out string why), why, "python3-numpy");

    private static void Require(bool available, string why, string package)
    {
        if (available)
        {
            return;
        }

        if (InCi)
        {
            throw new InvalidOperationException($"CI=true, and this test needs Debian's {package}, which is missing: {why}");
        }

        Skip.If(true, why);
    }
}
