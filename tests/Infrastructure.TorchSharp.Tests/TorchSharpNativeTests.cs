using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

public class TorchSharpNativeTests
{
    [Fact]
    public void NativeLibrary_LoadsAndRunsATensorOperation()
    {
        using var scope = NewDisposeScope();
        Tensor a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);

        Tensor product = a.matmul(a);

        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
    }

    [Fact]
    public void LibTorchSharpInTheOutput_HasItsGlibcxx3432RequirementMarkedWeak()
    {
        // The build patches this; without the patch the library would not load on Debian 12 / Ubuntu 22.04.
        // readelf (binutils) reads the flag independently of our patching code.
        string library = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(library), $"{library} is missing from the test output.");
        var startInfo = new System.Diagnostics.ProcessStartInfo("readelf", ["-V", library]) { RedirectStandardOutput = true };
        using var readelf = System.Diagnostics.Process.Start(startInfo)!;
        string versions = readelf.StandardOutput.ReadToEnd();
        readelf.WaitForExit();

        string requirement = versions.Split('\n').Single(line => line.Contains("Name: GLIBCXX_3.4.32", StringComparison.Ordinal));
        Assert.Contains("Flags: WEAK", requirement, StringComparison.Ordinal);
    }
}
