using Pdp.Audit.Checkpoints;
using Pdp.Audit.Format;
using Pdp.Audit.Writing;

namespace Pdp.Audit.Verification;

/// <summary>
/// A still copy of a live trail for verification beside the writer: rotated segments, the checkpoint pointer and its
/// state file as hard links (they are never changed in place, only replaced or removed, so a link keeps exactly what
/// was there), and the active file's committed prefix copied. Taken between two batches, so the copy is one
/// consistent trail whatever rotation and retention do meanwhile. Lives in a directory beside the trail (hard links
/// need the same file system) and is removed on dispose.
/// </summary>
public sealed class TrailSnapshot : IDisposable
{
    private TrailSnapshot(string directory, string activePath, long records)
    {
        Directory = directory;
        ActivePath = activePath;
        LastSeq = records;
    }

    /// <summary>Where the copy is.</summary>
    public string Directory { get; }

    /// <summary>The copy's active file: what to hand to <see cref="AuditVerifier.Verify(string)"/>.</summary>
    public string ActivePath { get; }

    /// <summary>The last seq the copy holds.</summary>
    public long LastSeq { get; }

    /// <summary>Links everything (instant: the caller holds the writer between batches for it), then copies outside.</summary>
    internal static TrailSnapshot Take(string activePath, Func<(long Length, long LastSeq)> committed, Lock writer)
    {
        var source = Path.GetDirectoryName(activePath)!;
        foreach (var stale in System.IO.Directory.GetDirectories(source, ".verify-*"))
        {
            // Left by a process killed while verifying (one writer per trail holds the lock): its links would keep
            // segments that retention removed on disk.
            System.IO.Directory.Delete(stale, recursive: true);
        }

        var directory = Path.Combine(source, $".verify-{Environment.ProcessId}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        try
        {
            var copy = Path.Combine(directory, Path.GetFileName(activePath));
            var live = copy + ".live";
            (long Length, long LastSeq) position;
            lock (writer)
            {
                position = committed();
                foreach (var (_, path) in TrailFiles.FindRotated(activePath))
                {
                    Link(path, directory);
                }

                var pointer = CheckpointFiles.PointerPath(activePath);
                if (Link(pointer, directory) && CheckpointPointer.TryRead(activePath) is { } named)
                {
                    Link(Path.Combine(source, named.Payload.State.File), directory);
                }

                if (!NativeMethods.TryHardLink(activePath, live))
                {
                    File.Copy(activePath, live);
                }
            }

            // The link names the active file's inode: later appends and a rotation's rename do not change its prefix.
            using (var from = new FileStream(live, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var to = new FileStream(copy, FileMode.CreateNew, FileAccess.Write))
            {
                CopyPrefix(from, to, position.Length);
            }

            File.Delete(live);
            return new TrailSnapshot(directory, copy, position.LastSeq);
        }
        catch
        {
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Removes the copy.</summary>
    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }

    /// <summary>Links (or, where links are not available, copies) one file; false if it is gone meanwhile.</summary>
    private static bool Link(string path, string directory)
    {
        var target = Path.Combine(directory, Path.GetFileName(path));
        if (NativeMethods.TryHardLink(path, target))
        {
            return true;
        }

        if (OperatingSystem.IsLinux() || !File.Exists(path))
        {
            return false;
        }

        File.Copy(path, target);
        return true;
    }

    private static void CopyPrefix(FileStream from, FileStream to, long length)
    {
        var buffer = new byte[1 << 20];
        var left = length;
        while (left > 0)
        {
            var read = from.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
            {
                throw new IOException($"the active file '{from.Name}' is shorter than its committed length {length}");
            }

            to.Write(buffer, 0, read);
            left -= read;
        }
    }
}
