using System.Text.RegularExpressions;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;
using DurableTrainer.TestSupport;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// Every layer type a model may use can be rebuilt in PyTorch from an export: the types registered in
/// <see cref="LayerTypes.BuiltIn"/> and the <c>@rebuilds("type")</c> functions in
/// <c>interop/pytorch/durabletrainer_model.py</c> name the same types. It reads the script as text, so it needs no
/// PyTorch and never skips.
/// </summary>
public sealed partial class LayerRebuildTests
{
    [GeneratedRegex("""^@rebuilds\("([A-Za-z0-9_]+)"\)""", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex RebuildPattern();

    [Fact]
    public void EveryRegisteredLayerType_HasAPyTorchRebuild_AndEveryRebuildARegisteredType()
    {
        string path = Path.Combine(RepositoryPaths.Root, "interop", "pytorch", "durabletrainer_model.py");
        string[] rebuilt = [.. RebuildPattern().Matches(File.ReadAllText(path)).Select(match => match.Groups[1].Value)];
        IReadOnlyList<string> registered = LayerTypes.BuiltIn.Names;

        string[] withoutRebuild = [.. registered.Except(rebuilt, StringComparer.Ordinal)];
        string[] withoutType = [.. rebuilt.Except(registered, StringComparer.Ordinal)];
        string[] twice = [.. rebuilt.GroupBy(name => name, StringComparer.Ordinal).Where(group => group.Count() > 1).Select(group => group.Key)];

        Assert.True(
            withoutRebuild.Length == 0 && withoutType.Length == 0 && twice.Length == 0,
            $"Registered in LayerTypes.BuiltIn but with no @rebuilds function in {path}: [{string.Join(", ", withoutRebuild)}]. "
            + $"Rebuilt there but not a registered layer type: [{string.Join(", ", withoutType)}]. "
            + $"Rebuilt more than once: [{string.Join(", ", twice)}].");
    }
}
