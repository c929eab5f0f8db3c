namespace DurableTrainer.TestSupport;

/// <summary>
/// The TorchScript files the tests upload, good and bad: written once by real PyTorch
/// (<c>python3 tests/TestSupport/torchscript_fixtures.py tests/TestSupport/torchscript</c>) and committed, so the
/// tests that train or refuse them need no PyTorch at test time. <c>cnn.pt</c>, <c>tiny.pt</c>,
/// <c>five-outputs.pt</c>, <c>three-channels.pt</c>, <c>tuple.pt</c>, <c>two-inputs.pt</c>, <c>no-parameters.pt</c>
/// and <c>state-dict.pt</c> (a state dict, not TorchScript).
/// </summary>
public static class TorchScriptFiles
{
    public static string PathOf(string name) => Path.Combine(RepositoryPaths.Root, "tests", "TestSupport", "torchscript", name);

    public static byte[] Read(string name) => File.ReadAllBytes(PathOf(name));
}
