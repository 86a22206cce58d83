namespace Pdp.Audit.Format;

/// <summary>
/// Checks on which files a trail has, before any record is read: a removed newest or middle segment shows here by
/// name, where the chain alone would only say that a record is missing (or, for the newest, nothing at all).
/// </summary>
internal static class TrailLayout
{
    /// <summary>Why the set of files cannot be a whole trail, or null.</summary>
    /// <param name="activePath">The active file.</param>
    /// <param name="rotated">Rotated files present, oldest first.</param>
    public static string? Problem(string activePath, IReadOnlyList<(long Number, string Path)> rotated)
    {
        if (rotated.Count > 0 && !File.Exists(activePath))
        {
            // Rotation creates the next active file at once, so rotated files without one mean it was removed.
            return $"the active file '{activePath}' is missing while rotated segments {Path.GetFileName(rotated[0].Path)} … {Path.GetFileName(rotated[^1].Path)} exist: the newest records were removed";
        }

        for (var i = 1; i < rotated.Count; i++)
        {
            if (rotated[i].Number != rotated[i - 1].Number + 1)
            {
                var missing = TrailFiles.RotatedPath(activePath, rotated[i - 1].Number + 1);
                return $"segment '{missing}' is missing (between {Path.GetFileName(rotated[i - 1].Path)} and {Path.GetFileName(rotated[i].Path)}): its records were removed";
            }
        }

        return null;
    }

    /// <summary>The first record of a file, checked on its own; null when the file has no complete record.</summary>
    public static ParsedRecord? FirstRecord(string path)
    {
        var first = LineReader.Read(path).FirstOrDefault();
        return first is { Terminated: true } ? RecordCodec.Check(first, out _, out _) : null;
    }
}
