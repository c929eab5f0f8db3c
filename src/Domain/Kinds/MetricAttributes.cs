namespace DurableTrainer.Domain.Kinds;

/// <summary>The scores an evaluation of a <see cref="LearningTask"/> reports besides its loss, the default judge first.</summary>
[AttributeUsage(AttributeTargets.Field, AllowMultiple = false)]
public sealed class ReportsAttribute(params MonitorMetric[] scores) : Attribute
{
    public IReadOnlyList<MonitorMetric> Scores { get; } = scores;
}

/// <summary>Which way a <see cref="MonitorMetric"/> improves.</summary>
[AttributeUsage(AttributeTargets.Field, AllowMultiple = false)]
public sealed class ImprovesAttribute(MonitorMode direction) : Attribute
{
    public MonitorMode Direction { get; } = direction;
}

/// <summary>Marks a <see cref="MonitorMetric"/> that lies in (0, 1], so a target for it must too.</summary>
[AttributeUsage(AttributeTargets.Field, AllowMultiple = false)]
public sealed class FractionAttribute : Attribute;
