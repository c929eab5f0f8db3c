using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Tests;

/// <summary>
/// Convolutions hand their output on channels-last (for libtorch's vectorised pooling and activations); nothing a
/// user can see changes: the initial weights, the state-dict keys and the values a layer computes.
/// </summary>
[Collection(nameof(ChannelsLastLayoutTests))]
public sealed class ChannelsLastLayoutTests
{
    private static readonly LayerSpec[] Layers =
    [
        new("conv2d", "conv1", Channels: 8, Kernel: 3, Stride: 1, Padding: 1),
        new("relu", "relu1"),
        new("maxpool2d", "pool1", Kernel: 2, Stride: 2, Padding: 0),
        new("conv2d", "conv2", Channels: 16, Kernel: 3, Stride: 1, Padding: 1),
        new("relu", "relu2"),
        new("maxpool2d", "pool2", Kernel: 2, Stride: 2, Padding: 0),
        new("flatten", "flatten"),
        new("linear", "fc", Units: 10),
    ];

    private static nn.Module<Tensor, Tensor> Plain() => nn.Sequential(
        ("conv1", nn.Conv2d(1, 8, 3, padding: 1)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2, 2)),
        ("conv2", nn.Conv2d(8, 16, 3, padding: 1)),
        ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2, 2)),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(16 * 7 * 7, 10)));

    [Fact]
    public void ConvolutionalStack_StartsFromTheSameWeightsUnderTheSameKeysAsPlainTorchSharpLayers()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(11);
        using var ours = LayerStackBuilder.Build(Layers, [1, 28, 28], null);
        random.manual_seed(11);
        using var plain = Plain();

        var ourState = ours.state_dict();
        var plainState = plain.state_dict();
        Assert.Equal(plainState.Keys.Order(), ourState.Keys.Order());
        Assert.All(plainState, entry => Assert.True(entry.Value.eq(ourState[entry.Key]).all().item<bool>(), entry.Key));
    }

    [Fact]
    public void ConvolutionalStack_ComputesWhatPlainLayersCompute_ForwardAndBackward_WithChannelsLastActivations()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        using var ours = LayerStackBuilder.Build(Layers, [1, 28, 28], null);
        using var plain = Plain();
        plain.load_state_dict(ours.state_dict());
        Tensor input = randn(4, 1, 28, 28);

        Tensor ourOutput = ours.call(input);
        Tensor plainOutput = plain.call(input);
        ourOutput.sum().backward();
        plainOutput.sum().backward();

        Assert.True(ourOutput.allclose(plainOutput, rtol: 1e-4, atol: 1e-5));
        foreach (var (name, parameter) in plain.named_parameters())
        {
            Tensor ourGradient = ours.named_parameters().Single(p => p.name == name).parameter.grad!;
            Assert.True(ourGradient.allclose(parameter.grad!, rtol: 1e-3, atol: 1e-5), name);
        }

        // conv1's output: channel stride 1, as [N, H, W, C] in memory.
        Tensor activation = ((nn.Module<Tensor, Tensor>)ours.named_children().First().module).call(input);
        Assert.Equal(1, activation.stride(1));
        Assert.Equal(8, activation.stride(3));
    }
}

/// <summary>
/// These tests seed libtorch's process-wide generator and then draw initial weights from it: a test of another class
/// drawing from it in between (once seen under the whole suite's load) gives different weights, so they run alone.
/// </summary>
[CollectionDefinition(nameof(ChannelsLastLayoutTests), DisableParallelization = true)]
public sealed class ChannelsLastLayoutTestsCollection;
