namespace DurableTrainer.Domain.Kinds;

/// <summary>
/// Finds, among the classes of the assembly that declares an implementation interface, the one that
/// implements each name of an enumeration: so a new kind (a schedule, an optimizer) is one class and one member.
/// Two classes for one name fail at once; a name without a class is left for the caller's test to find.
/// </summary>
public static class KindImplementations
{
    public static Dictionary<TKind, TImplementation> Discover<TKind, TImplementation>(Func<TImplementation, TKind> kindOf)
        where TKind : struct, Enum
        where TImplementation : class =>
        typeof(TImplementation).Assembly.GetTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false } && typeof(TImplementation).IsAssignableFrom(type))
            .Select(type => (TImplementation)Activator.CreateInstance(type)!)
            .ToDictionary(kindOf);
}
