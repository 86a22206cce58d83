using Pdp.Audit.Format;
using Pdp.Audit.Writing;

namespace Pdp.Audit.Checkpoints;

/// <summary>
/// Which rotated segments a checkpoint lets go, and letting them go. Only segments wholly before the checkpoint's
/// anchor qualify (the one holding the anchor stays, so start-up can check it), oldest first and without gaps, so
/// what is left is always one chained suffix that the checkpoint anchors. Nothing a consumer still needs goes either:
/// a segment holding a record at or above <c>keepFromSeq</c> (e.g. not yet shipped to the fleet log) stays, whatever
/// the age and size bounds say — a record acknowledged is never lost to retention.
/// </summary>
internal static class Retention
{
    public static (List<Segment> Keep, List<Segment> Drop) Plan(RetentionOptions? options, IReadOnlyList<Segment> segments, long activeBytes, long anchorSeq, long keepFromSeq, string activePath, DateTimeOffset now)
    {
        var keep = segments.ToList();
        var drop = new List<Segment>();
        if (options is null)
        {
            return (keep, drop);
        }

        var total = segments.Sum(static s => s.Bytes) + activeBytes;
        foreach (var segment in segments)
        {
            if (segment.LastSeq >= anchorSeq || segment.LastSeq >= keepFromSeq)
            {
                break;
            }

            var path = TrailFiles.RotatedPath(activePath, segment.Number);
            var old = options.MaxAge is { } age && File.GetLastWriteTimeUtc(path) < (now - age).UtcDateTime;
            var over = options.MaxBytes is { } max && total > max;
            if (!old && !over)
            {
                break;
            }

            drop.Add(segment);
            total -= segment.Bytes;
        }

        keep.RemoveRange(0, drop.Count);
        return (keep, drop);
    }

    /// <summary>Deletes (or archives) the segments, oldest first; a crash part-way leaves only older, unlisted ones.</summary>
    public static void Apply(RetentionOptions options, IReadOnlyList<Segment> drop, string activePath)
    {
        foreach (var segment in drop)
        {
            var path = TrailFiles.RotatedPath(activePath, segment.Number);
            if (!File.Exists(path))
            {
                continue;
            }

            if (options.ArchiveDirectory is { } archive)
            {
                Directory.CreateDirectory(archive);
                File.Move(path, Path.Combine(archive, Path.GetFileName(path)), overwrite: true);
                NativeMethods.SyncDirectory(archive);
            }
            else
            {
                File.Delete(path);
            }
        }

        if (drop.Count > 0)
        {
            NativeMethods.SyncDirectory(Path.GetDirectoryName(activePath)!);
        }
    }
}
