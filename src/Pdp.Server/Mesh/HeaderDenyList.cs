namespace Pdp.Server.Mesh;

/// <summary>
/// Header names that never reach policies or the trail: exact names or <c>*</c> patterns (<c>*token*</c>),
/// compared ignoring case. Envoy lower-cases header names; a pattern is matched against the whole name.
/// </summary>
public sealed class HeaderDenyList
{
    private readonly string[][] _patterns;

    public HeaderDenyList(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        _patterns = [.. patterns.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.Trim().ToLowerInvariant().Split('*'))];
    }

    public bool Denies(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var lower = name.ToLowerInvariant();
        return _patterns.Any(parts => Matches(parts, lower));
    }

    // parts is the pattern split on '*': the first part must start the name, the last end it, the others appear in order between.
    private static bool Matches(string[] parts, string name)
    {
        if (parts.Length == 1)
        {
            return string.Equals(parts[0], name, StringComparison.Ordinal);
        }

        if (!name.StartsWith(parts[0], StringComparison.Ordinal) || !name.EndsWith(parts[^1], StringComparison.Ordinal) || name.Length < parts[0].Length + parts[^1].Length)
        {
            return false;
        }

        var position = parts[0].Length;
        var end = name.Length - parts[^1].Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            if (parts[i].Length == 0)
            {
                continue;
            }

            var found = name.IndexOf(parts[i], position, StringComparison.Ordinal);
            if (found < 0 || found + parts[i].Length > end)
            {
                return false;
            }

            position = found + parts[i].Length;
        }

        return true;
    }
}
