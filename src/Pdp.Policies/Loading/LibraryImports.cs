namespace Pdp.Policies.Loading;

/// <summary>
/// Where an import may lead: only to a helper module directly in the set's <c>lib/</c> folder, named by a path relative
/// to the importing file (<c>./lib/util.js</c> from a policy, <c>./other.js</c> from a lib module). No bare names,
/// absolute paths or URLs, nothing outside <c>lib/</c>, no extension guessing. The loader applies it to every import
/// before anything runs, and the engines' module loader again as a backstop, so both agree on what an import means.
/// </summary>
public static class LibraryImports
{
    /// <summary>The folder of helper modules, relative to the set's root.</summary>
    public const string Folder = "lib";

    /// <summary>
    /// Resolves <paramref name="specifier"/>, as written in the module at <paramref name="referrer"/> (a path relative to the
    /// set's root), to the helper module's path (<c>lib/util.js</c>); or returns null and says why it may not be imported.
    /// </summary>
    public static string? Resolve(string referrer, string specifier, out string? error)
    {
        ArgumentNullException.ThrowIfNull(referrer);
        ArgumentNullException.ThrowIfNull(specifier);
        error = null;
        if (!specifier.StartsWith("./", StringComparison.Ordinal) && !specifier.StartsWith("../", StringComparison.Ordinal))
        {
            error = $"'{specifier}' is not a relative path: policies may import only helper modules in {Folder}/, by a path such as './{Folder}/util.js'";
            return null;
        }

        if (specifier.AsSpan().IndexOfAny('\\', '?', '#') >= 0 || specifier.Contains('%', StringComparison.Ordinal) || specifier.Contains(':', StringComparison.Ordinal))
        {
            error = $"'{specifier}' may not contain '\\', '?', '#', '%' or ':'";
            return null;
        }

        var segments = new List<string>(referrer.Split('/')[..^1]);
        foreach (var segment in specifier.Split('/'))
        {
            switch (segment)
            {
                case ".":
                    continue;
                case "..":
                    if (segments.Count == 0)
                    {
                        error = $"'{specifier}' leads outside the policy directory";
                        return null;
                    }

                    segments.RemoveAt(segments.Count - 1);
                    continue;
                case "":
                    error = $"'{specifier}' has an empty path segment";
                    return null;
                default:
                    segments.Add(segment);
                    continue;
            }
        }

        var resolved = string.Join('/', segments);
        if (segments.Count != 2 || segments[0] != Folder || !resolved.EndsWith(".js", StringComparison.Ordinal))
        {
            error = $"'{specifier}' resolves to '{resolved}': policies may import only helper modules directly in {Folder}/ (*.js, extension included)";
            return null;
        }

        return resolved;
    }
}
