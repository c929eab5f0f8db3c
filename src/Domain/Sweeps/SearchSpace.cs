using System.Globalization;
using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Domain.Sweeps;

/// <summary>
/// One parameter of a sweep: the path it sets in the run specification (<c>optimizer.learningRate</c>) and how it
/// varies. The domain knows only how many values a choice has, never the values themselves: a trial's draw for a
/// choice is the index of its value, so a draw is always one number (the index, the whole number, or the real).
/// </summary>
public sealed record SearchDimension(string Path, DistributionKind Kind, int ChoiceCount = 0, double Low = 0, double High = 0)
{
    /// <summary>The field errors are reported under: <c>space[optimizer.learningRate]</c>.</summary>
    public string Field => SearchSpace.FieldOf(Path);

    public bool IsGriddable => Kind is DistributionKind.Choice or DistributionKind.Int;

    /// <summary>How many values a grid visits along this dimension.</summary>
    public long GridSize => Kind switch
    {
        DistributionKind.Choice => ChoiceCount,
        DistributionKind.Int => (long)(High - Low) + 1,
        _ => 0,
    };

    /// <summary>The grid's <paramref name="index"/>th value along this dimension, as a draw.</summary>
    public double GridDraw(long index) => Kind == DistributionKind.Int ? Low + index : index;

    /// <summary>Maps a uniform number in [0, 1) onto this dimension.</summary>
    public double Draw(double unit) => Kind switch
    {
        DistributionKind.Choice => Math.Min((int)(unit * ChoiceCount), ChoiceCount - 1),
        DistributionKind.Int => Math.Min(Low + Math.Floor(unit * (High - Low + 1)), High),
        DistributionKind.Uniform => Low + (unit * (High - Low)),
        DistributionKind.LogUniform => Math.Exp(Math.Log(Low) + (unit * (Math.Log(High) - Math.Log(Low)))),
        _ => throw new InvalidOperationException($"Unknown distribution {Kind}."),
    };

    /// <summary>The draws at the dimension's ends (every value of a choice): what random search's bounds are checked at.</summary>
    public IReadOnlyList<double> Extremes() => Kind == DistributionKind.Choice
        ? Enumerable.Range(0, ChoiceCount).Select(index => (double)index).ToArray()
        : Low == High ? [Low] : [Low, High];

    /// <summary>The value a draw stands for, as a user reads it (a choice's index is shown by the application).</summary>
    public string Describe(double draw) => Kind switch
    {
        DistributionKind.Int or DistributionKind.Choice => ((long)draw).ToString(CultureInfo.InvariantCulture),
        _ => draw.ToString("R", CultureInfo.InvariantCulture),
    };

    public IEnumerable<ValidationError> Validate()
    {
        string field = Field;
        switch (Kind)
        {
            case DistributionKind.Choice:
                if (ChoiceCount < 1)
                {
                    yield return new ValidationError(field, "is an empty choice: list at least one value");
                }

                break;
            case DistributionKind.Int:
                if (!IsWhole(Low) || !IsWhole(High) || Low > High)
                {
                    yield return new ValidationError(field, "must be an integer range [low, high] of whole numbers with low at most high");
                }

                break;
            case DistributionKind.Uniform:
                if (!double.IsFinite(Low) || !double.IsFinite(High) || Low >= High)
                {
                    yield return new ValidationError(field, "must be a uniform range [low, high] of finite numbers with low below high");
                }

                break;
            case DistributionKind.LogUniform:
                if (!(Low > 0) || !(High > 0))
                {
                    yield return new ValidationError(field, "is log-uniform: both bounds must be greater than 0");
                }
                else if (!double.IsFinite(High) || Low >= High)
                {
                    yield return new ValidationError(field, "must be a log-uniform range [low, high] of finite numbers with low below high");
                }

                break;
            default:
                yield return new ValidationError(field, "must be one of " + Specification.SpecificationNames.Of<DistributionKind>());
                break;
        }
    }

    private static bool IsWhole(double value) => double.IsFinite(value) && Math.Abs(value) < 1e15 && Math.Floor(value) == value;
}

/// <summary>
/// The space a sweep searches: its dimensions in the order the request lists them, and the points a search method
/// takes from it. Grid points are ordered as nested loops with the first dimension outermost; random points are a
/// pure function of (seed, trial, dimension), so the same request always gives the same trials.
/// </summary>
public sealed record SearchSpace(IReadOnlyList<SearchDimension> Dimensions)
{
    /// <summary>The most trials one sweep may have, whichever method makes them.</summary>
    public const int MaxTrials = 1000;

    public static string FieldOf(string path) => $"space[{path}]";

    /// <summary>How many points a full grid has (saturating, so an absurd grid still reports a number).</summary>
    public long GridSize() => Dimensions.Aggregate(1L, (size, dimension) =>
        dimension.GridSize <= 0 ? 0 : size > long.MaxValue / dimension.GridSize ? long.MaxValue : size * dimension.GridSize);

    public IReadOnlyList<ValidationError> Validate(SearchSection search)
    {
        ArgumentNullException.ThrowIfNull(search);
        var errors = new List<ValidationError>();
        if (Dimensions.Count == 0)
        {
            errors.Add(new ValidationError("space", "must name at least one path of the run specification to vary"));
        }

        foreach (var duplicate in Dimensions.GroupBy(dimension => dimension.Path, StringComparer.OrdinalIgnoreCase).Where(group => group.Count() > 1))
        {
            errors.Add(new ValidationError(FieldOf(duplicate.Key), "is listed more than once"));
        }

        errors.AddRange(Dimensions.SelectMany(dimension => dimension.Validate()));
        errors.AddRange(search.Validate());
        if (errors.Count > 0)
        {
            return errors;
        }

        if (search.Method == SearchMethod.Grid)
        {
            foreach (SearchDimension dimension in Dimensions.Where(dimension => !dimension.IsGriddable))
            {
                errors.Add(new ValidationError(dimension.Field,
                    $"is {Specification.SpecificationNames.Of(dimension.Kind)}: a grid takes choices and integer ranges only (use search.method random to sample ranges)"));
            }

            long size = GridSize();
            if (errors.Count == 0 && size > MaxTrials)
            {
                errors.Add(new ValidationError("space", $"makes a grid of {(size == long.MaxValue ? "more than 9e18" : size.ToString(CultureInfo.InvariantCulture))} points, more than the limit of {MaxTrials} trials"));
            }
        }

        return errors;
    }

    /// <summary>Every trial's draws, one number per dimension. The space and search must be valid.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Points(SearchSection search)
    {
        ArgumentNullException.ThrowIfNull(search);
        if (search.Method == SearchMethod.Grid)
        {
            long size = GridSize();
            var points = new List<IReadOnlyList<double>>((int)size);
            for (long point = 0; point < size; point++)
            {
                var draws = new double[Dimensions.Count];
                long rest = point;
                for (int d = Dimensions.Count - 1; d >= 0; d--)
                {
                    long along = Dimensions[d].GridSize;
                    draws[d] = Dimensions[d].GridDraw(rest % along);
                    rest /= along;
                }

                points.Add(draws);
            }

            return search.Shuffle ? Shuffled(points, search.Seed) : points;
        }

        return Enumerable.Range(0, search.Trials)
            .Select(trial => (IReadOnlyList<double>)Dimensions.Select((dimension, d) => dimension.Draw(SweepRandom.Unit(search.Seed, trial, d))).ToArray())
            .ToArray();
    }

    /// <summary>A seeded permutation (Fisher-Yates over <see cref="SweepRandom"/>'s shuffle stream).</summary>
    private static List<IReadOnlyList<double>> Shuffled(List<IReadOnlyList<double>> points, int seed)
    {
        for (int i = points.Count - 1; i > 0; i--)
        {
            int j = (int)Math.Min(SweepRandom.Unit(seed, i, SweepRandom.ShuffleStream) * (i + 1), i);
            (points[i], points[j]) = (points[j], points[i]);
        }

        return points;
    }

    /// <summary>
    /// The points random search's bounds are checked at before anything runs: every dimension at each of its ends
    /// (every value of a choice), the others at their first end.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<double>> BoundaryPoints()
    {
        double[] lows = Dimensions.Select(dimension => dimension.Extremes()[0]).ToArray();
        var points = new List<IReadOnlyList<double>> { lows };
        for (int d = 0; d < Dimensions.Count; d++)
        {
            foreach (double extreme in Dimensions[d].Extremes().Skip(1))
            {
                double[] point = (double[])lows.Clone();
                point[d] = extreme;
                points.Add(point);
            }
        }

        return points;
    }
}

/// <summary>
/// The <c>search</c> section of a sweep: a full grid, or <see cref="Trials"/> random points from <see cref="Seed"/>.
/// <see cref="Shuffle"/> starts a grid's trials in an order drawn from the seed instead of as listed, so that ASHA's
/// first rungs are not filled by whichever values happen to be listed first.
/// </summary>
public sealed record SearchSection(SearchMethod Method = SearchMethod.Grid, int Trials = 10, int Seed = 0, bool Shuffle = false)
{
    public const string Path = "search";

    public IReadOnlyList<ValidationError> Validate()
    {
        var rules = new Specification.SectionRules(Path);
        rules.Require(Enum.IsDefined(Method), "method", "must be one of " + Specification.SpecificationNames.Of<SearchMethod>());
        rules.Require(Method != SearchMethod.Random || Trials is >= 1 and <= SearchSpace.MaxTrials, "trials", $"must be between 1 and {SearchSpace.MaxTrials}");
        rules.Require(Seed >= 0, "seed", "must be 0 or greater");
        return rules.Errors;
    }
}

/// <summary>
/// Uniform numbers for random search as a pure function of their coordinates (SplitMix64 over seed, trial and
/// dimension), so a trial's point never depends on how many others were drawn or in what order.
/// </summary>
public static class SweepRandom
{
    /// <summary>The dimension number of the stream a grid's shuffle draws from (no space has that many dimensions).</summary>
    public const int ShuffleStream = int.MaxValue;

    public static double Unit(int seed, int trial, int dimension)
    {
        ulong state = Mix(Mix(Mix((ulong)seed) ^ (ulong)trial) ^ ((ulong)dimension << 32));
        return (state >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong Mix(ulong value)
    {
        value += 0x9E3779B97F4A7C15UL;
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        return value ^ (value >> 31);
    }
}
