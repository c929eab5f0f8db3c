using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;
using static DurableTrainer.Infrastructure.TorchSharp.Tests.TestRecipes;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// The model catalog's checks at submission (<see cref="ModelRegistry.Check"/>): built-in architectures and their
/// parameters, and declarative layers walked shape by shape, each problem reported at its JSON path.
/// </summary>
public sealed class ModelCatalogTests
{
    private static readonly ModelRegistry Registry = ModelRegistry.BuiltIn;

    private static LayerSpec Flatten => new("flatten");

    private static LayerSpec Linear(int units) => new("linear", Units: units);

    [Fact]
    public void BuiltIns_AreMlpCnnResnetGptAndTheTextEncoder()
    {
        Assert.Equal(["cnn", "encoder", "gpt", "mlp", "resnet"], Registry.Architectures.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Check_ResolvesEveryDefaultIntoTheParameters()
    {
        ModelCheck check = Registry.Check(Architecture("mlp", ("hiddenUnits", 32)), Synthetic);

        Assert.Empty(check.Errors);
        Assert.NotNull(check.Resolved);
        Assert.Equal("mlp", check.Resolved.Architecture);
        Assert.Equal(
            new Dictionary<string, double> { ["hiddenUnits"] = 32, ["hiddenLayers"] = 1, ["batchNorm"] = 0, ["dropout"] = 0 },
            check.Resolved.Parameters!.ToDictionary(pair => pair.Key, pair => pair.Value));
        // 784 × 32 + 32, then 32 × 10 + 10.
        Assert.Equal((784 * 32) + 32 + (32 * 10) + 10, check.Parameters);
    }

    [Fact]
    public void Check_WithoutAnArchitecture_IsTheDefaultArchitectureAtItsDefaults()
    {
        ModelCheck check = Registry.Check(new ModelSection(), Synthetic);

        Assert.Empty(check.Errors);
        Assert.Equal(ModelSection.DefaultArchitecture, check.Resolved!.Architecture);
        Assert.Equal(
            new Dictionary<string, double> { ["convChannels"] = 32, ["batchNorm"] = 0, ["dropout"] = 0 },
            check.Resolved.Parameters!.ToDictionary(pair => pair.Key, pair => pair.Value));
        Assert.True(check.Parameters > 0);
    }

    [Fact]
    public void Check_OfResnet_ResolvesItsParametersAndCountsWhatTheBuiltModelHolds()
    {
        ModelSection resnet = Architecture("resnet", ("width", 4), ("stages", 2), ("blocks", 1));

        ModelCheck check = Registry.Check(resnet, Synthetic);
        using var model = ModelFactory.Create(Registry.Resolve(resnet, Synthetic));

        Assert.Empty(check.Errors);
        Assert.Equal(0, check.Resolved!.Parameters!["dropout"]);
        Assert.Equal(model.parameters().Sum(parameter => parameter.numel()), check.Parameters);
    }

    [Fact]
    public void Check_UnknownParameterOfCnn_IsReportedAtItsPathNamingTheKnownOnes()
    {
        ModelCheck check = Registry.Check(Architecture("cnn", ("hiddenUnits", 64)), Synthetic);

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("model.parameters.hiddenUnits", error.Field);
        Assert.Contains("convChannels", error.Rule, StringComparison.Ordinal);
        Assert.Null(check.Resolved);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(257)]
    [InlineData(4.5)]
    public void Check_OutOfRangeParameter_IsReportedAtItsPath(double channels)
    {
        ModelCheck check = Registry.Check(Architecture("cnn", ("convChannels", channels)), Synthetic);

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("model.parameters.convChannels", error.Field);
        Assert.Contains("between 4 and 256", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_UnknownArchitecture_IsReportedAtModelArchitectureNamingTheBuiltIns()
    {
        ModelCheck check = Registry.Check(Architecture("vgg"), Synthetic);

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("model.architecture", error.Field);
        Assert.Contains("'vgg'", error.Rule, StringComparison.Ordinal);
        Assert.Contains("resnet", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ArchitectureThatCannotTakeTheData_IsOneProblemOfTheArchitecture()
    {
        // Two 2×2 poolings do not fit a 2×2 image.
        ModelCheck check = Registry.Check(Architecture("cnn"), new DataShape([1, 2, 2], 10));

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("model.architecture", error.Field);
        Assert.Contains("[1, 2, 2]", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_DeclarativeLayers_InfersEveryShapeNamesTheLayersAndCountsTheParameters()
    {
        ModelSection layers = Layers(new LayerSpec("conv2d", Channels: 4, Padding: 1), new LayerSpec("relu"), new LayerSpec("maxpool2d"), Flatten, Linear(10));

        ModelCheck check = Registry.Check(layers, Synthetic);
        (int[]? output, long parameters, IReadOnlyList<ValidationError> errors) = LayerShapes.Infer(layers.Layers!, Synthetic.Input, "model.layers");

        Assert.Empty(check.Errors);
        Assert.Equal(["conv2d1", "relu2", "maxpool2d3", "flatten4", "linear5"], check.Resolved!.Layers!.Select(layer => layer.Name));
        // conv 1→4 (3×3): 40; [4, 28, 28] pooled to [4, 14, 14] = 784 features; linear 784→10: 7850.
        Assert.Equal(40 + 7850, check.Parameters);
        Assert.Empty(errors);
        Assert.NotNull(output);
        Assert.Equal([10], output);
        Assert.Equal(check.Parameters, parameters);
        Assert.Equal([4, 14, 14], LayerShapes.Infer(layers.Layers!.Take(3).ToArray(), Synthetic.Input, "model.layers").Output!);
    }

    [Fact]
    public void Check_ResidualLayers_FitAndCountWhatTheBuiltModelHolds()
    {
        ModelCheck check = Registry.Check(ResidualLayers, Synthetic);
        using var model = ModelFactory.Create(Registry.Resolve(ResidualLayers, Synthetic));

        Assert.Empty(check.Errors);
        Assert.Equal(model.parameters().Sum(parameter => parameter.numel()), check.Parameters);
        string[] keys = [.. model.state_dict().Keys];
        Assert.Contains("down.layers.conv2d1.weight", keys);
        Assert.Contains("down.shortcut.conv2d1.weight", keys);
        Assert.Contains("down.shortcut.batchnorm2.running_mean", keys);
        Assert.Contains("same.layers.conv2d1.weight", keys);
        Assert.DoesNotContain(keys, key => key.StartsWith("same.shortcut", StringComparison.Ordinal));
        Assert.Contains("head.weight", keys);
    }

    [Fact]
    public void Check_LinearOnAnImageWithoutFlatten_IsReportedAtTheLayerWithBothShapes()
    {
        ModelCheck check = Registry.Check(Layers(Linear(10)), Synthetic);

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("model.layers[0]", error.Field);
        Assert.Contains("[features]", error.Rule, StringComparison.Ordinal);
        Assert.Contains("[1, 28, 28]", error.Rule, StringComparison.Ordinal);
        Assert.Contains("flatten", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ResidualBodyThatChangesTheShapeWithoutAShortcut_IsReportedAtTheBlockNamingBothShapes()
    {
        ModelSection layers = Layers(
            new LayerSpec("conv2d", Channels: 4, Padding: 1),
            new LayerSpec("residual", Layers: [new LayerSpec("conv2d", Channels: 8, Padding: 1)]),
            Flatten,
            Linear(10));

        ModelCheck check = Registry.Check(layers, Synthetic);

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("model.layers[1]", error.Field);
        Assert.Contains("[8, 28, 28]", error.Rule, StringComparison.Ordinal);
        Assert.Contains("[4, 28, 28]", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ProblemInsideAResidualBlock_IsReportedAtItsNestedPath()
    {
        ModelSection layers = Layers(Flatten, new LayerSpec("residual", Layers: [Linear(784), new LayerSpec("conv2d", Channels: 4)]), Linear(10));

        ValidationError error = Assert.Single(Registry.Check(layers, Synthetic).Errors);

        Assert.Equal("model.layers[1].layers[1]", error.Field);
        Assert.Contains("[784]", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_Conv2dAfterFlatten_IsReportedAtTheConvolution()
    {
        ModelCheck check = Registry.Check(Layers(Flatten, new LayerSpec("conv2d", Channels: 4), Linear(10)), Synthetic);

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("model.layers[1]", error.Field);
        Assert.Contains("conv2d expects an image", error.Rule, StringComparison.Ordinal);
        Assert.Contains("[784]", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_UnknownLayerType_IsReportedAtItsTypeNamingTheKnownOnes()
    {
        ModelCheck check = Registry.Check(Layers(Flatten, new LayerSpec("dense", Units: 10)), Synthetic);

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("model.layers[1].type", error.Field);
        Assert.Contains("'dense'", error.Rule, StringComparison.Ordinal);
        Assert.Contains("linear", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_LinearOfZeroUnits_IsReportedAtItsUnits()
    {
        ModelCheck check = Registry.Check(Layers(Flatten, Linear(0), Linear(10)), Synthetic);

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("model.layers[1].units", error.Field);
    }

    [Fact]
    public void Check_MoreThan64Layers_CountingThoseInsideBlocks_IsReportedAtModelLayers()
    {
        static LayerSpec[] Stack(int total, int inBlock) =>
            [Flatten, new LayerSpec("residual", Layers: [.. Enumerable.Repeat(new LayerSpec("relu"), inBlock)]), .. Enumerable.Repeat(new LayerSpec("relu"), total - inBlock - 3), Linear(10)];

        ModelCheck most = Registry.Check(Layers(Stack(LayerShapes.MaxLayers, 10)), Synthetic);
        ModelCheck tooMany = Registry.Check(Layers(Stack(LayerShapes.MaxLayers + 1, 10)), Synthetic);

        Assert.Empty(most.Errors);
        ValidationError error = Assert.Single(tooMany.Errors);
        Assert.Equal("model.layers", error.Field);
        Assert.Contains($"{LayerShapes.MaxLayers + 1} layers", error.Rule, StringComparison.Ordinal);
        Assert.Contains($"at most {LayerShapes.MaxLayers}", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ResidualBlocksNestedDeeperThan4Levels_IsReportedAtModelLayers()
    {
        static LayerSpec Nest(int blocks) => blocks == 0 ? new LayerSpec("relu") : new LayerSpec("residual", Layers: [Nest(blocks - 1)]);

        // Three nested blocks put their innermost layer on the fourth level, the most allowed; four go one deeper.
        ModelCheck deepest = Registry.Check(Layers(Flatten, Nest(3), Linear(10)), Synthetic);
        ModelCheck tooDeep = Registry.Check(Layers(Flatten, Nest(4), Linear(10)), Synthetic);

        Assert.Empty(deepest.Errors);
        ValidationError error = Assert.Single(tooDeep.Errors);
        Assert.Equal("model.layers", error.Field);
        Assert.Contains($"at most {LayerShapes.MaxDepth}", error.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("conv2d")]
    public void Check_LastLayerNotGivingTenOutputs_IsReportedAtModelLayers(string ending)
    {
        ModelSection layers = ending == "linear" ? Layers(Flatten, Linear(5)) : Layers(new LayerSpec("conv2d", Channels: 4));

        ModelCheck check = Registry.Check(layers, Synthetic);

        ValidationError error = Assert.Single(check.Errors);
        Assert.Equal("model.layers", error.Field);
        Assert.Contains(ending == "linear" ? "[5]" : "[4, 26, 26]", error.Rule, StringComparison.Ordinal);
        Assert.Contains("10 outputs", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_LayersTogetherWithAnArchitecture_IsRefusedAtModelLayers()
    {
        ModelCheck check = Registry.Check(new ModelSection("mlp", Layers: [Flatten, Linear(10)]), Synthetic);

        Assert.Contains(check.Errors, error => error.Field == "model.layers");
    }

    [Fact]
    public void Resolve_OfALayerListThatDoesNotCheck_ThrowsNamingTheProblem()
    {
        var error = Assert.Throws<ArgumentException>(() => Registry.Resolve(Layers(Linear(10)), Synthetic));

        Assert.Contains("model.layers[0]", error.Message, StringComparison.Ordinal);
    }
}
