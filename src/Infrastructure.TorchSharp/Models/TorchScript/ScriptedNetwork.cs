using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.TorchScript;

/// <summary>
/// A user's TorchScript module as the executor trains it: one tensor in, one tensor out, its parameters and buffers
/// under <c>network.*</c> in checkpoints. Dropout inside a script draws from libtorch's process-wide generator, which
/// nothing else may seed; so in training, each forward pass seeds it from the step's randomness (run seed, replica,
/// micro-batch) and runs under <see cref="GlobalGenerator.Lock"/>. The masks are then a pure function of the data
/// cursor, as the built-in dropout's are, and two activities at once never draw from each other's seeds.
/// </summary>
public sealed class ScriptedNetwork : nn.Module<Tensor, Tensor>
{
    // The field's name is the prefix of every state-dict key in a checkpoint.
    private readonly jit.ScriptModule network;
    private readonly StepRandomness? _randomness;

    private ScriptedNetwork(jit.ScriptModule script, StepRandomness? randomness)
        : base(nameof(ScriptedNetwork))
    {
        network = script;
        _randomness = randomness;
        RegisterComponents();
    }

    /// <summary>The script module itself, with the weights this network trained (for TorchScript export).</summary>
    public jit.ScriptModule Script => network;

    /// <summary>Loads a (checked) TorchScript file; <paramref name="randomness"/> makes its training draws deterministic.</summary>
    public static ScriptedNetwork Load(byte[] content, StepRandomness? randomness) => new(jit.load(content), randomness);

    /// <remarks>
    /// Only the script itself: disposing walks these modules, and a script module disposes its own submodules; going
    /// on into a script that was just disposed would fail.
    /// </remarks>
    public override IEnumerable<(string name, nn.Module module)> named_modules() => [(nameof(network), network)];

    public override Tensor forward(Tensor input)
    {
        if (!training || _randomness is null)
        {
            return Forward(input);
        }

        lock (GlobalGenerator.Lock)
        {
            random.manual_seed(_randomness.Seed);
            return Forward(input);
        }
    }

    private Tensor Forward(Tensor input) => network.forward(input) as Tensor
        ?? throw new InvalidOperationException("The TorchScript module's forward did not return one tensor; it was checked to at submission.");
}
