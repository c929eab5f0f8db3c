using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Models.Architectures;
using DurableTrainer.Infrastructure.TorchSharp.Models.Initialization;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;
using DurableTrainer.Infrastructure.TorchSharp.Models.TorchScript;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models;

/// <summary>
/// The single source of model names. It checks a model section against the data's shape (the architecture's
/// parameters, the declarative layers, or a TorchScript file from the model store) and resolves it to a
/// <see cref="ModelSpec"/>: named layers with every default filled in, or the file's bytes pinned by their SHA-256,
/// the one form the builder, checkpoints and export work from. A model that starts from weights (another run's
/// checkpoint from the checkpoint store, or a weights file) or freezes layers is checked against them too.
/// </summary>
public sealed class ModelRegistry : IModelCatalog
{
    private readonly Dictionary<string, IModelArchitecture> _architectures;
    private readonly IModelFileStore? _files;
    private readonly ICheckpointStore? _checkpoints;

    public ModelRegistry(IEnumerable<IModelArchitecture> architectures, IModelFileStore? files = null, ICheckpointStore? checkpoints = null)
    {
        ArgumentNullException.ThrowIfNull(architectures);
        _architectures = architectures.ToDictionary(architecture => architecture.Name, StringComparer.Ordinal);
        _files = files;
        _checkpoints = checkpoints;
    }

    /// <summary>These architectures, with TorchScript and weights files read from <paramref name="files"/>.</summary>
    public ModelRegistry WithFiles(IModelFileStore? files) => new(_architectures.Values, files, _checkpoints);

    /// <summary>These architectures, with model files from <paramref name="files"/> and the runs a run starts from in <paramref name="checkpoints"/>.</summary>
    public ModelRegistry WithStores(IModelFileStore? files, ICheckpointStore? checkpoints) => new(_architectures.Values, files, checkpoints);

    /// <summary>Where the weights a run starts from are read.</summary>
    public InitialWeightsSource StartingWeights => new(_files, _checkpoints);

    /// <summary>The built-in architectures. A new one is one class and one line here.</summary>
    public static ModelRegistry BuiltIn { get; } = new(
    [
        new MlpArchitecture(),
        new CnnArchitecture(),
        new ResidualCnnArchitecture(),
        new GptArchitecture(),
        new TextEncoderArchitecture(),
    ]);

    public IReadOnlyCollection<string> Architectures => _architectures.Keys;

    /// <summary>A built-in architecture or declarative layers, checked against <paramref name="shape"/>.</summary>
    public ModelCheck Check(ModelSection model, DataShape shape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(shape);
        (ModelSpec? spec, long parameters, IReadOnlyList<ValidationError> errors) = TryResolve(model.Resolved(), shape);
        return spec is null ? ModelCheck.Invalid(errors) : ModelCheck.Valid(spec.Section, parameters);
    }

    public async Task<ModelCheck> CheckAsync(ModelSection model, DataShape shape, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(shape);
        ModelCheck check = await CheckModelAsync(model, shape, cancellationToken);
        return check.Resolved is { } resolved && (resolved.InitFrom is not null || resolved.Freeze is not null)
            ? await CheckStartAsync(resolved, shape, cancellationToken)
            : check;
    }

    private async Task<ModelCheck> CheckModelAsync(ModelSection model, DataShape shape, CancellationToken cancellationToken)
    {
        if (!model.IsTorchScript() || model.Validate().Count > 0)
        {
            return Check(model, shape);
        }

        (ModelFileContent? file, ValidationError? unreadable) = await ReadNamedFileAsync(model.File!, model.Sha256, ModelSection.Path, "--model-file", "model", cancellationToken);
        if (file is null)
        {
            return ModelCheck.Invalid([unreadable!]);
        }

        if (WeightsFile.Detect(file.Content) is { } weights)
        {
            return ModelCheck.Invalid([new ValidationError("model.file",
                $"'{model.File}' is {(weights == WeightsFileFormat.Safetensors ? "a safetensors file" : "a PyTorch state dict")}: weights without the code that uses them, not TorchScript. Start a model of the same layers from it with \"initFrom\": {{\"file\": \"{model.File}\"}}, or save torch.jit.script(model) to train your own module")]);
        }

        (long parameters, IReadOnlyList<ValidationError> errors) = await TensorThreads.RunAsync(() => TorchScriptInspection.Inspect(file.Content, "model.file", shape), cancellationToken: cancellationToken);
        return errors.Count > 0 ? ModelCheck.Invalid(errors) : ModelCheck.Valid(model with { Sha256 = file.Sha256 }, parameters);
    }

    /// <summary>A TorchScript file to train, or a weights file (state dict or safetensors) to start from.</summary>
    public IReadOnlyList<ValidationError> CheckFile(ReadOnlyMemory<byte> content, string path) =>
        TensorThreads.Run(() => WeightsFile.Detect(content) is not null
            ? WeightsFile.Check(content, path)
            : TorchScriptInspection.Inspect(content, path, shape: null).Errors);

    /// <summary>
    /// Checks what a resolved model starts from and freezes: the source's weights are read (and a file pinned by its
    /// SHA-256), then matched by key and shape against the model built; every freeze and reinitialize name must
    /// name a layer. The parameter count reported is then the trainable one.
    /// </summary>
    private async Task<ModelCheck> CheckStartAsync(ModelSection resolved, DataShape shape, CancellationToken cancellationToken)
    {
        InitialWeights? init = resolved.InitFrom;
        byte[]? weights = null;
        if (init is not null)
        {
            (weights, init, ValidationError? unreadable) = await ReadStartAsync(init, cancellationToken);
            if (unreadable is not null)
            {
                return ModelCheck.Invalid([unreadable]);
            }

            resolved = resolved with { InitFrom = init };
        }

        ModelSpec spec = await ResolveAsync(resolved, shape, cancellationToken);
        (long trainable, IReadOnlyList<ValidationError> errors) = await TensorThreads.RunAsync(() => CheckStart(spec, init, weights), cancellationToken: cancellationToken);
        return errors.Count > 0 ? ModelCheck.Invalid(errors) : ModelCheck.Valid(resolved, trainable);
    }

    private async Task<(byte[]? Weights, InitialWeights Init, ValidationError? Error)> ReadStartAsync(InitialWeights init, CancellationToken cancellationToken)
    {
        if (init.IsRun())
        {
            try
            {
                return (await StartingWeights.ReadAsync(init, cancellationToken), init, null);
            }
            catch (ModelFileException gone)
            {
                return (null, init, new ValidationError(InitialWeights.Path + ".run", gone.Message));
            }
        }

        (ModelFileContent? file, ValidationError? unreadable) = await ReadNamedFileAsync(init.File!, init.Sha256, InitialWeights.Path, "--init-from-file", "weights", cancellationToken);
        return file is null ? (null, init, unreadable) : (file.Content, init with { Sha256 = file.Sha256 }, null);
    }

    /// <summary>
    /// A file a request names (<paramref name="section"/><c>.file</c>), read from the model store and held to the
    /// SHA-256 the request gave (<paramref name="section"/><c>.sha256</c>); or what is wrong, said for its use.
    /// </summary>
    private async Task<(ModelFileContent? File, ValidationError? Error)> ReadNamedFileAsync(
        string name, string? pinned, string section, string uploadOption, string kind, CancellationToken cancellationToken)
    {
        IModelFileStore files = Files;
        long? size = await files.SizeOfAsync(name, cancellationToken);
        if (size is null)
        {
            return (null, new ValidationError(section + ".file",
                $"'{name}' is not in the model store ({files.Location}); upload it first (dtrain train {uploadOption} {name}, or PUT /api/models/{name})"));
        }

        if (size > ModelFileLimits.MaxBytes)
        {
            return (null, new ValidationError(section + ".file", $"'{name}' is {size} bytes; a {kind} file {ModelFileLimits.Rule}"));
        }

        if (await files.ReadAsync(name, cancellationToken) is not { } file)
        {
            return (null, new ValidationError(section + ".file", $"'{name}' was removed from the model store while it was being checked"));
        }

        return pinned is not null && pinned != file.Sha256
            ? (null, new ValidationError(section + ".sha256", $"'{name}' in the model store has SHA-256 {file.Sha256}, not the {pinned} given"))
            : (file, null);
    }

    private static (long Trainable, IReadOnlyList<ValidationError> Errors) CheckStart(ModelSpec spec, InitialWeights? init, byte[]? weights)
    {
        using var scope = NewDisposeScope();
        using nn.Module<Tensor, Tensor> model = ModelFactory.Create(spec, seed: 0);
        var errors = new List<ValidationError>(Freezing.Problems(model, spec.Section.Freeze));
        if (init is not null)
        {
            (Dictionary<string, Tensor>? source, ValidationError? unreadable) = ReadWeights(init, weights!);
            if (source is null)
            {
                return (0, [.. errors, unreadable!]);
            }

            errors.AddRange(WeightsMatch.Of(WeightsMatch.ShapesOf(model.state_dict()), WeightsMatch.ShapesOf(source), init.Reinitialize).Problems(init));
        }

        return (Freezing.Trainable(model).Sum(parameter => parameter.numel()), errors);
    }

    private static (Dictionary<string, Tensor>? Source, ValidationError? Error) ReadWeights(InitialWeights init, byte[] weights)
    {
        if (init.IsRun())
        {
            try
            {
                return (CheckpointFormat.ReadModelState(InitialWeightsSource.CheckpointOf(init), weights).State, null);
            }
            catch (CheckpointCorruptException corrupt)
            {
                return (null, new ValidationError(InitialWeights.Path + ".run", corrupt.Message));
            }
        }

        try
        {
            return (WeightsFile.Read(weights), null);
        }
        catch (InvalidDataException problem)
        {
            return (null, new ValidationError(InitialWeights.Path + ".file", $"'{init.File}' {problem.Message}"));
        }
    }

    /// <summary>The model a (checked) built-in or declarative section stands for at this data shape; throws, naming the problem, when it does not check.</summary>
    public ModelSpec Resolve(ModelSection model, DataShape shape)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.IsTorchScript())
        {
            throw new ArgumentException("A TorchScript model is read from the model store: resolve it with ResolveAsync.", nameof(model));
        }

        (ModelSpec? spec, _, IReadOnlyList<ValidationError> errors) = TryResolve(model.Resolved(), shape);
        return spec ?? throw new ArgumentException("The model does not fit the data: " + string.Join("; ", errors), nameof(model));
    }

    /// <summary>
    /// The model a checked section stands for, reading a TorchScript file from the store. A file that is gone or
    /// differs from the SHA-256 the run pinned at submission is a <see cref="ModelFileException"/>: the run fails
    /// saying so, and is not retried.
    /// </summary>
    public async Task<ModelSpec> ResolveAsync(ModelSection model, DataShape shape, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.IsTorchScript())
        {
            return Resolve(model, shape);
        }

        IModelFileStore files = Files;
        ModelFileContent file = await files.ReadAsync(model.File!, cancellationToken)
            ?? throw new ModelFileException($"The model file '{model.File}' is no longer in the model store ({files.Location}); the run cannot go on without it.");
        if (model.Sha256 is null)
        {
            throw new ModelFileException($"The run's model file '{model.File}' was never pinned by its SHA-256; runs are checked at submission.");
        }

        if (file.Sha256 != model.Sha256)
        {
            throw new ModelFileException(
                $"The model file '{model.File}' changed under the run: its SHA-256 is now {file.Sha256}, but the run was submitted with {model.Sha256}. Submit a new run to train the new file.");
        }

        return new ModelSpec(model, shape, [], file);
    }

    private IModelFileStore Files => _files ?? throw new InvalidOperationException("This host has no model store: TorchScript models cannot be read here.");

    private (ModelSpec? Spec, long Parameters, IReadOnlyList<ValidationError> Errors) TryResolve(ModelSection model, DataShape shape)
    {
        if (model.Validate() is { Count: > 0 } sectionErrors)
        {
            return (null, 0, sectionErrors);
        }

        if (model.Layers is { } declared)
        {
            IReadOnlyList<LayerSpec> named = LayerResolution.Resolve(declared);
            return Fit(model with { Layers = named }, named, shape, "model.layers", "the last layer");
        }

        if (!_architectures.TryGetValue(model.Architecture!, out IModelArchitecture? architecture))
        {
            return (null, 0, [new ValidationError("model.architecture", $"'{model.Architecture}' is not a built-in architecture; one of {string.Join(", ", _architectures.Keys)}")]);
        }

        var errors = new List<ValidationError>();
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (ModelParameter parameter in architecture.Parameters)
        {
            double value = model.Parameter(parameter.Name, parameter.Default);
            if (parameter.Problem(value) is { } problem)
            {
                errors.Add(new ValidationError($"model.parameters.{parameter.Name}", problem));
            }

            values[parameter.Name] = value;
        }

        foreach (string unknown in (model.Parameters?.Keys ?? []).Where(name => !values.ContainsKey(name)).Order(StringComparer.Ordinal))
        {
            errors.Add(new ValidationError($"model.parameters.{unknown}",
                $"is not a parameter of {architecture.Name}; its parameters are {string.Join(", ", architecture.Parameters.Select(parameter => parameter.Name))}"));
        }

        if (errors.Count > 0)
        {
            return (null, 0, errors);
        }

        IReadOnlyList<LayerSpec> layers = LayerResolution.Resolve(architecture.Layers(new ModelArguments(values), shape));
        var (spec, parameters, fitErrors) = Fit(model with { Parameters = values }, layers, shape, "model.architecture", architecture.Name);
        // An architecture that cannot take this data is one problem of the architecture, not of layers the user never wrote.
        return spec is not null ? (spec, parameters, []) : (null, 0, [new ValidationError("model.architecture",
            $"{architecture.Name} does not fit data of shape {LayerShapes.Describe(shape.Input)} with {shape.Outputs} outputs: {(fitErrors.Count > 0 ? fitErrors[0].Rule : "its layers do not fit")}")]);
    }

    private static (ModelSpec? Spec, long Parameters, IReadOnlyList<ValidationError> Errors) Fit(
        ModelSection section, IReadOnlyList<LayerSpec> layers, DataShape shape, string path, string what)
    {
        (int[]? output, long parameters, IReadOnlyList<ValidationError> errors) = LayerShapes.Infer(layers, shape.Input, path, shape.Vocabulary);
        if (output is null)
        {
            return (null, 0, errors);
        }

        if (!output.SequenceEqual(shape.Output))
        {
            return (null, 0, [new ValidationError(path, shape.OutputsPerPosition
                ? $"{what} gives {LayerShapes.Describe(output)} but a language model predicts each of the {shape.Input[0]} positions' next token among {shape.Outputs}: it must give {LayerShapes.Describe(shape.Output)}; end with a linear layer of {shape.Outputs} units on the sequence"
                : $"{what} gives {LayerShapes.Describe(output)} but the data needs {shape.Outputs} outputs per example; end with a linear layer of {shape.Outputs} units")]);
        }

        return (new ModelSpec(section, shape, layers), parameters, []);
    }
}
