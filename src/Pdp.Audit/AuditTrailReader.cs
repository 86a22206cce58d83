using Pdp.Audit.Format;

namespace Pdp.Audit;

/// <summary>
/// Reads a trail back, oldest record first, checking every hash and link on the way, for rebuilding state at
/// start-up and for replay tools.
/// </summary>
public static class AuditTrailReader
{
    /// <summary>
    /// Enumerates the records of the trail whose active file is <paramref name="path"/>: its rotated files in order, then
    /// the active file. Given a rotated file (<c>audit.000003.jsonl</c>), enumerates that file alone.
    /// <para>
    /// An incomplete last line of the active file (a write in progress, or a crash that the writer will cut on open)
    /// ends the enumeration without error; any other bad record throws. Files are read lazily, so the sequence is
    /// consistent only while no rotation happens during the read: read before opening the writer, or tolerate that.
    /// </para>
    /// </summary>
    /// <exception cref="AuditTrailCorruptException">A record fails verification; the records before it were already yielded.</exception>
    /// <exception cref="FileNotFoundException">No file of the trail exists.</exception>
    public static IEnumerable<AuditRecord> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (files, startsTrail, active) = Resolve(Path.GetFullPath(path));
        if (files.Count == 0)
        {
            throw new FileNotFoundException($"No audit trail file at '{path}'.", path);
        }

        return ReadCore(new TrailScanner(files, startsTrail, active));
    }

    /// <summary>Whether any file of the trail whose active file is <paramref name="path"/> exists (rotated ones included).</summary>
    public static bool Exists(string path) => TrailFiles.TrailOf(Path.GetFullPath(path)).Count > 0;

    /// <summary>The files to scan for a path that names an active file or a single rotated file.</summary>
    internal static (List<string> Files, bool StartsTrail, string? Active) Resolve(string fullPath)
    {
        if (TrailFiles.IsRotatedFile(fullPath, out var number) && File.Exists(fullPath))
        {
            // Only the first rotated file is known to start the trail; a later one links to a file not read here.
            return ([fullPath], number == 1, null);
        }

        return (TrailFiles.TrailOf(fullPath), true, fullPath);
    }

    private static IEnumerable<AuditRecord> ReadCore(TrailScanner scanner)
    {
        foreach (var item in scanner.Scan())
        {
            switch (item.Kind)
            {
                case ScanKind.Record:
                    yield return item.Record!;
                    break;
                case ScanKind.TornTail:
                    yield break;
                default:
                    throw new AuditTrailCorruptException(item.File, item.Line.Number, item.Seq, item.Problem!);
            }
        }
    }
}
