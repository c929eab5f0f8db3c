using System.Text;

namespace DurableTrainer.Domain.Specification;

/// <summary>
/// How the specification's enumerations are spelled in JSON: lower-case words joined by hyphens
/// (<c>FashionMnist</c> is <c>fashion-mnist</c>), except that a lone trailing capital stays attached
/// (<c>AdamW</c> is <c>adamw</c>). One rule, so a new enumeration value needs no name table.
/// </summary>
public static class SpecificationNames
{
    public static string Of(string memberName)
    {
        ArgumentNullException.ThrowIfNull(memberName);
        var name = new StringBuilder(memberName.Length + 4);
        for (int i = 0; i < memberName.Length; i++)
        {
            char c = memberName[i];
            bool lonelyTrailingCapital = i == memberName.Length - 1 && char.IsUpper(c) && i > 0 && char.IsLower(memberName[i - 1]);
            if (i > 0 && char.IsUpper(c) && !lonelyTrailingCapital)
            {
                name.Append('-');
            }

            name.Append(char.ToLowerInvariant(c));
        }

        return name.ToString();
    }

    public static string Of<T>(T value)
        where T : struct, Enum => Of(value.ToString());

    /// <summary>Every value's name, comma separated, for error messages.</summary>
    public static string Of<T>()
        where T : struct, Enum => string.Join(", ", Enum.GetNames<T>().Select(Of));

    public static bool TryParse<T>(string? text, out T value)
        where T : struct, Enum
    {
        foreach (T candidate in Enum.GetValues<T>())
        {
            if (string.Equals(Of(candidate), text, StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }
}
