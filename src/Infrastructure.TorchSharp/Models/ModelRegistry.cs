using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Infrastructure.TorchSharp.Models.Architectures;
using DurableTrainer.Infrastructure.TorchSharp.Models.Layers;

namespace DurableTrainer.Infrastructure.TorchSharp.Models;

/// <summary>
/// The single source of model names. It checks a model section against the data's shape (the architecture's
/// parameters, or the declarative layers) and resolves it to a <see cref="ModelSpec"/>: named layers with every
/// default filled in, the one form the builder, checkpoints and export work from.
/// </summary>
public sealed class ModelRegistry : IModelCatalog
{
    private readonly Dictionary<string, IModelArchitecture> _architectures;

    public ModelRegistry(IEnumerable<IModelArchitecture> architectures)
    {
        ArgumentNullException.ThrowIfNull(architectures);
        _architectures = architectures.ToDictionary(architecture => architecture.Name, StringComparer.Ordinal);
    }

    /// <summary>The built-in architectures. A new one is one class and one line here.</summary>
    public static ModelRegistry BuiltIn { get; } = new(
    [
        new MlpArchitecture(),
        new CnnArchitecture(),
        new ResidualCnnArchitecture(),
    ]);

    public IReadOnlyCollection<string> Architectures => _architectures.Keys;

    public ModelCheck Check(ModelSection model, DataShape shape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(shape);
        (ModelSpec? spec, long parameters, IReadOnlyList<ValidationError> errors) = TryResolve(model.Resolved(), shape);
        return spec is null ? ModelCheck.Invalid(errors) : ModelCheck.Valid(spec.Section, parameters);
    }

    /// <summary>The model a (checked) section stands for at this data shape; throws, naming the problem, when it does not check.</summary>
    public ModelSpec Resolve(ModelSection model, DataShape shape)
    {
        ArgumentNullException.ThrowIfNull(model);
        (ModelSpec? spec, _, IReadOnlyList<ValidationError> errors) = TryResolve(model.Resolved(), shape);
        return spec ?? throw new ArgumentException("The model does not fit the data: " + string.Join("; ", errors), nameof(model));
    }

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
        (int[]? output, long parameters, IReadOnlyList<ValidationError> errors) = LayerShapes.Infer(layers, shape.Input, path);
        if (output is null)
        {
            return (null, 0, errors);
        }

        if (output.Length != 1 || output[0] != shape.Outputs)
        {
            return (null, 0, [new ValidationError(path,
                $"{what} gives {LayerShapes.Describe(output)} but the data needs {shape.Outputs} outputs per example; end with a linear layer of {shape.Outputs} units")]);
        }

        return (new ModelSpec(section, shape, layers), parameters, []);
    }
}
