using System.Globalization;

namespace Pdp.Audit.Format;

/// <summary>
/// Names of a trail's files. The active file <c>dir/audit.jsonl</c> rotates to <c>dir/audit.000001.jsonl</c>,
/// <c>dir/audit.000002.jsonl</c>, …: the stem and extension of the active name with a number of at least six
/// digits between them, so names sort in order for people and numbers keep growing past 999999.
/// </summary>
internal static class TrailFiles
{
    private const int MinDigits = 6;

    /// <summary>Path of rotated file number <paramref name="number"/> of the trail whose active file is <paramref name="activePath"/>.</summary>
    public static string RotatedPath(string activePath, long number)
    {
        var (directory, stem, extension) = Split(activePath);
        return Path.Combine(directory, string.Concat(stem, ".", number.ToString("D6", CultureInfo.InvariantCulture), extension));
    }

    /// <summary>Path of the lock file that keeps a second writer away from the trail.</summary>
    public static string LockPath(string activePath) => activePath + ".lock";

    /// <summary>Rotated files of a trail, oldest first, with their numbers.</summary>
    public static IReadOnlyList<(long Number, string Path)> FindRotated(string activePath)
    {
        var (directory, stem, extension) = Split(activePath);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var found = new List<(long Number, string Path)>();
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(file);
            if (TryParseRotated(name, stem, extension, out var number))
            {
                found.Add((number, file));
            }
        }

        found.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        return found;
    }

    /// <summary>
    /// True when <paramref name="path"/> looks like a rotated file (<c>name.NNNNNN.ext</c>), so a verifier handed it
    /// checks that file alone instead of looking for siblings of a file that is not an active file.
    /// </summary>
    public static bool IsRotatedFile(string path, out long number)
    {
        number = 0;
        var name = Path.GetFileName(path);
        var extension = Path.GetExtension(name);
        var withoutExtension = name[..^extension.Length];
        if (IsNumberSuffix(extension, out number))
        {
            // "audit.000001": the active file had no extension.
            return withoutExtension.Length > 0;
        }

        var dot = withoutExtension.LastIndexOf('.');
        return dot > 0 && IsNumberSuffix(withoutExtension[dot..], out number);
    }

    /// <summary>The files of the trail whose active file is <paramref name="activePath"/>, oldest first; the active file last if it exists.</summary>
    public static List<string> TrailOf(string activePath)
    {
        var files = FindRotated(activePath).Select(static r => r.Path).ToList();
        if (File.Exists(activePath))
        {
            files.Add(activePath);
        }

        return files;
    }

    private static bool IsNumberSuffix(string dotted, out long number)
    {
        number = 0;
        return dotted.Length > MinDigits && dotted[0] == '.'
            && !dotted.AsSpan(1).ContainsAnyExceptInRange('0', '9')
            && long.TryParse(dotted.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }

    private static bool TryParseRotated(string name, string stem, string extension, out long number)
    {
        number = 0;
        if (name.Length < stem.Length + 1 + MinDigits + extension.Length
            || !name.StartsWith(stem + ".", StringComparison.Ordinal)
            || !name.EndsWith(extension, StringComparison.Ordinal))
        {
            return false;
        }

        var digits = name.AsSpan(stem.Length + 1, name.Length - stem.Length - 1 - extension.Length);
        return digits.Length >= MinDigits
            && !digits.ContainsAnyExceptInRange('0', '9')
            && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }

    private static (string Directory, string Stem, string Extension) Split(string activePath)
    {
        var directory = Path.GetDirectoryName(activePath);
        var name = Path.GetFileName(activePath);
        var extension = Path.GetExtension(name);
        return (string.IsNullOrEmpty(directory) ? "." : directory, name[..^extension.Length], extension);
    }
}
